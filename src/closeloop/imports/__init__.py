"""Bulk import: contacts, accounts and events from CSV or JSONL, and Delighted's history."""
