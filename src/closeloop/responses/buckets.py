"""Week and month buckets of a UTC timestamp, as text, on SQLite and on PostgreSQL.

Both render a sortable string: the Monday that starts the ISO week (``2026-03-02``)
or the month (``2026-03``). The SQL is written out with no bound parameters so the
same expression can stand in SELECT and in GROUP BY (PostgreSQL would see two
different ``$n`` parameters as two different expressions).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class week_start(FunctionElement[str]):
    type = String()
    inherit_cache = True


class month_start(FunctionElement[str]):
    type = String()
    inherit_cache = True


@compiles(week_start)
def _week_start_postgresql(element: week_start, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char(date_trunc('week', {column} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"


@compiles(week_start, "sqlite")
def _week_start_sqlite(element: week_start, compiler: SQLCompiler, **kw: Any) -> str:
    # 'weekday 0' moves forward to Sunday (or stays on one); six days back is its Monday
    column = compiler.process(element.clauses, **kw)
    return f"date({column}, 'weekday 0', '-6 days')"


@compiles(month_start)
def _month_start_postgresql(element: month_start, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')"


@compiles(month_start, "sqlite")
def _month_start_sqlite(element: month_start, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"strftime('%Y-%m', {column})"
