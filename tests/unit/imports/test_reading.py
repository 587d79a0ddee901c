"""Reading files as records: encodings, delimiters, bad rows, JSONL, mappings, limits."""

from __future__ import annotations

import codecs
import io

import pytest

from closeloop.imports.contact_rows import canonical_contact_column
from closeloop.imports.reading import MAX_LINE_CHARS, BadRecord, Reader, Record, Source, Unreadable
from closeloop.imports.schemas import ImportFormat


def read(
    data: bytes,
    format: ImportFormat = ImportFormat.CSV,
    renames: dict[str, str] | None = None,
    **options: str,
) -> tuple[Reader, list[Record | BadRecord]]:
    source = Source(stream=io.BytesIO(data), name="test", size=len(data))
    reader = Reader(
        source,
        format=format,
        renames=renames or {},
        canonical=canonical_contact_column,
        encoding=options.get("encoding"),
        delimiter=options.get("delimiter"),
    )
    return reader, list(reader)


def test_csv_rows_come_with_their_line_and_canonical_field_names() -> None:
    reader, records = read(b"E-mail,Time Zone,Plan\r\nana@acme.test,Europe/Madrid,pro\r\n")
    assert reader.columns == ["E-mail", "Time Zone", "Plan"]
    assert reader.names == ["email", "time_zone", "Plan"]
    assert records == [
        Record(
            2,
            {"email": "ana@acme.test", "time_zone": "Europe/Madrid", "Plan": "pro"},
            ["ana@acme.test", "Europe/Madrid", "pro"],
        )
    ]


def test_a_byte_order_mark_is_not_part_of_the_first_column() -> None:
    reader, records = read(codecs.BOM_UTF8 + "email,name\nana@acme.test,Ana Núñez\n".encode())
    assert reader.names == ["email", "name"]
    assert records[0].fields == {"email": "ana@acme.test", "name": "Ana Núñez"}
    assert reader.notes == []


def test_a_windows_1252_file_is_read_as_such_with_a_note() -> None:
    reader, records = read("email,name\nana@acme.test,Ana Núñez\n".encode("cp1252"))
    assert records[0].fields["name"] == "Ana Núñez"
    assert any("not UTF-8" in note for note in reader.notes)


def test_utf16_with_tabs_as_excel_writes_unicode_text() -> None:
    data = "email\tname\r\nana@acme.test\tAna Núñez\r\n".encode("utf-16")
    _, records = read(data)
    assert records[0].fields == {"email": "ana@acme.test", "name": "Ana Núñez"}


def test_a_byte_that_does_not_fit_spoils_only_its_row() -> None:
    # valid UTF-8 for the first megabyte, then a Latin-1 byte
    padding = b"".join(b"p%07d@acme.test,x\n" % n for n in range(60_000))
    data = b"email,name\n" + padding + b"late@acme.test,Jos\xe9\nlast@acme.test,ok\n"
    reader, records = read(data)
    assert reader.encoding.codec == "utf-8"
    bad = [record for record in records if isinstance(record, BadRecord)]
    assert [(record.line, record.reason) for record in bad] == [
        (60_002, "is not valid utf-8 text (byte 0xE9)")
    ]
    assert records[-1].fields == {"email": "last@acme.test", "name": "ok"}


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_files_are_sniffed(delimiter: str) -> None:
    data = f"email{delimiter}name\nana@acme.test{delimiter}Ana, G.\n".encode()
    _, records = read(data)
    assert records[0].fields == {"email": "ana@acme.test", "name": "Ana, G."}


def test_a_row_with_the_wrong_number_of_fields_is_bad_and_reading_goes_on() -> None:
    _, records = read(b"email,name\na@x.test,A,extra\nb@x.test\nc@x.test,C,,\n\nd@x.test,D\n")
    assert records[0] == BadRecord(2, "has 3 fields, the header has 2", ["a@x.test", "A", "extra"])
    assert records[1] == BadRecord(3, "has 1 fields, the header has 2", ["b@x.test"])
    # trailing empty cells, as spreadsheets write them, are harmless
    assert records[2] == Record(4, {"email": "c@x.test", "name": "C"}, ["c@x.test", "C"])
    assert records[3].line == 6  # the blank line 5 is skipped


