"""How one contact or account field is tested in SQL, alike on SQLite and PostgreSQL.

The tests decide like :mod:`closeloop.triggers.evaluation` does in Python: a value is
compared only with values of its own kind (the JSON string ``"10"`` is not the number
10, ``true`` is not 1, ``1 == 1.0``) and a missing key or a ``null`` is absent. Each
test is two-valued — true or false, never NULL — so that a NOT, an AND or an OR above it
behaves as in Python; a negative test on an absent value is then simply true.

Columns are plain SQL. Traits live in a JSON column whose SQL differs per database
(``json_type``/``json_extract``/``json_each`` on SQLite; ``jsonb_typeof``, ``->``,
``->>`` and ``@>`` on PostgreSQL), so those tests are built when the statement compiles,
for the dialect at hand, from SQLAlchemy expressions: values and keys are always bound
parameters. Numbers decide exactly, except an integer beyond ±2**53 against a float
(or any integer beyond 64 bits on SQLite), where each database's number type decides.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol, cast

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Table,
    Text,
    and_,
    exists,
    false,
    func,
    literal,
    or_,
    type_coerce,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from closeloop.contacts.models import Account, Contact
from closeloop.triggers.conditions import Scalar
from closeloop.triggers.values import as_number

CONTACTS: Final = cast(Table, Contact.__table__)
ACCOUNTS: Final = cast(Table, Account.__table__)
# printable ASCII but '"' and '\': what a quoted SQLite JSON path label can hold, and what
# json.dumps stores unescaped (SQLite compares a label with the key as it is written)
_PATH_KEY: Final = re.compile(r"[ !#-\[\]-~]+")

Compare = Callable[[Any, Any], Any]


class FieldSql(Protocol):
    """The tests of one field, each a two-valued SQL boolean."""

    def present(self) -> ColumnElement[bool]:
        """There is a value (not missing, not null)."""
        ...

    def is_string(self) -> ColumnElement[bool]:
        """The value is text: what any date or pattern test needs first."""
        ...

    def holds(self, values: Sequence[Scalar]) -> ColumnElement[bool]:
        """The value equals one of ``values``, kind for kind."""
        ...

    def ordered(self, compare: Compare, number: float) -> ColumnElement[bool]:
        """The value is a number and ``compare(value, number)`` holds."""
        ...

    def contains(self, value: Scalar) -> ColumnElement[bool]:
        """A string value has ``value`` in it, or an array has it as an element."""
        ...

    def starts_between(self, low: str, high: str) -> ColumnElement[bool]:
        """The value is text whose first ten characters lie from ``low`` to ``high``.

        Byte order, whatever the database's collation: on ISO dates it is date order.
        """
        ...


def field_sql(field: str) -> FieldSql | None:
    """The SQL tests of a canonical contact or account field; None when SQL cannot name it.

    Event fields are not in the database: the caller refuses them first.
    """
    root, attribute, *keys = field.split(".")
    table = CONTACTS if root == "contact" else ACCOUNTS
    if attribute != "traits":
        return ColumnSql(table.c[attribute])
    if not all(_PATH_KEY.fullmatch(key) for key in keys):
        return None
    return TraitSql(table.c.traits, tuple(keys))


def bindable(value: object) -> bool:
    """Whether both databases take the value's text as a parameter.

    PostgreSQL refuses NUL, and a lone surrogate is not UTF-8: no stored text holds
    either, but a condition might, and must not make the query fail.
    """
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            if "\x00" in item:
                return False
            try:
                item.encode()
            except UnicodeEncodeError:
                return False
    return True


@dataclass(frozen=True)
class ColumnSql:
    """A text column of contacts or accounts: a string, or absent when NULL."""

    column: ColumnElement[Any]

    def present(self) -> ColumnElement[bool]:
        return self.column.is_not(None)

    def is_string(self) -> ColumnElement[bool]:
        return self.present()

    def holds(self, values: Sequence[Scalar]) -> ColumnElement[bool]:
        strings = [value for value in values if isinstance(value, str)]
        if not strings:  # a column holds text, never a number or true/false
            return false()
        return func.coalesce(self.column.in_(strings), false())

    def ordered(self, compare: Compare, number: float) -> ColumnElement[bool]:
        return false()

    def contains(self, value: Scalar) -> ColumnElement[bool]:
        if not isinstance(value, str):
            return false()
        return PerDialect(
            sqlite=lambda: func.coalesce(func.instr(self.column, value) > 0, false()),
            postgresql=lambda: func.coalesce(func.strpos(self.column, value) > 0, false()),
        )

    def starts_between(self, low: str, high: str) -> ColumnElement[bool]:
        return PerDialect(
            sqlite=lambda: func.coalesce(_first_ten(self.column).between(low, high), false()),
            postgresql=lambda: func.coalesce(
                _first_ten(self.column).collate("C").between(low, high), false()
            ),
        )


@dataclass(frozen=True)
class TraitSql:
    """A value inside a JSON traits column, reached key by key (never by array index)."""

    document: ColumnElement[Any]
    keys: tuple[str, ...]

    def present(self) -> ColumnElement[bool]:
        return PerDialect(
            sqlite=lambda: func.coalesce(self._sqlite()[0] != "null", false()),
            postgresql=lambda: func.coalesce(
                func.jsonb_typeof(self._postgres()) != "null", false()
            ),
        )

    def is_string(self) -> ColumnElement[bool]:
        return PerDialect(
            sqlite=lambda: _kind_in(self._sqlite()[0], "text"),
            postgresql=lambda: _kind_in(func.jsonb_typeof(self._postgres()), "string"),
        )

    def holds(self, values: Sequence[Scalar]) -> ColumnElement[bool]:
        def on_sqlite() -> ColumnElement[bool]:
            kind, found = self._sqlite()
            strings = [value for value in values if isinstance(value, str)]
            numbers = [_sqlite_number(value) for value in values if as_number(value) is not None]
            truths = [("true" if value else "false") for value in values if isinstance(value, bool)]
            parts = []
            if strings:
                parts.append(and_(_kind_in(kind, "text"), found.in_(strings)))
            if numbers:
                parts.append(and_(_kind_in(kind, "integer", "real"), found.in_(numbers)))
            if truths:
                parts.append(_kind_in(kind, *truths))
            return or_(*parts)

        # jsonb equality is kind for kind already: numbers by value, true apart from 1
        return PerDialect(
            sqlite=on_sqlite,
            postgresql=lambda: func.coalesce(
                self._postgres().in_([_jsonb(value) for value in values]), false()
            ),
        )

    def ordered(self, compare: Compare, number: float) -> ColumnElement[bool]:
        def on_sqlite() -> ColumnElement[bool]:
            kind, found = self._sqlite()
            return and_(_kind_in(kind, "integer", "real"), compare(found, _sqlite_number(number)))

        def on_postgres() -> ColumnElement[bool]:
            found = self._postgres()
            return and_(
                _kind_in(func.jsonb_typeof(found), "number"), compare(found, _jsonb(number))
            )

        return PerDialect(sqlite=on_sqlite, postgresql=on_postgres)

    def contains(self, value: Scalar) -> ColumnElement[bool]:
        def on_sqlite() -> ColumnElement[bool]:
            kind, found = self._sqlite()
            elements = func.json_each(self.document, self._sqlite_path()).table_valued(
                "type", "value"
            )
            if isinstance(value, bool):
                element = _kind_in(elements.c.type, "true" if value else "false")
            elif isinstance(value, str):
                element = and_(elements.c.type == "text", elements.c.value == value)
            else:
                element = and_(
                    elements.c.type.in_(["integer", "real"]),
                    elements.c.value == _sqlite_number(value),
                )
            in_array = and_(_kind_in(kind, "array"), exists().select_from(elements).where(element))
            if not isinstance(value, str):
                return in_array
            return or_(and_(_kind_in(kind, "text"), func.instr(found, value) > 0), in_array)

        def on_postgres() -> ColumnElement[bool]:
            found = self._postgres()
            kind = func.jsonb_typeof(found)
            in_array = and_(
                _kind_in(kind, "array"), found.op("@>", is_comparison=True)(_jsonb([value]))
            )
            if not isinstance(value, str):
                return in_array
            in_text = func.strpos(self._postgres(as_text=True), value) > 0
            return or_(and_(_kind_in(kind, "string"), in_text), in_array)

        return PerDialect(sqlite=on_sqlite, postgresql=on_postgres)

    def starts_between(self, low: str, high: str) -> ColumnElement[bool]:
        def on_sqlite() -> ColumnElement[bool]:
            kind, found = self._sqlite()
            return and_(_kind_in(kind, "text"), _first_ten(found).between(low, high))

        def on_postgres() -> ColumnElement[bool]:
            kind = func.jsonb_typeof(self._postgres())
            prefix = _first_ten(self._postgres(as_text=True)).collate("C")
            return and_(_kind_in(kind, "string"), prefix.between(low, high))

        return PerDialect(sqlite=on_sqlite, postgresql=on_postgres)

    def _sqlite_path(self) -> ColumnElement[str]:
        return literal("$" + "".join(f'."{key}"' for key in self.keys))

    def _sqlite(self) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
        """``json_type`` (NULL when missing) and ``json_extract`` (SQL text or number)."""
        path = self._sqlite_path()
        return func.json_type(self.document, path), func.json_extract(self.document, path)

    def _postgres(self, *, as_text: bool = False) -> ColumnElement[Any]:
        """``doc -> k1 -> k2`` (``->>`` last when ``as_text``); a text key never indexes a list."""
        found: ColumnElement[Any] = type_coerce(self.document, JSONB)
        for index, key in enumerate(self.keys):
            text = as_text and index == len(self.keys) - 1
            found = found.op("->>" if text else "->", return_type=Text() if text else JSONB())(
                sql_cast(literal(key), Text)
            )
        return found


def _kind_in(kind: ColumnElement[Any], *names: str) -> ColumnElement[bool]:
    """``kind IN (names)``, false (not NULL) when there is no value at all."""
    return func.coalesce(kind.in_(names), false())


def _first_ten(text: ColumnElement[Any]) -> ColumnElement[str]:
    return func.substr(text, 1, 10)


def _jsonb(value: object) -> ColumnElement[Any]:
    return sql_cast(literal(json.dumps(value)), JSONB)


def _sqlite_number(value: Scalar) -> float:
    """A number SQLite can bind: an integer past 64 bits goes as a double, as SQLite reads it."""
    number = as_number(value)
    assert number is not None
    if isinstance(number, int) and not -(2**63) <= number < 2**63:
        return float(number)
    return number


class PerDialect(ColumnElement[bool]):
    """A two-valued test written one way for SQLite and another for PostgreSQL.

    Built when the statement compiles, so never cached (the builders close over the
    values): a compile per page of an audience, not per row.
    """

    inherit_cache = False

    def __init__(
        self,
        *,
        sqlite: Callable[[], ColumnElement[bool]],
        postgresql: Callable[[], ColumnElement[bool]],
    ) -> None:
        self.type = Boolean()
        self.on_sqlite = sqlite
        self.on_postgresql = postgresql


@compiles(PerDialect, "sqlite")
def _compile_for_sqlite(element: PerDialect, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.on_sqlite(), **kw)})"


@compiles(PerDialect, "postgresql")
def _compile_for_postgresql(element: PerDialect, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.on_postgresql(), **kw)})"


@compiles(PerDialect)
def _compile_elsewhere(element: PerDialect, compiler: SQLCompiler, **kw: Any) -> str:
    if compiler.dialect.name == "default":  # str() of a filter, as in a log: the SQLite form
        return _compile_for_sqlite(element, compiler, **kw)
    raise CompileError(f"audiences run on SQLite or PostgreSQL, not {compiler.dialect.name}")
