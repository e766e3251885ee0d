"""What the soak watches in the kiosk's process: GUI event-loop stalls, crashes, log errors,
memory and file descriptors; and the bridge its driver thread uses to touch the GUI."""

from __future__ import annotations

import dataclasses
import faulthandler
import heapq
import json
import logging
import os
import re
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from kiosk.app.logging_setup import MaskingFilter, one_line
from kiosk.privacy import mask_text

T = TypeVar("T")

TICK_MS = 10  # the stall probe's period on the GUI thread
TOP_STALLS = 5
STALL_BUCKETS_MS = (16, 33, 50, 100, 250, 1000)
SAMPLE_AFTER_MS = 40  # a tick this overdue: the watchdog looks where the GUI thread is
SAMPLE_EVERY_MS = 15
MAX_SAMPLES = 4
CAUSE_FROM_MS = 100.0  # stalls over this are grouped by cause in the report
MAX_THREAD_DUMPS = 40  # stalls over CAUSE_FROM_MS whose every thread's stack is kept
STACK_DEPTH = 6  # frames of the GUI thread's stack kept per sample (innermost first)


# Qt virtuals and helpers the kiosk's own work passes through (not the cause of a stall).
_PASS_THROUGH = frozenset(
    {"eventFilter", "event", "hasHeightForWidth", "heightForWidth", "sizeHint"}
    | {"minimumSizeHint", "__call__", "__new__", "<lambda>"}
)


def stall_cause(samples: list[str]) -> str:
    """The kiosk function a stall was spent in: in each sampled stack the innermost frame
    of the kiosk's own code (ui/, kiosk/, devices/) that is not a Qt virtual it merely
    passes through; the one most samples name."""
    causes: Counter[str] = Counter()
    for stack in samples:
        for frame in stack.split(" < "):
            where, _, function = frame.rpartition(" ")
            if where.startswith(("ui/", "kiosk/", "devices/", "offline_cache/")) and (
                function not in _PASS_THROUGH
            ):
                causes[f"{where.split(':')[0]} {function}"] += 1
                break
    return causes.most_common(1)[0][0] if causes else "not sampled (under 40 ms, or no kiosk frame)"


