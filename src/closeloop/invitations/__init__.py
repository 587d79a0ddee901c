"""Invitations: one survey to one person, from scheduled to answered, durably."""
