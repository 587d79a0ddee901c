"""The respondent pages' colours meet WCAG AA contrast, in light and dark mode."""

from __future__ import annotations

import re

import pytest

from closeloop.web.pages import TEMPLATES_DIR

BASE = (TEMPLATES_DIR / "respondent_base.html").read_text()


def _palette(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([a-z]+):\s*(#[0-9a-fA-F]{3,6})", block))


LIGHT = _palette(BASE.split("@media (prefers-color-scheme: dark)")[0])
DARK = {**LIGHT, **_palette(BASE.split("@media (prefers-color-scheme: dark)")[1].split("}")[0])}


def _luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("palette", [LIGHT, DARK], ids=["light", "dark"])
@pytest.mark.parametrize(
    ("foreground", "background", "minimum"),
    [
        ("fg", "card", 4.5),
        ("fg", "bg", 4.5),
        ("muted", "card", 4.5),
        ("muted", "bg", 4.5),
        ("accent", "card", 4.5),
        ("error", "card", 4.5),
        ("card", "accent", 4.5),  # a chosen score: card-coloured text on the accent
        ("border", "card", 3.0),  # the outline of each score button (non-text contrast)
    ],
)
def test_contrast(
    palette: dict[str, str], foreground: str, background: str, minimum: float
) -> None:
    assert _contrast(palette[foreground], palette[background]) >= minimum
