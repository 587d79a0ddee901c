"""The respondent's language: which one they get (``locales``), our texts in it (``texts``),
and those texts in HTML (``markup``).

Only the built-in texts are translated: default questions, scale labels, the email's
frame and the ``/r/`` pages. Wording a workspace writes for a survey (its question,
follow-up and subject) is shown as written, in whatever language it was written: one
language per survey for now.
"""
