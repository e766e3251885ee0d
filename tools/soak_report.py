"""The soak's closing figures: the privacy scan of what the kiosk left on disk, and the
report (markdown) with a PASS or MISS per target."""

from __future__ import annotations

import base64
import collections
import dataclasses
import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from simulators.residents import RESIDENTS
from tools.soak_driver import SessionResult
from tools.soak_plan import FAULT_DESCRIPTIONS, FAULT_KINDS
from tools.soak_watch import TICK_MS, Incident, Resources, Stall

# Targets of the team's issue.
MAX_RSS_GROWTH_MB = 10.0
MAX_FD_GROWTH = 0
MAX_STALL_MS = 100.0
REPORT_NAME = "soak-report.md"
SLICE = 64  # bytes of each card photo searched for, from its middle


@dataclasses.dataclass(frozen=True)
class Needle:
    """One thing that must not be on disk: whose, what, in which encoding."""

    resident: str
    what: str
    data: bytes


@dataclasses.dataclass(frozen=True)
class Hit:
    """A needle found in a file."""

    path: str
    resident: str
    what: str
    offset: int


def needles(photos: Mapping[str, bytes], residents: Iterable[str]) -> list[Needle]:
    """Every resident's name, ID number and phone (UTF-8, GB18030, UTF-16), and their card
    photo: 64 bytes from its middle (raw, hex, base64) and its SHA-256 (hex and raw)."""
    found: list[Needle] = []
    for key in residents:
        who = RESIDENTS[key]
        texts = {"name": who.name, "ID number": who.id_number}
        if who.phone:
            texts["phone"] = who.phone
        for what, text in texts.items():
            for encoding in ("utf-8", "gb18030", "utf-16-le", "utf-16-be"):
                data = text.encode(encoding)
                if all(n.data != data for n in found):
                    found.append(Needle(key, f"{what} ({encoding})", data))
        photo = photos.get(key)
        if photo is None:
            continue
        middle = (len(photo) // 2) // 3 * 3  # base64 of the file lines up on 3-byte groups
        piece = photo[middle : middle + SLICE]
        digest = hashlib.sha256(photo)
        found += [
            Needle(key, "photo bytes", piece),
            Needle(key, "photo bytes (hex)", piece.hex().encode()),
            Needle(key, "photo bytes (base64)", base64.b64encode(piece[:48])),
            Needle(key, "photo SHA-256 (hex)", digest.hexdigest().encode()),
            Needle(key, "photo SHA-256 (HEX)", digest.hexdigest().upper().encode()),
            Needle(key, "photo SHA-256 (raw)", digest.digest()),
        ]
    return found


def scan(
    roots: Iterable[Path], found: list[Needle], skip: Iterable[Path] = ()
) -> tuple[list[Hit], int, int]:
    """Search every file's bytes under ``roots`` (SQLite files and their -wal/-journal as
    raw bytes like any other file); (hits, files, bytes scanned)."""
    skipped = {p.resolve() for p in skip}
    hits: list[Hit] = []
    files = total = 0
    seen: set[Path] = set()
    for root in roots:
        if not root.exists():
            continue
        paths = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in paths:
            real = path.resolve()
            if real in seen or real in skipped or not path.is_file() or path.is_symlink():
                continue
            seen.add(real)
            try:
                data = path.read_bytes()
            except OSError:
                continue
            files += 1
            total += len(data)
            for needle in found:
                at = data.find(needle.data)
                if at >= 0:
                    hits.append(Hit(str(path), needle.resident, needle.what, at))
    return hits, files, total


@dataclasses.dataclass
class Figures:
    """Everything the report shows."""

    seed: int
    sessions_planned: int
    results: list[SessionResult]
    duration_s: float
    crashes: list[Incident]
    errors: list[Incident]
    warnings: collections.Counter[str]
    samples: list[Resources]
    stalls: list[Stall]
    stall_buckets: Mapping[int, int]
    stall_ticks: int
    stall_causes: Mapping[str, tuple[int, float]]
    harness_gui_s: float
    hits: list[Hit]
    scanned: str
    aborted: str
    isolation: str
    version: str
    timeouts: str
    config_notes: list[str]
    platform_statuses: Mapping[str, int]
    process_death: str = ""


def _mb(kb: int) -> float:
    return kb / 1024


def targets(fig: Figures) -> list[tuple[str, str, str, bool]]:
    """(target, limit, measured, met) for each of the issue's targets."""
    crashes = len(fig.crashes) + (1 if fig.process_death else 0)
    stuck = sum(r.stuck for r in fig.results)
    first = next(
        (s for s in fig.samples if s.session == 10), fig.samples[0] if fig.samples else None
    )
    last = fig.samples[-1] if fig.samples else None
    rows: list[tuple[str, str, str, bool]] = [
        ("crashes", "0", str(crashes), crashes == 0),
        ("sessions not back at idle", "0", str(stuck), stuck == 0),
    ]
    if first is not None and last is not None and last is not first:
        growth = _mb(last.rss_kb - first.rss_kb)
        rows.append(
            (
                f"RSS growth, session {first.session} -> {last.session}",
                f"< {MAX_RSS_GROWTH_MB:g} MB",
                f"{growth:+.1f} MB ({_mb(first.rss_kb):.1f} -> {_mb(last.rss_kb):.1f} MB)",
                growth < MAX_RSS_GROWTH_MB,
            )
        )
        fds = last.fds - first.fds
        rows.append(
            (
                f"open fds growth, session {first.session} -> {last.session}",
                f"{MAX_FD_GROWTH}",
                f"{fds:+d} ({first.fds} -> {last.fds})",
                fds <= MAX_FD_GROWTH,
            )
        )
    else:
        rows.append(("RSS and fds growth", "needs > 10 sessions", "not measured", False))
    worst = fig.stalls[0].late_ms if fig.stalls else 0.0
    rows.append(
        ("longest GUI event-loop stall", f"< {MAX_STALL_MS:g} ms", f"{worst:.0f} ms",
         worst < MAX_STALL_MS)
    )  # fmt: skip
    rows.append(("privacy-scan hits", "0", str(len(fig.hits)), not fig.hits))
    if fig.aborted:
        rows.append(("run completed", f"{fig.sessions_planned} sessions", fig.aborted, False))
    return rows


def render(fig: Figures) -> str:  # noqa: C901 - one section after another
    """The report as markdown."""
    results = fig.results
    out: list[str] = ["# Soak report", ""]
    minutes = fig.duration_s / 60
    rate = len(results) / minutes if minutes else 0.0
    out += [
        f"- seed: {fig.seed}",
        f"- sessions: {len(results)} of {fig.sessions_planned} planned",
        f"- duration: {minutes:.1f} min ({rate:.1f} sessions/min; median session "
        f"{_median([r.duration_s for r in results]):.1f} s)",
        f"- kiosk code: {fig.version}",
        f"- isolation: {fig.isolation}",
        f"- kiosk timeouts (shortened for the soak): {fig.timeouts}",
    ]
    out += [f"- {note}" for note in fig.config_notes]
    out += ["", "## Targets", "", "| target | limit | measured | |", "| --- | --- | --- | --- |"]
    rows = targets(fig)
    for name, limit, measured, met in rows:
        out.append(f"| {name} | {limit} | {measured} | {'PASS' if met else 'MISS'} |")
    out.append("")
    out.append(f"Overall: {'PASS' if all(row[3] for row in rows) else 'MISS'}")
    if fig.aborted:
        out += ["", f"**The run stopped early**: {fig.aborted}"]
    if fig.process_death:
        out += ["", f"**The kiosk's process died**: {fig.process_death}"]

    out += ["", "## Faults injected", "", "| fault | sessions | applied | outcomes |",
            "| --- | ---: | ---: | --- |"]  # fmt: skip
    by_fault: dict[str, list[SessionResult]] = collections.defaultdict(list)
    for result in results:
        by_fault[result.fault or "none"].append(result)
    for kind in (*FAULT_KINDS, "none"):
        group = by_fault.get(kind, [])
        if not group and kind != "none":
            out.append(f"| {kind} | 0 | 0 | |")
            continue
        outcomes = collections.Counter(_outcome(r) for r in group)
        shown = ", ".join(f"{name} {count}" for name, count in outcomes.most_common())
        applied = sum(r.fault_applied for r in group) if kind != "none" else len(group)
        out.append(f"| {kind} | {len(group)} | {applied} | {shown} |")
    out += [
        "",
        '"applied": the fault was injected (a session that ended before the fault\'s step, '
        "or a face check not offered, leaves it out). The kiosk tries a camera that failed "
        "again only after 60 s: face checks planned within a minute after `camera_unplugged` "
        'go by SMS or staff instead ("face check planned but not offered" below).',
    ]
    out += ["", "What each fault is:", ""]
    out += [f"- `{kind}`: {text}" for kind, text in FAULT_DESCRIPTIONS.items()]
    unused = sum(1 for r in results if r.unused_platform_faults)
    if unused:
        out.append(
            f"- {unused} sessions ended before reaching the platform call their fault "
            "was waiting for (the fault was then withdrawn)"
        )

    out += ["", "## Sessions", ""]
    factors = collections.Counter(f for r in results for f in r.factors_used)
    residents = collections.Counter(r.resident for r in results)
    out.append("- residents: " + ", ".join(f"{k} {v}" for k, v in sorted(residents.items())))
    out.append("- second factors used: " + ", ".join(f"{k} {v}" for k, v in factors.items()))
    out.append(f"- large text: {sum(r.large_text for r in results)}")
    out.append(
        f"- reached the report: {sum(r.reached_report for r in results)}; receipt printed: "
        f"{sum(r.printed for r in results)}; reprints pressed: {sum(r.reprints for r in results)}"
    )
    returns = sorted(r.return_s for r in results if r.return_s is not None)
    if returns:
        out.append(
            f"- back at idle after the resident left: median {_median(returns):.2f} s, "
            f"max {returns[-1]:.2f} s"
        )
    gave_up = [r for r in results if r.gave_up]
    out.append(f"- sessions the resident gave up on (the kiosk did not offer the next step "
               f"within 30 s): {len(gave_up)}")  # fmt: skip
    if fig.platform_statuses:
        out.append(
            "- platform answers by status: "
            + ", ".join(f"{k} {v}" for k, v in sorted(fig.platform_statuses.items()))
        )

    stuck = [r for r in results if r.stuck]
    out += ["", "## Sessions not back at idle", ""]
    out += [f"- session {r.number} ({r.fault_detail}): {r.stuck_detail}" for r in stuck] or ["none"]
    if gave_up:
        out += ["", "## Sessions given up", ""]
        out += [
            f"- session {r.number} ({r.resident}, {r.fault_detail}, fault at "
            f"{r.fault_phase or '-'}): {r.gave_up}"
            for r in gave_up
        ]
    noted = [r for r in results if r.notes]
    out += ["", "## Observations", ""]
    notes = collections.Counter(n for r in noted for n in r.notes)
    out += [f"- {note}: {count} sessions (e.g. " + ", ".join(
        str(r.number) for r in noted if note in r.notes)[:60] + ")"
        for note, count in notes.most_common()] or ["none"]  # fmt: skip

    out += ["", "## Crashes", ""]
    out += [_incident(i) for i in fig.crashes] or ["none"]
    if fig.process_death:
        out.append(f"- the process died: {fig.process_death}")
    out += ["", "## ERROR log lines", ""]
    grouped = collections.Counter(_first_line(i.text) for i in fig.errors)
    out += [f"- {count} x {text}" for text, count in grouped.most_common(30)] or ["none"]
    if fig.errors:
        out += ["", "First of each, with its session:", ""]
        seen: set[str] = set()
        for incident in fig.errors:
            head = _first_line(incident.text)
            if head not in seen:
                seen.add(head)
                out.append(_incident(incident))
    out += ["", "## WARNING log lines (by message)", ""]
    out += [f"- {count} x {text}" for text, count in fig.warnings.most_common(25)] or ["none"]

    out += ["", "## Memory and file descriptors", ""]
    out += ["| after session | RSS MB | open fds | threads | QWidgets | Python objects |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    out += [
        f"| {s.session} | {_mb(s.rss_kb):.1f} | {s.fds} | {s.threads} | {s.widgets} | "
        f"{s.py_objects} |"
        for s in fig.samples
    ]
    if len(fig.samples) >= 2:
        first = next((s for s in fig.samples if s.session == 10), fig.samples[0])
        last = fig.samples[-1]
        changed = sorted(
            (k, first.fd_kinds.get(k, 0), last.fd_kinds.get(k, 0))
            for k in set(first.fd_kinds) | set(last.fd_kinds)
            if first.fd_kinds.get(k, 0) != last.fd_kinds.get(k, 0)
        )
        kinds = ", ".join(f"{k} {a} -> {b}" for k, a, b in changed) or "no kind changed"
        out += ["", f"Open fds by kind, session {first.session} -> {last.session}: {kinds}"]

    out += ["", "## GUI event-loop stalls", ""]
    late = ", ".join(f"{b} ms: {n}" for b, n in sorted(fig.stall_buckets.items()))
    out.append(
        f"Probe: a {TICK_MS} ms timer on the GUI thread; {fig.stall_ticks} ticks. Ticks late "
        f"by more than {late}."
    )
    out.append(
        f"The soak's own work on the GUI thread (checks of the screens, screenshots: "
        f"{fig.harness_gui_s:.1f} s in all) is not counted; taps and what they set off are."
    )
    out += ["", "| late by | session | phase | the driver's last action | fault of the session "
            "| at (min) |", "| ---: | ---: | --- | --- | --- | ---: |"]  # fmt: skip
    out += [
        f"| {s.late_ms:.0f} ms | {s.session} | {s.phase} | {s.after} | {s.fault} | "
        f"{s.at / 60:.1f} |"
        for s in fig.stalls
    ]
    by_hundred: dict[int, float] = {}
    for result in results:
        block = (result.number - 1) // 100
        by_hundred[block] = max(by_hundred.get(block, 0.0), result.stall_max_ms)
    if len(by_hundred) > 1:
        blocks = ", ".join(
            f"{b * 100 + 1}-{b * 100 + 100}: {v:.0f} ms" for b, v in sorted(by_hundred.items())
        )
        out += ["", f"Worst stall per 100 sessions: {blocks}"]
    if fig.stall_causes:
        out += [
            "",
            "Every stall over 100 ms by where the GUI thread was (the kiosk function of the "
            "sampled stacks):",
            "",
            "| in | stalls | worst |",
            "| --- | ---: | ---: |",
        ]
        out += [
            f"| `{cause}` | {count} | {worst:.0f} ms |"
            for cause, (count, worst) in sorted(
                fig.stall_causes.items(), key=lambda item: -item[1][0]
            )
        ]
    out += ["", "Where the GUI thread was during each (sampled every 15 ms once a tick was "
            "40 ms overdue; innermost frame first):", ""]  # fmt: skip
    out += [f"- {s.late_ms:.0f} ms: `{s.stack or 'not sampled'}`" for s in fig.stalls]
    out += [
        "",
        "Every thread's stack during the first stalls over 100 ms (a GUI thread waiting for "
        "the GIL shows no kiosk frame of its own): `stall-threads.txt`.",
    ]

    out += ["", "## Privacy scan", "", fig.scanned, ""]
    out += [f"- {h.path} @{h.offset}: {h.resident}'s {h.what}" for h in fig.hits[:200]] or [
        "no hits"
    ]
    return "\n".join(out) + "\n"


def _outcome(result: SessionResult) -> str:
    if result.stuck:
        return "STUCK"
    if result.gave_up:
        return "gave up"
    return result.outcome or "?"


def _first_line(text: str) -> str:
    return text.split("\\n", 1)[0][:200]


def _incident(incident: Incident) -> str:
    return (
        f"- session {incident.session} ({incident.phase}, fault: {incident.fault}), "
        f"{incident.at / 60:.1f} min: {incident.kind}: `{incident.text[:1500]}`"
    )


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0
