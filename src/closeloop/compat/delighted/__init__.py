"""The Delighted-compatible API under ``/compat/delighted/v1/`` (see docs/delighted-migration.md).

Delighted's official clients and hand-written integrations keep working against closeloop:
the same paths (with or without ``.json``), the API key as the HTTP Basic user, JSON or
form bodies with Rails-style nested keys, Unix timestamps, string ids, and Delighted's own
error shapes. Surveys asked for here go through the same invitation, policy and dispatch
code as every other survey.
"""
