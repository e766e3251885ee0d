"""The kiosk's benchmarks in one table, each figure against its floor or its baseline.

Run with ``tools/bootstrap.sh bench`` (``--strict``: exit 1 on a MISS; ``--no-write``: print
only; ``--sessions N``: the memory soak's length). It measures, on this machine, offscreen:

- start-up: process start to the idle screen painted, to the kiosk ready for a card, and PSS
  over the process tree, against a bare PySide6 window and Chromium, alternating run by run
  (tools/bench_startup.py);
- the idle screen's CPU share;
- a card from the reader's event to its identity checked through pcscd, against the APDU
  floor (its APDU count times a bare SELECT's round trip through the same pcscd, alternating
  run by run: tools/bench_card.py);
- the platform's answer to the report on screen at 5, 50 and 500 records, split into
  network, checks and painting, the first report after a start and later ones
  (tools/bench_report.py);
- the receipt's bytes and time and the A4 PDF's at 5, 50 and 500 records
  (tools/bench_print.py);
- the longest GUI stall over 200 residents' sessions and RSS after 10 and after 200, from one
  fault-free soak (tools/bench_session.py says why the soak and not `kiosk demo`).

Each figure's median, min and max, PASS or MISS against its target, go into the table
between the markers in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import importlib.metadata
import os
import platform
import statistics
import sys
from pathlib import Path

# Only this here: the start-up runs come first, and a library this process has loaded shares
# its pages with the probes, which would lower their PSS. The other benchmarks' modules (Qt,
# pyscard, reportlab, the simulators) load when their turn comes.
from tools import bench_startup

START_RUNS = 7
IDLE_RUNS = 3
CARD_RUNS = 15
PRINT_RUNS = 5
SOAK_SESSIONS = 200

# Targets (issue 17).
TARGET_START_VS_BARE = 2.0
TARGET_START_VS_CHROMIUM = 0.4
TARGET_PSS_VS_BARE = 2.0
BUDGET_IDLE_CPU_PERCENT = 10.0
TARGET_CARD_VS_FLOOR = 1.2
TARGET_STALL_MS = 33.0  # two frames at 60 Hz
TARGET_RSS_GROWTH_MB = 5.0


@dataclasses.dataclass(frozen=True)
class Figure:
    """One row of the table: the runs of a figure, and its target if it has one.

    ``baseline`` runs make the row a ratio (median over median, both from this run);
    ``target`` is then a ratio too, else an absolute limit in the figure's unit.
    """

    name: str
    unit: str
    values: list[float]
    target: float | None = None
    baseline: list[float] | None = None
    baseline_name: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def compared(self) -> float:
        """What the target is held against: the ratio to the baseline, or the median."""
        if self.baseline is None:
            return self.median
        return self.median / statistics.median(self.baseline)

    @property
    def passed(self) -> bool:
        return self.target is None or self.compared <= self.target

    def row(self) -> str:
        spread = f"{min(self.values):.3g} - {max(self.values):.3g}"
        against = ""
        if self.baseline is not None:
            base = statistics.median(self.baseline)
            against = f"{self.compared:.2f}x {self.baseline_name} ({base:.3g} {self.unit})"
        if self.target is None:
            target, verdict = "", ""
        else:
            unit = "x" if self.baseline is not None else f" {self.unit}"
            target = f"<= {self.target:g}{unit}"
            verdict = "PASS" if self.passed else "MISS"
        return (
            f"| {self.name} | {self.median:.3g} {self.unit} | {spread} | {len(self.values)} "
            f"| {against} | {target} | {verdict} |"
        )


def _values(runs: list[dict[str, float]], key: str, scale: float = 1.0) -> list[float]:
    return [run[key] * scale for run in runs]


def start_up_figures(chromium: str | None) -> list[Figure]:
    """The kiosk, the bare window and Chromium, alternating run by run, after one untimed
    run of each (the page cache warm for all)."""
    bench_startup.kiosk_run()
    bench_startup.bare_run()
    if chromium:
        bench_startup.chromium_run(chromium)
    kiosk: list[dict[str, float]] = []
    bare: list[dict[str, float]] = []
    browser: list[dict[str, float]] = []
    for _ in range(START_RUNS):
        kiosk.append(bench_startup.kiosk_run())
        bare.append(bench_startup.bare_run())
        if chromium:
            browser.append(bench_startup.chromium_run(chromium))
    painted = _values(kiosk, "first_paint_s")
    figures = [
        Figure(
            "start to the idle screen painted",
            "s",
            painted,
            TARGET_START_VS_BARE,
            _values(bare, "first_paint_s"),
            "bare window",
        )
    ]
    if browser:
        figures.append(
            Figure(
                "start to the idle screen painted, against Chromium",
                "s",
                painted,
                TARGET_START_VS_CHROMIUM,
                _values(browser, "first_paint_s"),
                "Chromium",
            )
        )
    figures += [
        Figure("start to ready for a card (whole kiosk built)", "s", _values(kiosk, "ready_s")),
        Figure(
            "PSS at the first paint",
            "MB",
            _values(kiosk, "pss_first_paint_mb"),
            None,
            _values(bare, "pss_first_paint_mb"),
            "bare window",
        ),
        Figure(
            "PSS settled (warm-up done; others 3 s after painting)",
            "MB",
            _values(kiosk, "pss_settled_mb"),
            TARGET_PSS_VS_BARE,
            _values(bare, "pss_settled_mb"),
            "bare window",
        ),
    ]
    if browser:
        figures.append(
            Figure(
                "PSS settled, against Chromium (its process tree)",
                "MB",
                _values(kiosk, "pss_settled_mb"),
                None,
                _values(browser, "pss_settled_mb"),
                "Chromium",
            )
        )
    return figures


def card_figures() -> list[Figure]:
    from tools import bench_card

    runs = bench_card.against_the_floor(CARD_RUNS)
    apdus = int(statistics.median(run["apdus"] for run in runs))
    least = int(min(run["minimal_apdus"] for run in runs))
    return [
        Figure(
            f"card event to identity checked ({apdus} APDUs; the profile's minimum {least})",
            "ms",
            _values(runs, "identity_s", 1000),
            TARGET_CARD_VS_FLOOR,
            [run["apdus"] * run["round_trip_s"] * 1000 for run in runs],
            "APDU floor: APDUs x SELECT round trip",
        )
    ]


def report_figures() -> list[Figure]:
    from tools import bench_report

    figures = []
    for records in bench_report.SIZES:
        runs = bench_report.report_runs(records)
        target_ms = bench_report.TARGET_S[records] * 1000
        for part in ("answered_to_painted", *bench_report.PARTS):
            for when in ("first", "later"):
                label = "platform answered to painted" if part == "answered_to_painted" else part
                figures.append(
                    Figure(
                        f"report, {records} records, {when}: {label}",
                        "ms",
                        _values(runs, f"{when}_{part}", 1000),
                        target_ms if part == "answered_to_painted" else None,
                    )
                )
    return figures


def print_figures() -> list[Figure]:
    from tools import bench_print, bench_report

    figures = []
    for records in bench_report.SIZES:
        measured = bench_print.measure(records, PRINT_RUNS)
        figures += [
            Figure(
                f"receipt, {records} records ({measured['native_bytes']:,} bytes)",
                "ms",
                measured["native_times"],
            ),
            Figure(
                f"A4 PDF, {records} records ({measured['pdf_bytes']:,} bytes)",
                "ms",
                measured["pdf_times"],
            ),
        ]
    return figures


def session_figures(sessions: int) -> list[Figure]:
    from tools import bench_session

    soak = bench_session.fault_free_soak(sessions)
    growth = soak["rss_last_mb"] - soak["rss_10_mb"]
    return [
        Figure(
            f"longest GUI stall over {soak['last_session']:.0f} residents' sessions "
            f"({soak['stalls_over_33_ms']:.0f} ticks over 33 ms)",
            "ms",
            [soak["longest_stall_ms"]],
            TARGET_STALL_MS,
        ),
        Figure(
            f"RSS growth, session 10 -> {soak['last_session']:.0f} "
            f"({soak['rss_10_mb']:.1f} -> {soak['rss_last_mb']:.1f} MB)",
            "MB",
            [growth],
            TARGET_RSS_GROWTH_MB,
        ),
    ]


TABLE_BEGIN = "<!-- bench:begin (tools/bench.py rewrites this table) -->"
TABLE_END = "<!-- bench:end -->"
DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def _machine(chromium: str | None) -> str:
    """The machine the figures come from, in one line."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    browser = bench_startup.chromium_version(chromium) if chromium else "no Chromium"
    qt = _version_of("PySide6", "PySide6-Essentials")  # pip's name, or the wheel's part
    return (
        f"{cpu}, {os.cpu_count()} cores, Linux {platform.release()}, Python "
        f"{platform.python_version()}, PySide6 {qt}, {browser}, "
        "offscreen, "
        f"{dt.datetime.now(dt.UTC).date().isoformat()}"
    )


