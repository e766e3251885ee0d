"""The running kiosk's health for operators: one snapshot feeds the heartbeat and the metrics.

Two threads feed one ``Health``. The core's thread publishes what the session knows (a
controller listener, ``Health.observe``): the phase (sessions started and completed), staff's
out-of-service switch, whether the platform answers, the code of the last error a resident
was shown. The outbox sender's thread runs the ``Collector``: it asks the reader and the
printer how they are (blocking I/O, each bounded by its own timeout, never on the GUI thread),
reads the outbox backlog and the clock skew the sender's client saw, then

- ``heartbeat_devices`` gives the heartbeat's ``devices`` (platform-api.md §6, free-form);
- ``write_textfile`` writes the Prometheus metrics file node_exporter's textfile collector
  reads (docs/staff.md "Monitoring"), a fresh registry each time, replaced atomically.

The devices are asked only while the kiosk is idle: a network printer serves one connection at
a time, and a status query must never take it from a resident's receipt or a staff test page.
During a session the last answers stand (``DeviceHealth.checked_at`` says how old they are:
the heartbeat's ``checked_at``, the metric ``credit_kiosk_devices_checked_timestamp_seconds``).

Nothing here sees resident data: ``observe`` reads the phase, the hall's flags and a
message's key (a code such as ``paper_out``), never the resident.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, write_to_textfile
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector as PrometheusCollector

from devices import errors as device_errors
from devices import receipt_printer
from kiosk.flow import controller as session_controller
from kiosk.flow import session
from kiosk.staff import diagnostics
from offline_cache.errors import CacheError
from offline_cache.outbox import OutboxStats

log = logging.getLogger(__name__)

PREFIX = "credit_kiosk"
TEXTFILE_MODE = 0o644  # node_exporter runs as its own user; the kiosk's umask is 0077
# Devices asked again only after this long: the heartbeat and the metrics of one pass share
# one answer.
PROBE_REUSE_S = 5.0
_CODE = re.compile(r"^[a-z0-9_.]{1,64}$")


class ReaderState(enum.StrEnum):
    """The card reader as the last check found it."""

    PRESENT = "present"  # the reader residents use answers
    ABSENT = "absent"  # no reader matches (unplugged), or the port cannot be opened
    ERROR = "error"  # pcscd down, the vendor library or its security module failing
    UNKNOWN = "unknown"  # not checked yet


class PrinterState(enum.StrEnum):
    """The receipt printer as its last status reply said."""

    OK = "ok"
    PAPER_LOW = "paper_low"  # prints; paper near end
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"  # no answer, or it reports itself offline
    NOT_CONFIGURED = "not_configured"  # printer.connection = "none"
    UNKNOWN = "unknown"  # not checked yet


class PaperState(enum.StrEnum):
    """The paper roll, from the printer's paper sensors."""

    OK = "ok"
    LOW = "low"
    OUT = "out"
    UNKNOWN = "unknown"


class CameraState(enum.StrEnum):
    """The face check's camera, as the face service last saw it (no I/O to know it)."""

    OK = "ok"  # frames arrived at the last try, the models are loaded
    ABSENT = "absent"  # no picture: unplugged, cannot be opened, or not tried successfully yet
    ERROR = "error"  # the camera works but the face models are not usable
    NOT_CONFIGURED = "not_configured"  # camera.source = "": no face check here


@dataclasses.dataclass(frozen=True)
class DeviceHealth:
    """What the devices said at the last check.

    Attributes:
        reader_kind: ``pcsc`` or ``security_module``, as declared to the platform (spec §1).
        checked_at: Unix time of the check (None: never checked).
    """

    reader: ReaderState = ReaderState.UNKNOWN
    reader_kind: str = "pcsc"
    printer: PrinterState = PrinterState.UNKNOWN
    paper: PaperState = PaperState.UNKNOWN
    camera: CameraState = CameraState.NOT_CONFIGURED
    checked_at: float | None = None


@dataclasses.dataclass(frozen=True)
class LastError:
    """The last error a resident was shown: its code (``errors.UserMessage.key``) only."""

    code: str
    at: dt.datetime


