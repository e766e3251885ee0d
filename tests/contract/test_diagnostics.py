"""Diagnostics against the simulators in every state they report; `kiosk diag` in bounded time."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import socket
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk import config as kiosk_config
from kiosk.app import cli, composition
from kiosk.offline import services as offline_services
from kiosk.platform import credentials
from kiosk.staff import diagnostics
from offline_cache.keys import StaticKeyProvider
from offline_cache.outbox import Outbox
from simulators import demo
from simulators.memory_keyring import MemoryKeyring
from simulators.pcscd import PcscdInfo, PcscdProcess
from simulators.platform_server import PlatformSimulator
from simulators.virtual_card import VirtualCardClient
from simulators.virtual_printer import VirtualPrinter


def levels(checks: list[diagnostics.Check]) -> dict[str, str]:
    return {c.name: c.level for c in checks}


def by_name(checks: list[diagnostics.Check]) -> dict[str, diagnostics.Check]:
    return {c.name: c for c in checks}


@pytest.fixture
def sim_config(
    tmp_path: Path,
    pcscd: PcscdInfo,
    platform_sim: PlatformSimulator,
    virtual_printer: VirtualPrinter,
    memory_keyring: MemoryKeyring,
) -> kiosk_config.KioskConfig:
    """A kiosk enrolled with the platform simulator, its printer and pcscd's virtual reader."""
    cfg = demo.simulator_config(
        platform_sim, virtual_printer, pcscd.reader, tmp_path / "data", tmp_path / "logs"
    )
    demo.enroll(cfg, platform_sim)
    return cfg


def test_everything_green_against_the_simulators(
    sim_config: kiosk_config.KioskConfig, pcscd: PcscdInfo
) -> None:
    checks = diagnostics.run_checks(composition.build_diagnosis(sim_config))
    assert levels(checks) == {
        "card reader": "green",
        "printer": "green",
        "enrollment": "green",
        "platform": "green",
        "approvals": "green",
        "clock": "green",
        "offline queue": "green",
        "system": "green",
    }
    found = by_name(checks)
    # A PC/SC terminal is served without approvals: they are shown for staff to see.
    assert found["approvals"].summary == "certified reader not approved, face check not approved"
    assert found["card reader"].summary == f"using {pcscd.reader}"
    assert found["card reader"].details["pcscd_reachable"] is True
    platform = found["platform"].details
    assert platform["tls_subject"]
    assert dt.datetime.fromisoformat(platform["tls_expires"]) > dt.datetime.now(dt.UTC)
    assert platform["latency_ms"] >= 0
    assert found["system"].details["version"]


def test_offline_queue_shows_backlog_oldest_age_last_sync_and_a_full_queue(
    sim_config: kiosk_config.KioskConfig,
) -> None:
    check = diagnostics.check_offline_queue(sim_config)
    assert (check.level, check.summary) == ("green", "empty (nothing queued yet)")
    path = Path(sim_config.paths.data_dir) / offline_services.OUTBOX_FILE
    now = time.time()
    with Outbox(path, StaticKeyProvider(), max_items=3, clock=lambda: now - 7200) as box:
        box.enqueue("audit", {"n": 1}, "k-1")
        box.delivered(box.enqueue("audit", {"n": 2}, "k-2"), now=now - 60)
        check = diagnostics.check_offline_queue(sim_config)
        assert check.level == "amber"  # waiting for two hours
        assert check.details["size"] == 1
        assert 7190 < check.details["oldest_age_s"] < 7300
        assert check.details["last_sync"] is not None
        assert check.summary.startswith("1 waiting, oldest 2.0 h; last sync ")
        box.enqueue("audit", {"n": 3}, "k-3")
        box.enqueue("audit", {"n": 4}, "k-4")
        small = dataclasses.replace(
            sim_config, offline=kiosk_config.OfflineConfig(outbox_max_items=3)
        )
        full = diagnostics.check_offline_queue(small)
        assert full.level == "red" and "已满" in full.advice


def test_staff_checks_test_the_reader_and_printer_residents_use(
    sim_config: kiosk_config.KioskConfig, virtual_card: Callable[..., VirtualCardClient]
) -> None:
    creds = credentials.CredentialStore().load()
    assert creds is not None
    kiosk = composition.build_kiosk(sim_config, creds)
    try:
        assert kiosk.diagnosis.reader is kiosk.services.reader
        assert kiosk.diagnosis.printer is kiosk.services.printer
        virtual_card()
        assert diagnostics.read_test_card(kiosk.diagnosis).level == "green"
    finally:
        kiosk.offline.stop()


