"""NPS statistics, breakdowns and trends (pure where it can be)."""
