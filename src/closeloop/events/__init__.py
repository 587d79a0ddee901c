"""The append-only log of journey events, ingested idempotently by message id."""