def test_a_quoted_field_over_the_limit_is_a_bad_record() -> None:
    huge = "x" * 200_000
    _, records = read(f'email,note\na@x.test,"{huge}"\nb@x.test,ok\n'.encode())
    assert isinstance(records[0], BadRecord)
    assert records[0].line == 2
    assert "field larger than field limit" in records[0].reason
    assert records[-1].fields == {"email": "b@x.test", "note": "ok"}


def test_quoted_newlines_keep_the_line_of_the_first() -> None:
    _, records = read(b'email,note\na@x.test,"two\nlines"\nb@x.test,x\n')
    assert [record.line for record in records] == [2, 4]
    assert records[0].fields["note"] == "two\nlines"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\n", "the file is empty"),
        (b"email,email\n", "the column 'email' appears twice"),
    ],
)
def test_an_unusable_header_stops_everything(data: bytes, message: str) -> None:
    with pytest.raises(Unreadable, match=message):
        read(data)


def test_a_mapping_renames_and_must_name_real_columns() -> None:
    _, records = read(b"E-post,Plan\nana@x.test,pro\n", renames={"E-post": "email"})
    assert records[0].fields == {"email": "ana@x.test", "Plan": "pro"}
    with pytest.raises(Unreadable, match="the file has no column 'Mail'"):
        read(b"E-post\nana@x.test\n", renames={"Mail": "email"})


def test_unnamed_columns_are_ignored_with_a_note() -> None:
    reader, records = read(b"email,,\na@x.test,1,2\n")
    assert records[0].fields == {"email": "a@x.test"}
    assert reader.notes == ["ignoring 2 columns without a name"]


def test_unknown_encodings_are_unreadable() -> None:
    with pytest.raises(Unreadable, match="unknown encoding 'klingon'"):
        read(b"email\n", encoding="klingon")


def test_jsonl_lines_a_broken_one_and_blank_ones() -> None:
    data = b'{"email": "a@x.test"}\n\n{"email": \n[1, 2]\n{"n": NaN}\n{"email": "b@x.test"}\n'
    _, records = read(data, ImportFormat.JSONL, renames={"mail": "email"})
    assert records[0] == Record(1, {"email": "a@x.test"}, ['{"email": "a@x.test"}'])
    assert isinstance(records[1], BadRecord)
    assert records[1].line == 3
    assert records[1].reason.startswith("is not valid JSON: Expecting value")
    assert records[2] == BadRecord(4, "is not a JSON object ({...})", ["[1, 2]"])
    assert records[3].reason == "is not valid JSON: NaN is not a number JSON allows"
    assert records[4].line == 6


def test_jsonl_keys_are_renamed_by_the_mapping() -> None:
    _, records = read(b'{"mail": "a@x.test"}\n', ImportFormat.JSONL, renames={"mail": "email"})
    assert records[0].fields == {"email": "a@x.test"}


def test_a_jsonl_line_over_the_limit_is_skipped_whole() -> None:
    long_line = b'{"email": "' + b"x" * (MAX_LINE_CHARS + 10) + b'"}\n'
    _, records = read(long_line + b'{"email": "b@x.test"}\n', ImportFormat.JSONL)
    assert isinstance(records[0], BadRecord)
    assert records[0].reason == f"is longer than {MAX_LINE_CHARS:,} characters"
    assert records[1] == Record(2, {"email": "b@x.test"}, ['{"email": "b@x.test"}'])


def test_bytes_read_follow_the_file() -> None:
    data = b"email\n" + b"a@x.test\n" * 10
    reader, _ = read(data)
    assert reader.bytes_read == len(data)
