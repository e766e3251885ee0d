"""The large-text theme: how much larger and how much contrast, as the issue and the
elder-mode rules ask (body >= 32 px, buttons >= 96 px at 1080p, 1.5x, 7:1)."""

from __future__ import annotations

import dataclasses

import pytest

from ui import theme

SIZES = ("body", "heading", "title", "button_height", "key_size")


@pytest.mark.parametrize("size", SIZES)
def test_large_text_is_at_least_one_and_a_half_times_larger(size: str) -> None:
    assert getattr(theme.ELDER, size) >= 1.5 * getattr(theme.NORMAL, size)


def test_large_text_meets_the_floor_sizes() -> None:
    assert theme.ELDER.body >= 32
    assert theme.ELDER.button_height >= 96


@pytest.mark.parametrize(("foreground", "background"), theme.READ_PAIRS)
def test_large_text_colours_reach_seven_to_one(foreground: str, background: str) -> None:
    tokens = dataclasses.asdict(theme.ELDER)
    ratio = theme.contrast_ratio(tokens[foreground], tokens[background])
    assert ratio >= 7.0, (foreground, background, round(ratio, 2))


@pytest.mark.parametrize(("foreground", "background"), theme.READ_PAIRS)
def test_normal_colours_reach_four_and_a_half_to_one(foreground: str, background: str) -> None:
    tokens = dataclasses.asdict(theme.NORMAL)
    assert theme.contrast_ratio(tokens[foreground], tokens[background]) >= 4.5


def test_contrast_ratio_matches_known_values() -> None:
    assert theme.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert theme.contrast_ratio("#777777", "#777777") == pytest.approx(1.0)
    # WCAG's own example: #767676 on white is just above 4.5:1.
    assert theme.contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
