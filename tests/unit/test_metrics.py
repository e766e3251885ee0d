"""The health snapshot and the Prometheus textfile: real files, parsed back with
prometheus_client's own parser; nothing of a resident ever in them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from devices import errors as device_errors
from devices import receipt_printer
from kiosk import config as kiosk_config
from kiosk import errors
from kiosk.flow import session
from kiosk.offline.sender import Backoff, Heartbeat, OutboxSender, RunResult
from kiosk.platform import models
from kiosk.staff import metrics
from offline_cache.keys import StaticKeyProvider
from offline_cache.outbox import Outbox
from simulators.residents import RESIDENTS
from tests.support import fakes
from tests.support.kiosk import make_controller

ZHANG = RESIDENTS["zhang_wei"]
AT = dt.datetime(2026, 11, 25, 10, 30, tzinfo=dt.UTC)


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a textfile: (name, labels) -> value."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found[(name, frozenset(labels.items()))]


def broken_kiosk_snapshot() -> metrics.HealthSnapshot:
    """Paper out, three items waiting, the platform away, staff put it out of service."""
    return metrics.HealthSnapshot(
        version="1.2.3",
        terminal_id="T-0042",
        devices=metrics.DeviceHealth(
            reader=metrics.ReaderState.PRESENT,
            reader_kind="pcsc",
            printer=metrics.PrinterState.PAPER_OUT,
            paper=metrics.PaperState.OUT,
            camera=metrics.CameraState.NOT_CONFIGURED,
            checked_at=AT.timestamp(),
        ),
        platform_online=False,
        clock_skew_s=-1.5,
        outbox_backlog=3,
        outbox_oldest_age_s=7200.0,
        sessions_started=7,
        sessions_completed=5,
        last_error=metrics.LastError("paper_out", AT),
        out_of_service=True,
        uptime_s=86400.0,
    )


@pytest.fixture
def umask_0077() -> Iterator[None]:
    """The service's umask (deploy/credit-kiosk@.service: UMask=0077)."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


# ---------------------------------------------------------------- the textfile


@pytest.mark.usefixtures("umask_0077")
def test_the_textfile_says_what_the_snapshot_says(tmp_path: Path) -> None:
    path = tmp_path / "credit_kiosk.prom"
    metrics.write_textfile(path, broken_kiosk_snapshot())
    text = path.read_text(encoding="utf-8")
    found = samples(text)
    assert value(found, "credit_kiosk_up") == 1
    assert value(found, "credit_kiosk_info", version="1.2.3", terminal_id="T-0042") == 1
    assert value(found, "credit_kiosk_printer_state", state="paper_out") == 1
    others = [s.value for s in metrics.PrinterState if s is not metrics.PrinterState.PAPER_OUT]
    assert all(value(found, "credit_kiosk_printer_state", state=s) == 0 for s in others)
    assert value(found, "credit_kiosk_reader_present", kind="pcsc") == 1
    assert value(found, "credit_kiosk_reader_state", kind="pcsc", state="present") == 1
    assert value(found, "credit_kiosk_camera_state", state="not_configured") == 1
    assert value(found, "credit_kiosk_platform_reachable") == 0
    assert value(found, "credit_kiosk_clock_skew_seconds") == -1.5
    assert value(found, "credit_kiosk_outbox_backlog_items") == 3
    assert value(found, "credit_kiosk_outbox_oldest_item_age_seconds") == 7200
    assert value(found, "credit_kiosk_sessions_started_total") == 7
    assert value(found, "credit_kiosk_sessions_completed_total") == 5
    assert value(found, "credit_kiosk_last_error_info", code="paper_out") == 1
    assert value(found, "credit_kiosk_last_error_timestamp_seconds") == AT.timestamp()
    assert value(found, "credit_kiosk_out_of_service") == 1
    assert value(found, "credit_kiosk_uptime_seconds") == 86400
    assert value(found, "credit_kiosk_devices_checked_timestamp_seconds") == AT.timestamp()
    families = list(text_string_to_metric_families(text))
    assert all(f.name.startswith("credit_kiosk_") and f.documentation for f in families)
    types = {f.name: f.type for f in families}
    assert types["credit_kiosk_sessions_started"] == "counter"
    assert types["credit_kiosk_printer_state"] == "gauge"