def _short(path: str) -> str:
    for marker in ("/site-packages/", "/work/main/", "/lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def gui_stack(thread_id: int) -> str:
    """Where thread ``thread_id`` is now, innermost frame first, as ``file:line function``.

    Read with ``faulthandler.dump_traceback`` (C, into a memfd), never through frame
    objects: a frame object held by another thread keeps its locals alive after the
    function returns, and a ``QPainter`` local of a ``paintEvent`` then outlives its paint
    and is destroyed on the wrong thread (which crashed the process when this sampler used
    ``sys._current_frames``).
    """
    fd = os.memfd_create("soak-stack")
    try:
        faulthandler.dump_traceback(fd, all_threads=True)
        os.lseek(fd, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    finally:
        os.close(fd)
    wanted = f"0x{thread_id:016x}"
    frames: list[str] = []
    inside = False
    for line in b"".join(chunks).decode(errors="replace").splitlines():
        if line.startswith(("Thread 0x", "Current thread 0x")):
            inside = wanted in line
            continue
        match = _FRAME.match(line) if inside else None
        if match is not None and len(frames) < STACK_DEPTH:
            frames.append(f"{_short(match[1])}:{match[2]} {match[3]}")
    return " < ".join(frames)


_FRAME = re.compile(r'\s+File "(.*)", line (\d+) in (\S+)')


@dataclasses.dataclass(order=True, frozen=True)
class Stall:
    """One late tick of the GUI thread's probe: how late, and what the kiosk was doing."""

    late_ms: float
    session: int = dataclasses.field(compare=False)
    phase: str = dataclasses.field(compare=False)
    fault: str = dataclasses.field(compare=False)
    at: float = dataclasses.field(compare=False)  # seconds since the soak started
    after: str = dataclasses.field(compare=False, default="")  # the driver's last action
    # Where the GUI thread was while the tick was overdue (sampled by a watchdog thread).
    stack: str = dataclasses.field(compare=False, default="")


class StallProbe(QObject):
    """A timer on the GUI thread every ``TICK_MS`` that records how late it fires.

    Lateness beyond the period is time the event loop could not turn. Time the soak's own
    driver spent on the GUI thread (screenshots, checks of what is on screen) is taken out;
    the kiosk's reaction to a tap is not (that is the kiosk's work).
    """

    def __init__(
        self,
        where: Callable[[], tuple[int, str, str, str]],
        started: float,
        threads_file: Path | None = None,
    ) -> None:
        """``threads_file``: where every thread's stack goes while a tick is more than
        ``CAUSE_FROM_MS`` overdue (the GUI thread alone says "not sampled" when it waits
        for the GIL that another thread holds)."""
        super().__init__()
        self._where = where
        self._threads_file = threads_file
        self._thread_dumps = 0
        self._started = started
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self._harness_s = 0.0
        self._lock = threading.Lock()
        self.top: list[Stall] = []  # a min-heap of the largest
        self.buckets: Counter[int] = Counter()
        self.ticks = 0
        self.session_max: dict[int, float] = {}
        self.harness_total_s = 0.0
        # Every stall over ``CAUSE_FROM_MS``, by the kiosk code it was in: count, worst.
        self.causes: dict[str, tuple[int, float]] = {}
        self._gui_thread = 0
        self._samples: list[str] = []  # stacks of the GUI thread during the current overdue tick
        self._stall_where: tuple[int, str, str, str] | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        """Start probing (after the first paint and the warm-up; on the GUI thread)."""
        self._gui_thread = threading.get_ident()
        self._last = time.perf_counter()
        self._timer.start(TICK_MS)
        threading.Thread(target=self._watchdog, name="soak-stall-watchdog", daemon=True).start()

    def stop(self) -> None:
        """Stop probing."""
        self._stop.set()
        self._timer.stop()

    def _watchdog(self) -> None:
        """While a tick is overdue by more than ``SAMPLE_AFTER_MS``, sample where the GUI
        thread is, every ``SAMPLE_EVERY_MS`` (a few samples per stall)."""
        while not self._stop.wait(SAMPLE_EVERY_MS / 1000):
            overdue_ms = (time.perf_counter() - self._last) * 1000 - TICK_MS
            if overdue_ms < SAMPLE_AFTER_MS:
                continue
            stack = gui_stack(self._gui_thread)
            if overdue_ms > CAUSE_FROM_MS:
                self._dump_threads(overdue_ms)
            if not stack:
                continue
            where = self._where()  # what was going on while it stalled, not after
            with self._lock:
                if self._stall_where is None:
                    self._stall_where = where
                if len(self._samples) < MAX_SAMPLES and stack not in self._samples:
                    self._samples.append(stack)

    def _dump_threads(self, overdue_ms: float) -> None:
        if self._threads_file is None or self._thread_dumps >= MAX_THREAD_DUMPS:
            return
        self._thread_dumps += 1
        at = time.perf_counter() - self._started
        with self._threads_file.open("a", encoding="utf-8") as dump:
            dump.write(f"\n=== the GUI thread {overdue_ms:.0f} ms overdue at {at:.1f} s\n")
            dump.flush()
            faulthandler.dump_traceback(dump, all_threads=True)

    def add_harness_time(self, seconds: float) -> None:
        """The soak itself held the GUI thread for ``seconds`` (called on the GUI thread)."""
        self._harness_s += seconds
        self.harness_total_s += seconds

    @Slot()
    def _tick(self) -> None:
        now = time.perf_counter()
        late_s = now - self._last - TICK_MS / 1000 - self._harness_s
        self._last, self._harness_s = now, 0.0
        self.ticks += 1
        late_ms = max(0.0, late_s * 1000)
        for bucket in STALL_BUCKETS_MS:
            if late_ms > bucket:
                self.buckets[bucket] += 1
        with self._lock:
            samples, self._samples = self._samples, []
            during, self._stall_where = self._stall_where, None
        if late_ms < 1:
            return
        session, phase, fault, after = during or self._where()
        with self._lock:
            if late_ms > self.session_max.get(session, 0.0):
                self.session_max[session] = late_ms
            if late_ms > CAUSE_FROM_MS:
                cause = stall_cause(samples)
                count, worst = self.causes.get(cause, (0, 0.0))
                self.causes[cause] = (count + 1, max(worst, late_ms))
            stall = Stall(
                round(late_ms, 1),
                session,
                phase,
                fault,
                round(now - self._started, 1),
                after,
                " | ".join(samples),
            )
            if len(self.top) < TOP_STALLS:
                heapq.heappush(self.top, stall)
            elif stall > self.top[0]:
                heapq.heapreplace(self.top, stall)

    def worst(self) -> list[Stall]:
        """The largest stalls, largest first."""
        with self._lock:
            return sorted(self.top, reverse=True)


class _Job(Generic[T]):
    def __init__(self, fn: Callable[[], T], harness: bool) -> None:
        self.fn = fn
        self.harness = harness
        self.done = threading.Event()
        self.result: T | None = None
        self.error: BaseException | None = None


class GuiBridge(QObject):
    """Runs the driver thread's calls on the GUI thread and waits for their result."""

    _posted = Signal(object)

    def __init__(self, probe: StallProbe | None = None) -> None:
        super().__init__()  # on the GUI thread
        self.probe = probe
        self._posted.connect(self._run, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _run(self, job: _Job[Any]) -> None:
        started = time.perf_counter()
        try:
            job.result = job.fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the driver thread
            job.error = exc
        finally:
            if job.harness and self.probe is not None:
                self.probe.add_harness_time(time.perf_counter() - started)
            job.done.set()

    def call(self, fn: Callable[[], T], *, harness: bool = True, timeout_s: float = 60.0) -> T:
        """Run ``fn`` on the GUI thread; its result. ``harness``: the soak's own work (not
        counted as a stall of the kiosk's); False for taps, whose effects are the kiosk's."""
        job: _Job[T] = _Job(fn, harness)
        self._posted.emit(job)
        if not job.done.wait(timeout_s):
            raise TimeoutError(f"the GUI thread did not run the soak's call in {timeout_s:g} s")
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]


@dataclasses.dataclass(frozen=True)
class Incident:
    """A crash or an error line: when, in which session and phase, what (masked)."""

    kind: str
    session: int
    phase: str
    fault: str
    text: str
    at: float


class CrashWatch(logging.Handler):
    """Counts crashes (uncaught exceptions in any thread, Qt slot or dispatched callback;
    the kiosk's "unhandled error" log lines) and keeps every ERROR line and a count of the
    WARNING lines by message."""

    def __init__(self, where: Callable[[], tuple[int, str, str, str]], started: float) -> None:
        super().__init__(logging.WARNING)
        self.addFilter(MaskingFilter())
        self.setFormatter(logging.Formatter("%(levelname)s %(threadName)s %(name)s: %(message)s"))
        self._where = where
        self._started = started
        self._lock = threading.Lock()
        self.crashes: list[Incident] = []
        self.errors: list[Incident] = []
        self.warnings: Counter[str] = Counter()
        self.journal: Path | None = None  # where crashes are written as they happen

    def _incident(self, kind: str, text: str) -> Incident:
        session, phase, fault, _after = self._where()
        return Incident(
            kind,
            session,
            phase,
            fault,
            one_line(mask_text(text))[:4000],
            round(time.monotonic() - self._started, 1),
        )

    def emit(self, record: logging.LogRecord) -> None:
        """Keep ERROR lines (crashes when they are the kiosk's "unhandled error"), count
        WARNING lines by their message template."""
        if record.name.startswith("tools."):
            return  # the soak's own lines (in the kiosk's log for context) are not the kiosk's
        try:
            if record.levelno >= logging.ERROR:
                incident = self._incident(record.levelname.lower(), self.format(record))
                with self._lock:
                    self.errors.append(incident)
                if "unhandled error" in record.getMessage():
                    self._keep(dataclasses.replace(incident, kind="unhandled error"))
            else:
                with self._lock:
                    self.warnings[f"{record.name}: {str(record.msg)[:90]}"] += 1
        except Exception:  # noqa: BLE001 - a logging handler must never raise
            self.handleError(record)

    def crash(self, kind: str, text: str) -> None:
        """Record a crash (written to ``incidents.jsonl`` at once: the process may die)."""
        self._keep(self._incident(kind, text))

    def _keep(self, incident: Incident) -> None:
        with self._lock:
            self.crashes.append(incident)
            if self.journal is not None:
                with self.journal.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(dataclasses.asdict(incident), ensure_ascii=False) + "\n")

    def install(self) -> None:
        """Hook the root logger, ``sys.excepthook``, ``threading.excepthook`` and
        ``sys.unraisablehook`` (each chained to what was there)."""
        logging.getLogger().addHandler(self)
        previous_sys, previous_thread = sys.excepthook, threading.excepthook
        previous_unraisable = sys.unraisablehook

        def on_exception(
            kind: type[BaseException], value: BaseException, tb: TracebackType | None
        ) -> None:
            self.crash("uncaught exception", "".join(traceback.format_exception(kind, value, tb)))
            previous_sys(kind, value, tb)

        def on_thread_exception(args: threading.ExceptHookArgs) -> None:
            name = args.thread.name if args.thread is not None else "?"
            text = "".join(
                traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)
            )
            self.crash(f"uncaught exception in thread {name}", text)
            previous_thread(args)

        def on_unraisable(args: Any) -> None:
            self.crash("unraisable exception", f"{args.err_msg or ''} {args.exc_value!r}")
            previous_unraisable(args)

        sys.excepthook = on_exception
        threading.excepthook = on_thread_exception
        sys.unraisablehook = on_unraisable