def test_a_card_in_the_reader_shows_its_atr_and_that_it_is_compatible(
    sim_config: kiosk_config.KioskConfig, virtual_card: Callable[..., VirtualCardClient]
) -> None:
    virtual_card()
    check = diagnostics.check_reader(composition.build_diagnosis(sim_config))
    reader = next(r for r in check.details["readers"] if r["name"] == check.details["using"])
    assert reader["card_present"] is True
    assert "52 49 44 31" in reader["atr"]  # "RID1" in the historical bytes
    assert reader["reader_compatible"] is True
    assert reader["card_compatible"] is True
    assert check.level == "green"
    assert diagnostics.read_test_card(composition.build_diagnosis(sim_config)).level == "green"


def test_read_test_card_without_a_card_asks_for_one(sim_config: kiosk_config.KioskConfig) -> None:
    check = diagnostics.read_test_card(composition.build_diagnosis(sim_config))
    assert check.level == "amber"
    assert "no card" in check.summary


def test_a_reader_missing_from_the_compatible_list_is_amber(
    sim_config: kiosk_config.KioskConfig,
) -> None:
    local = Path(sim_config.paths.data_dir) / "compat" / "readers.json"
    local.parent.mkdir(parents=True)
    local.write_text(json.dumps({"readers": [], "cards": []}), encoding="utf-8")
    check = diagnostics.check_reader(composition.build_diagnosis(sim_config))
    assert check.level == "amber"
    assert "not on the compatible list" in check.summary
    assert check.advice


def test_reader_absent_is_red(sim_config: kiosk_config.KioskConfig) -> None:
    cfg = dataclasses.replace(sim_config, reader=kiosk_config.ReaderConfig(name_pattern="^Nope$"))
    check = diagnostics.check_reader(composition.build_diagnosis(cfg))
    assert check.level == "red"
    assert "no reader matches" in check.summary
    assert check.advice


def test_pcscd_stopped_is_red(
    sim_config: kiosk_config.KioskConfig, owned_pcscd: PcscdProcess
) -> None:
    owned_pcscd.stop()
    check = diagnostics.check_reader(composition.build_diagnosis(sim_config))
    assert check.level == "red"
    assert "service not running" in check.summary
    assert check.details == {"pcscd_reachable": False}


@pytest.mark.parametrize(
    ("state", "summary"),
    [
        ({"paper": "end"}, "paper out"),
        ({"cover_open": True}, "cover open"),
        ({"online": False}, "offline"),
    ],
)
def test_printer_problems_are_red(
    sim_config: kiosk_config.KioskConfig,
    virtual_printer: VirtualPrinter,
    state: dict[str, Any],
    summary: str,
) -> None:
    virtual_printer.set_state(**state)
    check = diagnostics.check_printer(composition.build_diagnosis(sim_config))
    assert (check.level, check.summary) == ("red", summary)
    assert check.advice
    assert check.details["connection"] == f"network 127.0.0.1:{virtual_printer.port}"


def test_paper_near_end_is_amber(
    sim_config: kiosk_config.KioskConfig, virtual_printer: VirtualPrinter
) -> None:
    virtual_printer.set_state(paper="near_end")
    check = diagnostics.check_printer(composition.build_diagnosis(sim_config))
    assert (check.level, check.summary) == ("amber", "paper near end")
    assert check.details["paper_near_end"] is True


def test_test_page_and_readiness_report_print(
    sim_config: kiosk_config.KioskConfig, virtual_printer: VirtualPrinter
) -> None:
    now = dt.datetime.now(dt.UTC)
    diagnostics.print_job(
        composition.build_diagnosis(sim_config), diagnostics.build_test_page("T-42", now, 48)
    )
    checks = diagnostics.run_checks(composition.build_diagnosis(sim_config))
    diagnostics.print_job(
        composition.build_diagnosis(sim_config),
        diagnostics.readiness_job(checks, "T-42", now, now, 48),
    )
    jobs = virtual_printer.wait_for_jobs(2)
    assert b"T-42" in jobs[0].raw
    assert b"\x1d(k" in jobs[0].raw  # a QR code
    assert b"T-42" in jobs[1].raw
    assert b"printer" in jobs[1].raw


def test_platform_down_is_red(
    sim_config: kiosk_config.KioskConfig, platform_sim: PlatformSimulator
) -> None:
    platform_sim.stop()
    found = by_name(
        diagnostics.check_platform(composition.build_diagnosis(sim_config), timeout_s=2)
    )
    assert found["enrollment"].level == "green"
    assert found["platform"].level == "red"
    assert "unreachable" in found["platform"].summary
    assert "clock" not in found


def test_a_throttling_platform_is_busy_not_down(
    sim_config: kiosk_config.KioskConfig, platform_sim: PlatformSimulator
) -> None:
    platform_sim.fail_next(status=429, retry_after_s=30, path="/v1/trust-anchors")
    started = time.monotonic()
    platform = by_name(
        diagnostics.check_platform(composition.build_diagnosis(sim_config), timeout_s=2)
    )["platform"]
    assert platform.level == "amber" and "busy" in platform.summary
    assert time.monotonic() - started < 10  # the diagnosis does not wait out Retry-After