@pytest.mark.usefixtures("umask_0077")
def test_the_textfile_is_replaced_whole_and_readable_by_node_exporter(tmp_path: Path) -> None:
    path = tmp_path / "credit_kiosk.prom"
    path.write_text("# an older kiosk's file\n", encoding="utf-8")
    path.chmod(0o600)
    metrics.write_textfile(path, broken_kiosk_snapshot())
    # node_exporter runs as its own user: 0644 even under the service's umask 0077.
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    # Nothing left beside it: no temporary or staging file (node_exporter reads *.prom only,
    # but a folder filling up with leftovers is a fault of its own).
    assert [p.name for p in tmp_path.iterdir()] == ["credit_kiosk.prom"]
    first_inode = path.stat().st_ino
    fine = dataclasses.replace(broken_kiosk_snapshot(), out_of_service=False)
    metrics.write_textfile(path, fine)
    assert path.stat().st_ino != first_inode  # a new file renamed over it, not rewritten
    assert value(samples(path.read_text(encoding="utf-8")), "credit_kiosk_out_of_service") == 0


def test_a_failed_write_leaves_the_last_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "credit_kiosk.prom"
    metrics.write_textfile(path, broken_kiosk_snapshot())
    before = path.read_bytes()

    def broken(snapshot: metrics.HealthSnapshot) -> Iterator[Any]:
        yield metrics._gauge("up", "up", 1.0)
        raise RuntimeError("a collector failing halfway through")

    monkeypatch.setattr(metrics, "metric_families", broken)
    with pytest.raises(RuntimeError):
        metrics.write_textfile(path, broken_kiosk_snapshot())
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["credit_kiosk.prom"]


def test_unknown_values_are_left_out_not_made_up(tmp_path: Path) -> None:
    path = tmp_path / "credit_kiosk.prom"
    metrics.write_textfile(path, metrics.HealthSnapshot("1.0", "T-1", metrics.DeviceHealth()))
    names = {name for name, _ in samples(path.read_text(encoding="utf-8"))}
    for absent in (
        "credit_kiosk_clock_skew_seconds",
        "credit_kiosk_outbox_backlog_items",
        "credit_kiosk_last_error_info",
        "credit_kiosk_devices_checked_timestamp_seconds",
    ):
        assert absent not in names
    found = samples(path.read_text(encoding="utf-8"))
    assert value(found, "credit_kiosk_printer_state", state="unknown") == 1


