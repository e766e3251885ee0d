"""What operators see of a running kiosk, built as the composition root builds it: the
heartbeat over real HTTPS to the platform simulator and the metrics file, both from one
health snapshot, asked of a real (virtual) printer on TCP and a real SQLite outbox."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from devices import card_reader
from devices import errors as device_errors
from kiosk import config as kiosk_config
from kiosk import errors
from kiosk.app import composition
from kiosk.flow import session
from kiosk.offline import services as offline_services
from kiosk.offline.sender import queue_audit_event
from kiosk.platform.client import PlatformClient
from kiosk.platform.credentials import TerminalCredentials
from kiosk.platform.models import AuditEvent
from kiosk.staff import diagnostics, metrics
from offline_cache.keys import StaticKeyProvider
from offline_cache.outbox import Outbox
from simulators.platform_server import PlatformSimulator
from simulators.virtual_printer import VirtualPrinter
from tests.support import fakes

READER = "Virtual PCD 00 00"


def wait_for(predicate: Callable[[], Any], what: str, timeout_s: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (found := predicate()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.05)  # polling interval, not synchronisation
    return found


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
def cfg(
    tmp_path: Path, platform_sim: PlatformSimulator, virtual_printer: VirtualPrinter
) -> kiosk_config.KioskConfig:
    (tmp_path / "node-exporter").mkdir()
    return kiosk_config.parse_config(
        {
            "platform": {"url": platform_sim.base_url, "ca_bundle": platform_sim.ca_bundle_path},
            "printer": {"host": "127.0.0.1", "port": virtual_printer.port},
            "paths": {"data_dir": str(tmp_path / "data"), "log_dir": str(tmp_path / "logs")},
            "metrics": {
                "textfile": str(tmp_path / "node-exporter" / "credit_kiosk.prom"),
                "interval_s": 1.0,
            },
        }
    )


@pytest.fixture
def creds(enrolled_client: PlatformClient) -> TerminalCredentials:
    assert enrolled_client.credentials is not None
    return enrolled_client.credentials


def devices_of(
    cfg: kiosk_config.KioskConfig, survey: Callable[[], list[card_reader.ReaderSlot]]
) -> diagnostics.Targets:
    """The kiosk's devices as ``build_kiosk`` makes them, but the reader: pcscd's survey is
    played by ``survey`` (no pcscd in these tests)."""
    return diagnostics.Targets(
        cfg=cfg,
        reader=fakes.NoReader(),
        printer=composition.build_printer(cfg.printer),
        survey_readers=survey,
        platform_client=lambda c, t: composition.build_platform_client(cfg, c),
    )


def reader_in_use() -> list[card_reader.ReaderSlot]:
    return [card_reader.ReaderSlot(READER, "vpcd", False, b"", True)]


def pcscd_down() -> list[card_reader.ReaderSlot]:
    raise device_errors.ReaderServiceDown("pcscd is not available")


def paper_out_shown(health: metrics.Health) -> None:
    """A resident was told the printer has no paper; then the session ended."""
    paper_out = errors.to_user_message(device_errors.PaperOut("paper end"))
    health.observe(session.SessionState(phase=session.Phase.CONSENT))
    health.observe(
        session.SessionState(phase=session.Phase.ERROR, step=session.Step(message=paper_out))
    )
    health.observe(session.SessionState())


@pytest.fixture
def running(
    cfg: kiosk_config.KioskConfig,
    creds: TerminalCredentials,
    memory_keyring: object,
    virtual_printer: VirtualPrinter,
) -> Iterator[tuple[offline_services.OfflineServices, metrics.Health]]:
    """The offline layer as ``build_kiosk`` wires it, started with the paper out."""
    virtual_printer.set_state(paper="end")
    health = composition.build_health(cfg, creds)
    paper_out_shown(health)
    offline = composition.build_offline(
        cfg, creds, fakes.NoReader(), health=health, devices=devices_of(cfg, reader_in_use)
    )
    offline.start()
    try:
        yield offline, health
    finally:
        offline.stop()


def test_the_heartbeat_carries_each_devices_live_state(
    running: tuple[offline_services.OfflineServices, metrics.Health],
    platform_sim: PlatformSimulator,
    virtual_printer: VirtualPrinter,
    creds: TerminalCredentials,
    cfg: kiosk_config.KioskConfig,
) -> None:
    offline, health = running
    beat = wait_for(lambda: platform_sim.last_heartbeat(creds.terminal_id), "a heartbeat")
    devices = beat["devices"]
    assert devices["reader"] == {"state": "present", "kind": "pcsc"}
    assert devices["printer"] == {"state": "paper_out", "paper": "out", "connection": "network"}
    assert devices["camera"] == {"state": "not_configured"}
    assert devices["a4_printer"] == {"state": "not_configured"}
    last = devices["last_error"]
    assert last["code"] == "paper_out"
    assert abs(dt.datetime.fromisoformat(last["at"]) - dt.datetime.now(dt.UTC)).total_seconds() < 60
    assert last["at"].endswith("Z")
    # The rest of the heartbeat as before (spec §6): backlog on top, hardware declared.
    assert beat["outbox_backlog"] == 0
    assert beat["hardware"]["readers"][0]["kind"] == "pcsc"
    assert beat["version"] == diagnostics.app_version()
    # The metrics file says the same, from the same snapshot, on the same thread.
    path = Path(cfg.metrics.textfile)
    found = wait_for(
        lambda: (
            path.is_file()
            and (s := samples(path.read_text(encoding="utf-8"))).get(
                ("credit_kiosk_printer_state", frozenset({("state", "paper_out")}))
            )
            and s
        ),
        "the metrics file saying the paper is out",
    )
    assert found[("credit_kiosk_last_error_info", frozenset({("code", "paper_out")}))] == 1
    assert found[("credit_kiosk_sessions_started_total", frozenset())] == 1
    assert health.snapshot().devices.printer is metrics.PrinterState.PAPER_OUT
    # Live: paper back in, and the next file says so (the devices are asked again while idle).
    virtual_printer.set_state(paper="ok")
    wait_for(
        lambda: samples(path.read_text(encoding="utf-8")).get(
            ("credit_kiosk_printer_state", frozenset({("state", "ok")}))
        ),
        "the metrics file saying the printer is fine again",
    )
    assert offline.sender.consecutive_failures == 0


def test_the_metrics_of_a_kiosk_in_trouble(
    cfg: kiosk_config.KioskConfig,
    tmp_path: Path,
    virtual_printer: VirtualPrinter,
) -> None:
    """Paper out, three records waiting for a platform that is away, staff put it out of
    service, pcscd down: each read from the real thing."""
    virtual_printer.set_state(paper="end")
    health = metrics.Health("9.9", "T-0042")
    health.observe(session.SessionState(hall=session.Hall(out_of_service=True, online=False)))
    path = Path(cfg.metrics.textfile)
    with Outbox(tmp_path / "outbox.sqlite3", StaticKeyProvider()) as box:
        for n in range(3):
            queue_audit_event(
                box, AuditEvent(f"evt-{n}", dt.datetime.now(dt.UTC), "staff_opened", {})
            )
        collector = metrics.Collector(
            health,
            devices_of(cfg, pcscd_down),
            outbox_stats=box.stats,
            clock_skew=lambda: 2.0,
            textfile=path,
        )
        collector.write()
    found = samples(path.read_text(encoding="utf-8"))

    def get(name: str, **labels: str) -> float:
        return found[(name, frozenset(labels.items()))]

    assert get("credit_kiosk_printer_state", state="paper_out") == 1
    assert get("credit_kiosk_outbox_backlog_items") == 3
    assert 0 <= get("credit_kiosk_outbox_oldest_item_age_seconds") < 60
    assert get("credit_kiosk_platform_reachable") == 0
    assert get("credit_kiosk_out_of_service") == 1
    assert get("credit_kiosk_reader_present", kind="pcsc") == 0
    assert get("credit_kiosk_reader_state", kind="pcsc", state="error") == 1
    assert get("credit_kiosk_clock_skew_seconds") == 2.0
    assert get("credit_kiosk_info", version="9.9", terminal_id="T-0042") == 1


def test_a_session_in_progress_leaves_the_printer_alone(
    cfg: kiosk_config.KioskConfig, virtual_printer: VirtualPrinter
) -> None:
    """A network printer serves one connection at a time: while a resident is there the last
    answer stands and nothing connects to it."""
    health = metrics.Health("1.0", "T-1")
    collector = metrics.Collector(health, devices_of(cfg, reader_in_use))
    assert collector.collect().devices.printer is metrics.PrinterState.OK
    connections = virtual_printer.connections
    health.observe(session.SessionState(phase=session.Phase.PRINTING))
    virtual_printer.set_state(paper="end")
    later = dataclasses.replace(health.devices, checked_at=0.0)  # long ago: due again
    health.set_devices(later)
    assert collector.collect().devices.printer is metrics.PrinterState.OK
    assert virtual_printer.connections == connections
    health.observe(session.SessionState())
    assert collector.collect().devices.printer is metrics.PrinterState.PAPER_OUT