@dataclasses.dataclass(frozen=True)
class HealthSnapshot:
    """Everything the heartbeat and the metrics say, at one moment. No personal data.

    Attributes:
        platform_online: The session's verdict on the platform (the reachability probe's).
        clock_skew_s: Platform time minus local time, from the last answer's ``Date``.
        outbox_backlog: Items waiting in the outbox (None: it could not be read).
        outbox_oldest_age_s: Age of the oldest waiting item (None: none waiting).
        uptime_s: Seconds since the kiosk process started.
    """

    version: str
    terminal_id: str
    devices: DeviceHealth
    platform_online: bool = True
    clock_skew_s: float | None = None
    outbox_backlog: int | None = None
    outbox_oldest_age_s: float | None = None
    sessions_started: int = 0
    sessions_completed: int = 0
    last_error: LastError | None = None
    out_of_service: bool = False
    uptime_s: float = 0.0


class Health:
    """The kiosk's health, thread-safe: the core's thread publishes the session's side
    (``observe``), the collector the devices and the outbox; anyone takes a ``snapshot``.

    Args:
        version: The kiosk's version.
        terminal_id: This terminal's id.
        reader_kind: ``pcsc`` or ``security_module``.
        now: The wall clock (tests pass their own).
    """

    def __init__(
        self,
        version: str = "",
        terminal_id: str = "",
        *,
        reader_kind: str = "pcsc",
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.version = version
        self.terminal_id = terminal_id
        self._now = now
        self._lock = threading.Lock()
        self._phase = session.Phase.IDLE
        self._message: object | None = None
        self._started = 0
        self._completed = 0
        self._last_error: LastError | None = None
        self._out_of_service = False
        self._online = True
        self._devices = DeviceHealth(reader_kind=reader_kind)
        self._skew: float | None = None
        self._backlog: int | None = None
        self._oldest_age_s: float | None = None

    # ------------------------------------------------------------ the core's thread
    def follow(self, controller: session_controller.SessionController) -> None:
        """Take the controller's state now and after every change (call on the core's thread)."""
        self.observe(controller.state)
        controller.add_listener(self.observe)

    def observe(self, state: session.SessionState) -> None:
        """A controller listener: counts sessions, keeps the hall's flags and the code of a
        new error message. Reads nothing of the resident."""
        message = state.step.message
        with self._lock:
            if state.phase is not self._phase:
                if state.phase is session.Phase.CONSENT:  # a card on the reader: a session
                    self._started += 1
                elif state.phase is session.Phase.DONE:
                    self._completed += 1
            self._phase = state.phase
            self._out_of_service = state.hall.out_of_service
            self._online = state.hall.online
            if message is not None and message is not self._message:
                self._last_error = LastError(error_code(message.key), self._now())
            self._message = message

    # ------------------------------------------------------------ the collector's thread
    @property
    def idle(self) -> bool:
        """Whether no resident session or staff mode runs now (devices may be asked)."""
        with self._lock:
            return self._phase is session.Phase.IDLE

    @property
    def devices(self) -> DeviceHealth:
        """The devices as last checked."""
        with self._lock:
            return self._devices

    def set_devices(self, devices: DeviceHealth) -> None:
        """The devices' answers of a check."""
        with self._lock:
            self._devices = devices

    def set_outbox(self, stats: OutboxStats | None) -> None:
        """The outbox's backlog (None: it could not be read)."""
        with self._lock:
            self._backlog = None if stats is None else stats.size
            self._oldest_age_s = None if stats is None else stats.oldest_age_s

    def set_clock_skew(self, skew_s: float | None) -> None:
        """The platform's clock minus ours, when an answer said (None: keep the last)."""
        if skew_s is not None:
            with self._lock:
                self._skew = skew_s

    def snapshot(self) -> HealthSnapshot:
        """Everything at once, consistent."""
        with self._lock:
            return HealthSnapshot(
                version=self.version,
                terminal_id=self.terminal_id,
                devices=self._devices,
                platform_online=self._online,
                clock_skew_s=self._skew,
                outbox_backlog=self._backlog,
                outbox_oldest_age_s=self._oldest_age_s,
                sessions_started=self._started,
                sessions_completed=self._completed,
                last_error=self._last_error,
                out_of_service=self._out_of_service,
                uptime_s=diagnostics.uptime_s(),
            )


def error_code(key: str) -> str:
    """A message key as an error code: lower-case words, dots and digits, else ``other``."""
    return key if _CODE.match(key) else "other"


# ---------------------------------------------------------------- asking the devices


def printer_state(status: receipt_printer.PrinterStatus) -> tuple[PrinterState, PaperState]:
    """A DLE EOT status reply as the printer's state and its paper."""
    if not status.known:
        return PrinterState.OFFLINE, PaperState.UNKNOWN
    paper = (
        PaperState.OUT
        if status.paper_end
        else PaperState.LOW
        if status.paper_near_end
        else PaperState.OK
    )
    if status.paper_end:
        return PrinterState.PAPER_OUT, paper
    if status.cover_open:
        return PrinterState.COVER_OPEN, paper
    if not status.online:
        return PrinterState.OFFLINE, paper
    return (PrinterState.PAPER_LOW if status.paper_near_end else PrinterState.OK), paper


def reader_state(targets: diagnostics.Targets) -> ReaderState:
    """Ask the reader (blocking, bounded): pcscd's survey, or the security module's id (read
    once and kept by the adapter while the reader stays)."""
    try:
        if targets.survey_readers is not None:
            slots = targets.survey_readers()
            return ReaderState.PRESENT if any(s.in_use for s in slots) else ReaderState.ABSENT
        library = targets.cfg.reader.vendor_library
        if library and not Path(library).is_file():
            return ReaderState.ERROR
        if targets.security_module_id is not None:
            targets.security_module_id()
    except device_errors.NoReader:
        return ReaderState.ABSENT
    except device_errors.DeviceError:
        return ReaderState.ERROR
    return ReaderState.PRESENT


def camera_state(targets: diagnostics.Targets) -> CameraState:
    """The camera as the face service last saw it (no I/O: the camera is on only while a
    resident's face is checked)."""
    if targets.face is None:
        return CameraState.NOT_CONFIGURED
    health = targets.face.health()
    if not health.camera_configured:
        return CameraState.NOT_CONFIGURED
    if not health.camera_ok:
        return CameraState.ABSENT
    return CameraState.OK if health.models_ok else CameraState.ERROR


def probe_devices(targets: diagnostics.Targets, reader_kind: str, at: float) -> DeviceHealth:
    """Ask the reader and the printer how they are (blocking: a second or two at most)."""
    if targets.printer is None:
        printer, paper = PrinterState.NOT_CONFIGURED, PaperState.UNKNOWN
    else:
        try:
            status = targets.printer.status()
        except device_errors.DeviceError:  # its driver cannot even be loaded
            status = receipt_printer.PrinterStatus(known=False)
        printer, paper = printer_state(status)
    return DeviceHealth(
        reader=reader_state(targets),
        reader_kind=reader_kind,
        printer=printer,
        paper=paper,
        camera=camera_state(targets),
        checked_at=at,
    )


def reader_kind(backend: str) -> str:
    """The reader's kind as declared to the platform (spec §1) for a ``reader.backend``."""
    return "security_module" if backend == "vendor" else "pcsc"


def rfc3339(at: dt.datetime) -> str:
    """``at`` in UTC as RFC 3339 with a ``Z``."""
    return at.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# ---------------------------------------------------------------- the heartbeat


def heartbeat_devices(
    snapshot: HealthSnapshot, *, printer_connection: str = "", a4_printer: bool = False
) -> dict[str, Any]:
    """The heartbeat's ``devices`` (spec §6, free-form): each device's live state."""
    devices = snapshot.devices
    printer: dict[str, Any] = {"state": devices.printer.value, "paper": devices.paper.value}
    if printer_connection:
        printer["connection"] = printer_connection
    last = snapshot.last_error
    return {
        "reader": {"state": devices.reader.value, "kind": devices.reader_kind},
        "printer": printer,
        "a4_printer": {"state": "configured" if a4_printer else "not_configured"},
        "camera": {"state": devices.camera.value},
        "last_error": None if last is None else {"code": last.code, "at": rfc3339(last.at)},
        "checked_at": (
            None
            if devices.checked_at is None
            else rfc3339(dt.datetime.fromtimestamp(devices.checked_at, dt.UTC))
        ),
    }


# ---------------------------------------------------------------- the metrics


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=value)