def _version_of(*distributions: str) -> str:
    """The version of the first of ``distributions`` installed."""
    for name in distributions:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "unknown"


def _table(figures: list[Figure], machine: str) -> str:
    lines = [
        TABLE_BEGIN,
        f"Machine: {machine}.",
        "",
        "| figure | median | min - max | runs | against the baseline, same run | target | |",
        "| --- | ---: | ---: | ---: | --- | --- | --- |",
        *(figure.row() for figure in figures),
        TABLE_END,
    ]
    return "\n".join(lines)


def _write_table(table: str) -> None:
    """Put ``table`` between the markers of docs/benchmarks.md (at the top the first time)."""
    text = DOC.read_text(encoding="utf-8")
    if TABLE_BEGIN in text and TABLE_END in text:
        before = text[: text.index(TABLE_BEGIN)]
        after = text[text.index(TABLE_END) + len(TABLE_END) :]
        DOC.write_text(before + table + after, encoding="utf-8")
        return
    title, _, rest = text.partition("\n")
    DOC.write_text(f"{title}\n\n{table}\n{rest}", encoding="utf-8")


def _say(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark, print the table, write it into docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 on a MISS")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--sessions", type=int, default=SOAK_SESSIONS, help="memory soak")
    args = parser.parse_args(argv)
    chromium = bench_startup.chromium_binary()
    machine = _machine(chromium)  # first: a mistake here must not cost a whole run
    if chromium is None:
        _say("Chromium is not installed (tools/bootstrap.sh bench installs it): no Chromium rows")
    figures: list[Figure] = []

    def measured(section: str, rows: list[Figure]) -> None:
        """Keep a section's rows, and print them now: a later failure leaves them seen."""
        figures.extend(rows)
        _say(section + " done:\n" + "\n".join(row.row() for row in rows))

    _say("start-up: the kiosk, the bare window and Chromium, run by run")
    measured("start-up", start_up_figures(chromium))
    _say("the idle screen's CPU share")
    idle = bench_startup.idle_cpu_runs(IDLE_RUNS)
    measured("idle", [Figure("idle screen's CPU share", "%", idle, BUDGET_IDLE_CPU_PERCENT)])
    _say("card against the APDU floor, through pcscd")
    measured("card", card_figures())
    _say("reports at 5, 50 and 500 records")
    measured("reports", report_figures())
    _say("receipt and PDF at 5, 50 and 500 records")
    measured("printing", print_figures())
    _say(f"a fault-free soak of {args.sessions} sessions: stalls and memory")
    measured("sessions", session_figures(args.sessions))
    table = _table(figures, machine)
    print(table)
    if not args.no_write:
        _write_table(table)
        print(f"written to {DOC}")
    missed = [figure.name for figure in figures if not figure.passed]
    if missed:
        print("MISS: " + "; ".join(missed) + " (docs/benchmarks.md says why)")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