@dataclasses.dataclass(frozen=True)
class Resources:
    """The process's resident memory and open file descriptors at one moment."""

    session: int
    rss_kb: int
    fds: int
    threads: int
    fd_kinds: dict[str, int]
    widgets: int = 0  # QWidgets alive (the window and everything else)
    py_objects: int = 0  # objects the garbage collector tracks


def _fd_kind(target: str) -> str:
    if target.startswith(("socket:", "pipe:", "anon_inode:")):
        return target.split(":", 1)[0] + (
            ":" + target.split(":", 1)[1].strip("[]") if target.startswith("anon_inode") else ""
        )
    if target.startswith("/dev/"):
        return target
    return "file " + Path(target).name


def resources(session: int) -> Resources:
    """VmRSS and the open fds of this process now (with what they are, for the report)."""
    rss = 0
    threads = 0
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    kinds: Counter[str] = Counter()
    names = list(Path("/proc/self/fd").iterdir())
    for name in names:
        try:
            kinds[_fd_kind(str(name.readlink()))] += 1
        except OSError:
            kinds["(closed while listed)"] += 1
    # As the team's issue counts them: len(os.listdir('/proc/self/fd')), the listing's own
    # descriptor included (it shows as closed once listed).
    return Resources(session, rss, len(names), threads, dict(kinds))
