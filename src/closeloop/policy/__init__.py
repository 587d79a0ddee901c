"""Respect for the customer: send windows, sampling, staggering and fatigue — pure decisions.

Services hand these functions plain values (the recipient's zone, past invitations, the time
from the injected clock) and record what they answer; nothing here reads a clock or a database.
"""
