"""The benchmark's table: ratios against the same run's baseline, PASS/MISS, and the rewrite
that touches nothing of docs/benchmarks.md but the table."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import bench


def test_a_ratio_row_holds_the_median_against_the_baselines_median() -> None:
    start = bench.Figure("start", "s", [0.30, 0.20, 0.25], 2.0, [0.10, 0.14, 0.12], "bare")
    assert start.compared == pytest.approx(0.25 / 0.12)
    assert not start.passed
    assert start.row().endswith("| 2.08x bare (0.12 s) | <= 2x | MISS |")


def test_an_absolute_target_and_a_figure_without_one() -> None:
    assert bench.Figure("stall", "ms", [20.0, 40.0, 30.0], 33.0).passed
    assert not bench.Figure("stall", "ms", [34.0], 33.0).passed
    told = bench.Figure("receipt", "ms", [5.0, 7.0])
    assert told.passed  # a figure told, not judged
    assert told.row().endswith("| 2 |  |  |  |")


def test_the_table_is_rewritten_between_its_markers_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        f"# Benchmarks\n\n{bench.TABLE_BEGIN}\nold table\n{bench.TABLE_END}\n\nWhy it MISSes.\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(bench, "DOC", doc)
    bench._write_table(f"{bench.TABLE_BEGIN}\nnew table\n{bench.TABLE_END}")
    assert doc.read_text(encoding="utf-8") == (
        f"# Benchmarks\n\n{bench.TABLE_BEGIN}\nnew table\n{bench.TABLE_END}\n\nWhy it MISSes.\n"
    )