@pytest.mark.parametrize(("offset_s", "level"), [(120, "amber"), (-900, "red")])
def test_a_skewed_clock_is_reported(
    sim_config: kiosk_config.KioskConfig,
    platform_sim: PlatformSimulator,
    offset_s: float,
    level: str,
) -> None:
    platform_sim.clock = lambda: time.time() + offset_s
    clock = by_name(diagnostics.check_platform(composition.build_diagnosis(sim_config)))["clock"]
    assert clock.level == level
    assert clock.details["skew_s"] == pytest.approx(offset_s, abs=5)


def test_a_missing_keyring_credential_is_red(
    sim_config: kiosk_config.KioskConfig, memory_keyring: MemoryKeyring
) -> None:
    credentials.CredentialStore().clear()
    checks = diagnostics.check_platform(composition.build_diagnosis(sim_config))
    assert [(c.name, c.level) for c in checks] == [("enrollment", "red")]
    assert "kiosk enroll" in checks[0].summary
    assert checks[0].details == {"enrolled": False}


@pytest.fixture
def blackhole() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word."""
    server = socket.create_server(("127.0.0.1", 0))
    server.listen(16)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def test_diag_is_bounded_when_the_platform_never_answers(
    sim_config: kiosk_config.KioskConfig,
    blackhole: int,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cfg = dataclasses.replace(
        sim_config,
        platform=dataclasses.replace(sim_config.platform, url=f"https://127.0.0.1:{blackhole}"),
    )
    path = tmp_path / "kiosk.toml"
    path.write_text(kiosk_config.to_toml(cfg), encoding="utf-8")
    started = time.monotonic()
    code = cli.main(["diag", "--json", "--deadline", "1.5", "--config", str(path)])
    elapsed = time.monotonic() - started
    assert code == 1
    assert elapsed < 1.5 + 2.0  # the deadline plus a generous margin, not a benchmark
    document = json.loads(capsys.readouterr().out)
    assert document["level"] == "red"  # the worst check's
    found = {c["name"]: c for c in document["checks"]}
    assert found["platform"]["level"] == "red"
    assert found["printer"]["level"] == "green"


def test_a_hanging_check_is_red_at_the_deadline(
    sim_config: kiosk_config.KioskConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def hang(targets: diagnostics.Targets) -> diagnostics.Check:
        release.wait(10)  # a wedged printer driver, until the test lets it go
        return diagnostics.Check("printer", diagnostics.GREEN, "too late to count")

    monkeypatch.setattr(diagnostics, "check_printer", hang)
    started = time.monotonic()
    try:
        targets = composition.build_diagnosis(sim_config)
        found = by_name(diagnostics.run_checks(targets, deadline_s=0.5))
    finally:
        release.set()
    assert time.monotonic() - started < 0.5 + 2.0
    assert found["printer"].level == "red"
    assert found["printer"].summary == "no answer within 0.5 s"


def test_diag_prints_a_test_page_and_reads_the_test_card(
    sim_config: kiosk_config.KioskConfig,
    virtual_printer: VirtualPrinter,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(kiosk_config.to_toml(sim_config), encoding="utf-8")
    code = cli.main(["diag", "--print-test", "--read-card", "--config", str(path)])
    out = capsys.readouterr().out
    assert "[GREEN] test page: printed" in out
    assert "[AMBER] test card: no card in the reader" in out
    assert "[GREEN] offline queue: empty (nothing queued yet)" in out
    assert code == 0
    assert len(virtual_printer.wait_for_jobs(1)) == 1


def test_support_bundle_holds_the_diagnosis_and_masked_logs(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "kiosk.log").write_text("card of 110101199003071234 read\n", encoding="utf-8")
    checks = [diagnostics.Check("printer", diagnostics.RED, "paper out")]
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    path = diagnostics.export_support_bundle(checks, str(logs), tmp_path / "out", now, "T-1")
    with zipfile.ZipFile(path) as bundle:
        assert sorted(bundle.namelist()) == ["diagnostics.json", "logs/kiosk.log"]
        log_text = bundle.read("logs/kiosk.log").decode()
        diagnosis = json.loads(bundle.read("diagnostics.json"))
    assert "110101199003071234" not in log_text
    assert "1101**********1234" in log_text
    assert diagnosis["checks"][0]["summary"] == "paper out"


def test_recent_log_lines_are_masked(tmp_path: Path) -> None:
    (tmp_path / "kiosk.log").write_text(
        "".join(f"line {i}\n" for i in range(50)) + "sms to 13812345678\n", encoding="utf-8"
    )
    lines = diagnostics.recent_log_lines(str(tmp_path), 3)
    assert lines == ["line 48", "line 49", "sms to 138****5678"]
