"""How a file's bytes become text: its encoding and, for CSV, its delimiter. Pure.

Exports from spreadsheets and CRMs arrive in whatever the exporting machine used: UTF-8
with or without a byte order mark, UTF-16 ("Unicode text" from Excel), or Windows-1252.
The encoding is decided once from a sample at the start of the file; a byte that does
not fit it further on only spoils its own row (see ``reading``), never the whole import.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

SAMPLE_BYTES = 1 << 20
DELIMITERS = (",", ";", "\t", "|")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Encoding:
    """The codec to read with, and what the person importing should know about it."""

    codec: str
    note: str | None = None


def choose_encoding(sample: bytes, *, complete: bool, requested: str | None = None) -> Encoding:
    """The encoding of a file that starts with ``sample`` (the whole file if ``complete``).

    A byte order mark decides; then UTF-8 if the sample is valid UTF-8; then Windows-1252,
    the usual encoding of files that are not, or Latin-1 (which decodes any byte) when
    even that fails. A fallback comes with a note saying so, and how to choose instead.
    """
    if requested is not None:
        codec = codecs.lookup(requested).name  # LookupError for an unknown name
        # a BOM at the start of a file said to be UTF-8 is not part of its first column
        return Encoding("utf-8-sig" if codec == "utf-8" else codec)
    for bom, codec in _BOMS:
        if sample.startswith(bom):
            return Encoding(codec)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=complete)
    except UnicodeDecodeError as error:
        bad = f"byte 0x{sample[error.start]:02X} at offset {error.start:,}"
        fallback = "cp1252" if _decodes(sample, "cp1252") else "latin-1"
        label = "Windows-1252 (cp1252)" if fallback == "cp1252" else "Latin-1 (ISO-8859-1)"
        return Encoding(
            fallback,
            note=f"the file is not UTF-8 ({bad}); reading it as {label}. "
            "If names look wrong, say which encoding it is with --encoding.",
        )
    return Encoding("utf-8")


def _decodes(sample: bytes, codec: str) -> bool:
    try:
        sample.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(header: str) -> str:
    """The delimiter of a CSV file, from its header line: the most frequent candidate.

    Only characters outside quotes count, so a column named "Name, first" does not make
    a comma file out of a semicolon one. A header with none of them is one column wide:
    comma, the default, reads it correctly.
    """
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for character in header:
        if character == '"':
            quoted = not quoted
        elif not quoted and character in counts:
            counts[character] += 1
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])  # ties: the first listed
    return best if counts[best] else ","
