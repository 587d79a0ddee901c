"""Triggers: which survey to send, to whom and when — rules, conditions, the engine."""
