"""Reports for people: NPS tables, CSV and JSON exports."""
