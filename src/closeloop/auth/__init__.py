"""API keys (hashed, scoped) and dashboard users (argon2 passwords)."""
