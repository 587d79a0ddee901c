"""The NPS report as a terminal table, CSV or JSON. Pure: a report in, text out.

The JSON is the API's document (``GET /api/v1/reports/nps``), so a script can switch
between the CLI and the API without a second parser. The CSV has one row for the whole
period, then one per group, with every figure in its own column.
"""

from __future__ import annotations

import csv
import enum
import io
from datetime import timedelta

from rich.table import Table
from rich.text import Text

from closeloop.analytics.breakdown import NpsGroup, NpsReport
from closeloop.analytics.nps import Category, NpsSummary
from closeloop.responses.schemas import NpsReportOut

CSV_COLUMNS = (
    "group",
    "label",
    "nps",
    "margin_of_error",
    "responses",
    "promoters",
    "passives",
    "detractors",
    "promoter_share",
    "passive_share",
    "detractor_share",
    "change",
    "significant_change",
)
# a spreadsheet runs a cell that starts with one of these as a formula
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Format(enum.StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


def to_json(report: NpsReport) -> str:
    return NpsReportOut.from_report(report).model_dump_json(indent=2) + "\n"


def to_csv(report: NpsReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerow(["", "All", *_csv_figures(report.summary), "", ""])
    for group in report.groups:
        change, significant = ("", "")
        if group.change is not None:
            change, significant = f"{group.change.delta:.1f}", str(group.change.significant).lower()
        writer.writerow(
            [
                _text_cell(group.key or ""),
                _text_cell(group.label),
                *_csv_figures(group.summary),
                change,
                significant,
            ]
        )
    return buffer.getvalue()


def to_table(report: NpsReport) -> Table:
    """A table for the terminal: the period's figures, then one row per group."""
    survey = f" · survey {report.survey}" if report.survey else ""
    table = Table(
        # Text, not str: rich would read brackets in a name as markup (and fail on "[/]")
        title=Text(f"NPS {_span(report)}{survey}"),
        caption="Shares of answers; ± is the 95 % margin of error; * a significant change",
    )
    table.add_column(report.by.value.capitalize() if report.by else "Period")
    for name in ("NPS", "±", "Answers", "Promoters", "Passives", "Detractors"):
        table.add_column(name, justify="right")
    if report.by is not None and report.by.is_time:
        table.add_column("Change", justify="right")
    for group in report.groups:
        table.add_row(*_table_cells(group.label, group.summary), *_change_cell(report, group))
    if report.groups:
        table.add_section()
    table.add_row(*_table_cells("All", report.summary), *_change_cell(report, None))
    return table


def _span(report: NpsReport) -> str:
    """The period as people say it: the until bound is exclusive, so show the day before."""
    last = report.until
    if (last.hour, last.minute, last.second, last.microsecond) == (0, 0, 0, 0):
        return f"{report.since:%Y-%m-%d} to {last - timedelta(days=1):%Y-%m-%d}"
    return f"{report.since:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC"


def _table_cells(label: str, summary: NpsSummary) -> list[str | Text]:
    return [
        Text(label),
        _number(summary.nps),
        _number(summary.margin_of_error),
        str(summary.responses),
        _share(summary.share(Category.PROMOTER)),
        _share(summary.share(Category.PASSIVE)),
        _share(summary.share(Category.DETRACTOR)),
    ]


def _change_cell(report: NpsReport, group: NpsGroup | None) -> list[str]:
    if report.by is None or not report.by.is_time:
        return []
    if group is None or group.change is None:
        return [""]
    mark = " *" if group.change.significant else ""
    return [f"{group.change.delta:+.1f}{mark}"]


def _csv_figures(summary: NpsSummary) -> list[str]:
    return [
        _number(summary.nps),
        _number(summary.margin_of_error),
        str(summary.responses),
        str(summary.promoters),
        str(summary.passives),
        str(summary.detractors),
        _number(summary.share(Category.PROMOTER)),
        _number(summary.share(Category.PASSIVE)),
        _number(summary.share(Category.DETRACTOR)),
    ]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _share(share: float | None) -> str:
    return "" if share is None else f"{share:.0f}%"


def _text_cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text
