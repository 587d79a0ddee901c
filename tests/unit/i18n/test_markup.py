"""Our texts in HTML: isolated only on a page that runs the other way, escaped always."""

from __future__ import annotations

from markupsafe import Markup

from closeloop.i18n.locales import negotiate
from closeloop.i18n.markup import HtmlTexts
from closeloop.i18n.texts import Texts


def html(*tags: str) -> HtmlTexts:
    return HtmlTexts(Texts(negotiate(tags, default="en")))


def test_texts_in_their_own_direction_are_plain_text() -> None:
    for tags in [("de",), ("en",), ("xx",), ()]:
        text = html(*tags)("thanks.heading_named", name="Ana")
        assert not isinstance(text, Markup), tags


def test_english_fallback_on_a_right_to_left_page_is_an_isolate() -> None:
    text = html("ar")("follow_up.you_answered_named", name="Ana", score=3)
    assert text == Markup('<span dir="ltr">Thanks, Ana! You answered 3.</span>')


def test_an_isolate_still_escapes_what_it_wraps() -> None:
    text = html("he")("thanks.heading_named", name="<script>alert(1)</script>")
    assert text == Markup(
        '<span dir="ltr">Thank you, &lt;script&gt;alert(1)&lt;/script&gt;!</span>'
    )
    assert html("fa").isolate("a & b") == Markup('<span dir="ltr">a &amp; b</span>')


def test_dates_and_numbers_stay_text_to_go_inside_other_texts() -> None:
    rtl = html("ur")
    assert rtl.number(5_000) == "5,000"
    assert rtl("follow_up.comment_hint", limit=rtl.number(5_000)) == Markup(
        '<span dir="ltr">Optional, up to 5,000 characters.</span>'
    )
