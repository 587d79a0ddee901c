"""Column mappings (``--map email=E-mail``): which of the file's columns feeds which field.

Pure. A mapping is written ``FIELD=COLUMN``, as a person reads it ("email comes from
E-mail"); it is kept the other way round, column to field, because that is how rows are
renamed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


class InvalidMapping(ValueError):
    """A ``--map`` that cannot be applied; the message says why."""


def parse(specs: Iterable[str]) -> dict[str, str]:
    """``["email=E-mail", "name=Full name"]`` → ``{"E-mail": "email", "Full name": "name"}``."""
    renames: dict[str, str] = {}
    for spec in specs:
        field, separator, column = (part.strip() for part in spec.partition("="))
        if not separator or not field or not column:
            raise InvalidMapping(f"{spec!r} is not FIELD=COLUMN (for example email=E-mail)")
        if column in renames:
            raise InvalidMapping(f"the column {column!r} is mapped twice")
        if field in renames.values():
            raise InvalidMapping(f"the field {field!r} is mapped twice")
        renames[column] = field
    return renames


def apply_to_header(columns: Sequence[str], renames: Mapping[str, str]) -> list[str]:
    """The header with mapped columns renamed; every mapped column must be in the file."""
    missing = [column for column in renames if column not in columns]
    if missing:
        listed = ", ".join(repr(column) for column in columns)
        raise InvalidMapping(f"the file has no column {missing[0]!r} (its columns: {listed})")
    names = [renames.get(column, column) for column in columns]
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            if name in renames.values():
                raise InvalidMapping(f"two columns would both be {name!r}; map only one of them")
            raise InvalidMapping(f"the column {name!r} appears twice in the header")
        seen.add(name)
    return names