def _states(
    name: str, documentation: str, states: Iterable[str], current: str, **labels: str
) -> GaugeMetricFamily:
    """One gauge per state, 1 for the current one (as node_exporter's systemd unit states)."""
    family = GaugeMetricFamily(f"{PREFIX}_{name}", documentation, labels=[*labels, "state"])
    for state in states:
        family.add_metric([*labels.values(), state], 1.0 if state == current else 0.0)
    return family


def metric_families(snapshot: HealthSnapshot) -> Iterator[Metric]:
    """Every metric of ``snapshot``; a value that is not known is left out, not made up."""
    devices = snapshot.devices
    yield _gauge("up", "1 while the kiosk process runs and writes this file.", 1.0)
    info = GaugeMetricFamily(
        f"{PREFIX}_info", "The kiosk's version and terminal id.", labels=["version", "terminal_id"]
    )
    info.add_metric([snapshot.version, snapshot.terminal_id], 1.0)
    yield info
    yield _gauge("uptime_seconds", "Seconds since the kiosk process started.", snapshot.uptime_s)
    yield _gauge(
        "out_of_service",
        "1 while staff have put the kiosk out of service.",
        1.0 if snapshot.out_of_service else 0.0,
    )
    yield _gauge(
        "platform_reachable",
        "1 while the credit platform answers the kiosk's probe.",
        1.0 if snapshot.platform_online else 0.0,
    )
    if snapshot.clock_skew_s is not None:
        yield _gauge(
            "clock_skew_seconds",
            "The platform's clock minus the kiosk's, from the last answer's Date header.",
            snapshot.clock_skew_s,
        )
    present = GaugeMetricFamily(
        f"{PREFIX}_reader_present", "1 when the card reader residents use answers.", labels=["kind"]
    )
    present.add_metric([devices.reader_kind], 1.0 if devices.reader is ReaderState.PRESENT else 0.0)
    yield present
    yield _states(
        "reader_state",
        "The card reader's state (1 for the current one).",
        [s.value for s in ReaderState],
        devices.reader.value,
        kind=devices.reader_kind,
    )
    yield _states(
        "printer_state",
        "The receipt printer's state from its last status reply (1 for the current one).",
        [s.value for s in PrinterState],
        devices.printer.value,
    )
    yield _states(
        "camera_state",
        "The face check camera's state (1 for the current one).",
        [s.value for s in CameraState],
        devices.camera.value,
    )
    if devices.checked_at is not None:
        yield _gauge(
            "devices_checked_timestamp_seconds",
            "When the reader and the printer were last asked (only while idle).",
            devices.checked_at,
        )
    if snapshot.outbox_backlog is not None:
        yield _gauge(
            "outbox_backlog_items",
            "Items waiting in the offline queue for the platform.",
            snapshot.outbox_backlog,
        )
        yield _gauge(
            "outbox_oldest_item_age_seconds",
            "Age of the oldest item waiting in the offline queue (0 when none waits).",
            snapshot.outbox_oldest_age_s or 0.0,
        )
    yield CounterMetricFamily(
        f"{PREFIX}_sessions_started",
        "Resident sessions started (a card on the reader, the consent screen shown) since the "
        "kiosk started.",
        value=snapshot.sessions_started,
    )
    yield CounterMetricFamily(
        f"{PREFIX}_sessions_completed",
        "Resident sessions that reached the done screen since the kiosk started.",
        value=snapshot.sessions_completed,
    )
    if snapshot.last_error is not None:
        last = GaugeMetricFamily(
            f"{PREFIX}_last_error_info",
            "The code of the last error a resident was shown (the code only).",
            labels=["code"],
        )
        last.add_metric([snapshot.last_error.code], 1.0)
        yield last
        yield _gauge(
            "last_error_timestamp_seconds",
            "When the last error was shown.",
            snapshot.last_error.at.timestamp(),
        )