@pytest.mark.expect_log("kiosk.staff.metrics")
def test_a_folder_that_cannot_be_written_is_logged_once_and_never_stops_the_kiosk(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "node-exporter" / "credit_kiosk.prom"
    collector = metrics.Collector(metrics.Health("1.0", "T-1"), None, textfile=missing)
    collector.write()
    collector.write()
    warnings = [r for r in caplog.records if r.name == "kiosk.staff.metrics"]
    assert len(warnings) == 1 and "not written" in warnings[0].getMessage()
    missing.parent.mkdir()
    collector.write()
    assert missing.is_file()


# ---------------------------------------------------------------- no resident data


def resident_on_screen(message: errors.UserMessage | None) -> session.SessionState:
    """Zhang Wei's report on screen: his name, masked id and phone are in the state."""
    identity = models.IdentitySession(
        session_id="sess-1",
        expires_at=AT,
        name=ZHANG.name,
        id_masked=ZHANG.id_masked,
        second_factors=("sms",),
        phone_masked=ZHANG.phone_masked,
    )
    return session.SessionState(
        phase=session.Phase.REPORT,
        resident=session.Resident(identity=identity, access_token="token-secret"),
        step=session.Step(message=message),
    )


@pytest.mark.usefixtures("umask_0077")
def test_neither_the_textfile_nor_the_heartbeat_holds_resident_data(tmp_path: Path) -> None:
    assert ZHANG.phone is not None and ZHANG.phone_masked is not None
    health = metrics.Health("1.0", "T-1", now=lambda: AT)
    health.observe(session.SessionState())
    health.observe(dataclasses.replace(resident_on_screen(None), phase=session.Phase.CONSENT))
    paper_out = errors.to_user_message(device_errors.PaperOut("paper end"))
    health.observe(resident_on_screen(paper_out))
    path = tmp_path / "credit_kiosk.prom"
    metrics.write_textfile(path, health.snapshot())
    devices = metrics.heartbeat_devices(health.snapshot())
    written = path.read_text(encoding="utf-8") + json.dumps(devices, ensure_ascii=False)
    for personal in (
        ZHANG.name,
        ZHANG.id_number,
        ZHANG.id_masked,
        ZHANG.phone,
        ZHANG.phone_masked,
        "token-secret",
        "sess-1",
    ):
        assert personal not in written, personal
    # What it does say: the code of the error the resident was shown.
    assert devices["last_error"] == {"code": "paper_out", "at": "2026-11-25T10:30:00Z"}
    assert value(samples(path.read_text()), "credit_kiosk_last_error_info", code="paper_out") == 1


def test_an_error_code_is_a_code_or_nothing() -> None:
    assert metrics.error_code("card_invalid.expired") == "card_invalid.expired"
    assert metrics.error_code("张伟 110101199003071234") == "other"
    assert metrics.error_code("") == "other"


# ---------------------------------------------------------------- the session's side


def test_health_follows_the_controller_sessions_switches_and_platform() -> None:
    harness = make_controller()
    health = metrics.Health("1.0", "T-1", now=lambda: AT)
    health.follow(harness.controller)
    harness.feed(session.PlatformStatusChanged(online=False))
    snapshot = health.snapshot()
    assert not snapshot.platform_online and snapshot.sessions_started == 0
    harness.feed(session.PlatformStatusChanged(online=True), session.CardInserted())
    assert not health.idle  # a resident is there: the devices are left alone
    harness.feed(session.CardRemoved(), session.CardInserted(), session.CardRemoved())
    harness.feed(session.OutOfServiceSet(on=True))
    snapshot = health.snapshot()
    assert health.idle
    assert (snapshot.sessions_started, snapshot.sessions_completed) == (2, 0)
    assert snapshot.out_of_service and snapshot.platform_online
    assert snapshot.last_error is None
    harness.controller.stop()


def test_only_a_new_message_is_a_new_error() -> None:
    times = iter([AT, AT + dt.timedelta(minutes=1), AT + dt.timedelta(minutes=2)])
    health = metrics.Health(now=lambda: next(times))
    shown = errors.to_user_message(device_errors.CoverOpen("cover"))
    health.observe(resident_on_screen(shown))
    health.observe(dataclasses.replace(resident_on_screen(shown), timer=3))  # same screen
    assert health.snapshot().last_error == metrics.LastError("cover_open", AT)
    health.observe(resident_on_screen(None))
    health.observe(resident_on_screen(shown))  # shown again: a second error
    assert health.snapshot().last_error == metrics.LastError(
        "cover_open", AT + dt.timedelta(minutes=1)
    )


# ---------------------------------------------------------------- the devices


@pytest.mark.parametrize(
    ("status", "state", "paper"),
    [
        (receipt_printer.PrinterStatus(known=True, online=True), "ok", "ok"),
        (
            receipt_printer.PrinterStatus(known=True, online=True, paper_near_end=True),
            "paper_low",
            "low",
        ),
        (
            receipt_printer.PrinterStatus(known=True, online=False, paper_end=True),
            "paper_out",
            "out",
        ),
        (
            receipt_printer.PrinterStatus(known=True, online=False, cover_open=True),
            "cover_open",
            "ok",
        ),
        (receipt_printer.PrinterStatus(known=True, online=False), "offline", "ok"),
        (receipt_printer.PrinterStatus(known=False), "offline", "unknown"),
    ],
)
def test_a_printer_status_reply_as_a_state(
    status: receipt_printer.PrinterStatus, state: str, paper: str
) -> None:
    assert metrics.printer_state(status) == (state, paper)


# ---------------------------------------------------------------- the sender's tick


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def run_sender_thread(
    tmp_path: Path, clock: _Clock, tick: Callable[[], object], passes: int
) -> list[float]:
    """The sender's own thread against a platform that refuses (it backs off 600 s), its
    sleeps recorded and passed on the fake clock: the first ``passes`` sleeps."""
    waits: list[float] = []
    enough = threading.Event()

    def wait(seconds: float) -> None:
        waits.append(seconds)
        clock.now += seconds
        if len(waits) >= passes:
            enough.set()
            time.sleep(0.01)  # the test stops the thread; each pass is instant otherwise

    with Outbox(tmp_path / "outbox.sqlite3", StaticKeyProvider(), clock=clock) as box:
        sender = OutboxSender(
            box,
            fakes.RefusingSubmitter(bad=""),
            clock=clock,
            rand=lambda: 0.5,
            backoff=Backoff(base_s=600, max_s=600, jitter=0),
            wait=wait,
            heartbeat=lambda: Heartbeat("1.0", {}),
            heartbeat_interval_s=300,
            tick=tick,
            tick_interval_s=60,
        )
        sender.start()
        try:
            assert enough.wait(5)
        finally:
            sender.stop()
    return waits[:passes]


def test_the_tick_keeps_its_interval_while_the_sender_backs_off(tmp_path: Path) -> None:
    clock = _Clock()
    start = clock.now
    ticks: list[float] = []
    waits = run_sender_thread(tmp_path, clock, lambda: ticks.append(clock.now), 4)
    assert waits == [60, 60, 60, 60]  # not the 600 s of the back-off
    assert ticks[:4] == [start, start + 60, start + 120, start + 180]
    # Without a tick the back-off is waited out whole, as before.
    with Outbox(tmp_path / "other.sqlite3", StaticKeyProvider(), clock=clock) as box:
        plain = OutboxSender(box, fakes.RefusingSubmitter(bad=""), clock=clock)
        assert plain.next_wait(RunResult(failed=1, paused_until=clock.now + 600)) == 600


@pytest.mark.expect_log("kiosk.offline.sender")
def test_a_failing_tick_is_logged_and_the_next_one_still_comes(tmp_path: Path) -> None:
    clock = _Clock()
    calls: list[float] = []

    def tick() -> None:
        calls.append(clock.now)
        raise OSError("disk full")

    waits = run_sender_thread(tmp_path, clock, tick, 2)
    assert waits == [60, 60]
    assert len(calls) >= 2


# ---------------------------------------------------------------- the configuration


def test_the_metrics_section_is_off_by_default_and_validated() -> None:
    assert kiosk_config.KioskConfig().metrics == kiosk_config.MetricsConfig(
        textfile="", interval_s=60.0
    )
    good = "/var/lib/prometheus/node-exporter/credit_kiosk.prom"
    cfg = kiosk_config.parse_config({"metrics": {"textfile": good, "interval_s": 15}})
    assert (cfg.metrics.textfile, cfg.metrics.interval_s) == (good, 15.0)
    with pytest.raises(errors.ConfigError) as refused:
        kiosk_config.parse_config(
            {"metrics": {"textfile": "credit_kiosk.prom", "interval_s": 0.5, "port": 9100}}
        )
    assert refused.value.problems == ["metrics.port: unknown key (known: textfile, interval_s)"]
    with pytest.raises(errors.ConfigError) as refused:
        kiosk_config.parse_config({"metrics": {"textfile": "credit_kiosk.prom", "interval_s": 0.5}})
    assert [p.split(":")[0] for p in refused.value.problems] == [
        "metrics.textfile",
        "metrics.interval_s",
    ]
    with pytest.raises(errors.ConfigError, match=r"only files ending in \.prom"):
        kiosk_config.parse_config({"metrics": {"textfile": "/var/lib/node-exporter/kiosk.txt"}})
    again = kiosk_config.parse_config({"metrics": {"textfile": good}})
    assert kiosk_config.to_toml(again).count("[metrics]") == 1
