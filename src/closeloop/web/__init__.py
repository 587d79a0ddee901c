"""Server-rendered pages: the dashboard and the respondent pages under /r/."""
