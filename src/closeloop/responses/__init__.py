"""Answers: signed respondent tokens, recording, and classification."""
