"""Surveys: their kind, scale, wording and answer window."""
