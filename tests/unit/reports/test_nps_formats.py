"""The NPS report as a table, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from rich.console import Console

from closeloop.analytics.breakdown import Dimension, GroupCounts, NpsReport, arrange
from closeloop.analytics.nps import NpsSummary
from closeloop.reports.nps import CSV_COLUMNS, to_csv, to_json, to_table

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
UNTIL = datetime(2026, 4, 1, tzinfo=UTC)


def _report(by: Dimension | None, rows: list[GroupCounts]) -> NpsReport:
    return NpsReport(
        since=SINCE,
        until=UNTIL,
        summary=NpsSummary(promoters=50, passives=30, detractors=20),
        by=by,
        groups=arrange(by, rows) if by else (),
    )


def _rendered(report: NpsReport) -> str:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(to_table(report))
    output = console.file
    assert isinstance(output, io.StringIO)
    return output.getvalue()


MONTHS = [
    GroupCounts("2026-01", None, NpsSummary(10, 10, 30)),
    GroupCounts("2026-02", None, NpsSummary(40, 20, 10)),
]


def test_the_table_shows_each_group_the_total_and_marked_changes() -> None:
    text = _rendered(_report(Dimension.MONTH, MONTHS))
    assert "NPS 2026-01-01 to 2026-03-31" in text, "the exclusive end reads as the last day"
    for expected in ("Month", "January 2026", "February 2026", "All", "30.0", "+82.9 *"):
        assert expected in text


def test_the_table_without_groups_is_one_row() -> None:
    text = _rendered(_report(None, []))
    assert "Period" in text and "All" in text and "Change" not in text


def test_the_csv_has_a_total_row_then_one_per_group() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(_report(Dimension.MONTH, MONTHS)))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[1][:5] == ["", "All", "30.0", "15.3", "100"]
    assert rows[2][:3] == ["2026-01", "January 2026", "-40.0"]
    assert rows[3][-2:] == ["82.9", "true"]


def test_csv_cells_cannot_become_spreadsheet_formulas() -> None:
    report = _report(
        Dimension.ACCOUNT,
        [GroupCounts("7", '=HYPERLINK("http://x")', NpsSummary(1, 0, 0))],
    )
    rows = list(csv.reader(io.StringIO(to_csv(report))))
    assert rows[2][1] == '\'=HYPERLINK("http://x")'


def test_the_json_is_the_api_document() -> None:
    document = json.loads(to_json(_report(Dimension.MONTH, MONTHS)))
    assert document["nps"] == 30.0
    assert document["by"] == "month"
    assert [group["key"] for group in document["groups"]] == ["2026-01", "2026-02"]
    assert document["groups"][1]["change"]["significant"] is True
    assert document["since"] == "2026-01-01T00:00:00Z"


def test_the_table_shows_brackets_in_group_names_as_written() -> None:
    """A name is data, not rich markup: ``[/]`` once crashed the report."""
    names = ["[/]", "[bold]Acme[/bold]", "[link=https://evil.test]Click[/link]"]
    rows = [GroupCounts(f"a{n}", name, NpsSummary(n + 1, 0, 0)) for n, name in enumerate(names)]
    text = _rendered(_report(Dimension.ACCOUNT, rows))
    for name in names:
        assert name in text
