"""Choosing a file's encoding and its CSV delimiter from what it starts with."""

from __future__ import annotations

import codecs

import pytest

from closeloop.imports.decoding import choose_encoding, sniff_delimiter


@pytest.mark.parametrize(
    ("sample", "codec"),
    [
        (codecs.BOM_UTF8 + b"email\nana@acme.test\n", "utf-8-sig"),
        (codecs.BOM_UTF16_LE + "email\n".encode("utf-16-le"), "utf-16"),
        (codecs.BOM_UTF16_BE + "email\n".encode("utf-16-be"), "utf-16"),
        ("name\nJosé Müller\n".encode(), "utf-8"),
        (b"plain ascii\n", "utf-8"),
    ],
)
def test_a_byte_order_mark_or_valid_utf8_decides_without_a_note(sample: bytes, codec: str) -> None:
    chosen = choose_encoding(sample, complete=True)
    assert (chosen.codec, chosen.note) == (codec, None)


def test_windows_1252_is_the_fallback_and_the_note_names_the_byte() -> None:
    chosen = choose_encoding("name\nJosé\n".encode("cp1252"), complete=True)
    assert chosen.codec == "cp1252"
    assert chosen.note is not None
    assert "not UTF-8 (byte 0xE9 at offset 8)" in chosen.note
    assert "--encoding" in chosen.note


def test_latin_1_takes_bytes_windows_1252_leaves_undefined() -> None:
    # 0x81 has no character in Windows-1252; Latin-1 decodes every byte
    chosen = choose_encoding(b"name\n\x81\xe9\n", complete=True)
    assert chosen.codec == "latin-1"


def test_a_character_cut_at_the_end_of_a_sample_is_not_an_error() -> None:
    sample = "ñ".encode()[:1]
    assert choose_encoding(b"a" + sample, complete=False).codec == "utf-8"
    assert choose_encoding(b"a" + sample, complete=True).codec != "utf-8"


def test_a_requested_encoding_wins_and_utf8_skips_a_byte_order_mark() -> None:
    assert choose_encoding(b"\xe9", complete=True, requested="latin-1").codec == "iso8859-1"
    assert choose_encoding(b"abc", complete=True, requested="UTF8").codec == "utf-8-sig"
    with pytest.raises(LookupError):
        choose_encoding(b"abc", complete=True, requested="klingon")


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("email,name,plan\r\n", ","),
        ("email;name;plan\n", ";"),
        ("email\tname\tplan\n", "\t"),
        ("email|name\n", "|"),
        ('"Name, first";"Name, last";email\n', ";"),
        ("email\n", ","),
        ("a,b;c;d\n", ";"),
    ],
)
def test_the_delimiter_is_the_most_frequent_outside_quotes(header: str, delimiter: str) -> None:
    assert sniff_delimiter(header) == delimiter
