"""Channels deliver rendered invitations: SMTP email, or the local outbox in development."""