class _SnapshotCollector(PrometheusCollector):
    def __init__(self, snapshot: HealthSnapshot) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterable[Metric]:
        return list(metric_families(self._snapshot))


def registry_of(snapshot: HealthSnapshot) -> CollectorRegistry:
    """A fresh registry holding ``snapshot``'s metrics."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SnapshotCollector(snapshot))
    return registry


def write_textfile(path: Path, snapshot: HealthSnapshot) -> None:
    """Write ``snapshot``'s metrics to ``path`` for node_exporter: never seen half-written.

    ``write_to_textfile`` writes a temporary file and renames it, but with the process's
    umask (the service runs with 0077: node_exporter could not read it). So it writes a
    staging file beside ``path`` (a name node_exporter ignores: not ``*.prom``), which is
    made 0644 and then renamed over ``path``, atomically.

    Raises:
        OSError: The folder is missing or not writable.
    """
    staging = path.with_name(f".{path.name}.staging")
    try:
        write_to_textfile(str(staging), registry_of(snapshot))
        staging.chmod(TEXTFILE_MODE)
        staging.replace(path)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise


class Collector:
    """Keeps ``Health`` current and writes the metrics file; runs on the sender's thread.

    Args:
        health: The health both threads share.
        targets: The kiosk's own reader, printer and face service (``Kiosk.diagnosis``).
        outbox_stats: Reads the outbox's backlog (``OfflineServices.stats``).
        clock_skew: The clock skew a platform client saw last (None: none yet).
        textfile: The metrics file (None: none is written).
        printer_connection: How the printer is connected (``printer.connection``).
        a4_printer: Whether an A4 queue is configured.
        clock: Unix time.
    """

    def __init__(
        self,
        health: Health,
        targets: diagnostics.Targets | None,
        *,
        outbox_stats: Callable[[], OutboxStats] | None = None,
        clock_skew: Callable[[], float | None] = lambda: None,
        textfile: Path | None = None,
        printer_connection: str = "",
        a4_printer: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.health = health
        self._targets = targets
        self._outbox_stats = outbox_stats
        self._clock_skew = clock_skew
        self.textfile = textfile
        self._printer_connection = printer_connection
        self._a4_printer = a4_printer
        self._clock = clock
        self._lock = threading.Lock()  # one collection at a time
        self._write_failure = ""  # the last write failure logged (once, until it changes)

    def collect(self) -> HealthSnapshot:
        """Ask the devices (only while idle, at most every ``PROBE_REUSE_S``), read the
        outbox, and return the snapshot (blocking: call it off the GUI thread)."""
        with self._lock:
            now = self._clock()
            checked = self.health.devices.checked_at
            due = checked is None or now - checked >= PROBE_REUSE_S or now < checked
            if self._targets is not None and due and self.health.idle:
                kind = self.health.devices.reader_kind
                try:
                    self.health.set_devices(probe_devices(self._targets, kind, now))
                except Exception as exc:  # a bug in an adapter must not cost the heartbeat
                    log.warning("health: devices not checked: %s", exc, exc_info=exc)
            if self._outbox_stats is not None:
                try:
                    self.health.set_outbox(self._outbox_stats())
                except CacheError as exc:
                    log.warning("health: the outbox backlog cannot be read: %s", exc)
                    self.health.set_outbox(None)
            self.health.set_clock_skew(self._clock_skew())
            return self.health.snapshot()

    def heartbeat_devices(self) -> Mapping[str, Any]:
        """A fresh heartbeat ``devices`` (the sender's ``heartbeat`` calls it)."""
        return heartbeat_devices(
            self.collect(),
            printer_connection=self._printer_connection,
            a4_printer=self._a4_printer,
        )

    def write(self) -> None:
        """Collect and write the metrics file (the sender's ``tick``); a failure to write is
        logged once until it changes or the file is written again."""
        snapshot = self.collect()
        if self.textfile is None:
            return
        try:
            write_textfile(self.textfile, snapshot)
        except OSError as exc:
            failure = f"{type(exc).__name__}: {exc.strerror or exc}"
            if failure != self._write_failure:
                log.warning("metrics file %s not written: %s", self.textfile, failure)
            self._write_failure = failure
            return
        if self._write_failure:
            log.info("metrics file %s written again", self.textfile)
            self._write_failure = ""
