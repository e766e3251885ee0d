"""`kiosk diag`'s checks against the simulators: green when all is well, red with the reason."""

from __future__ import annotations

from pathlib import Path

from kiosk import config as kiosk_config
from kiosk import diagnostics
from simulators import demo
from simulators.memory_keyring import MemoryKeyring
from simulators.pcscd import PcscdInfo
from simulators.platform_server import PlatformSimulator
from simulators.virtual_printer import VirtualPrinter


def levels(checks: list[diagnostics.Check]) -> dict[str, str]:
    return {c.name: c.level for c in checks}


def simulator_config(
    tmp_path: Path, pcscd: PcscdInfo, platform: PlatformSimulator, printer: VirtualPrinter
) -> kiosk_config.KioskConfig:
    return demo.simulator_config(platform, printer, pcscd.reader, tmp_path, tmp_path / "logs")


def test_everything_green_against_the_simulators(
    tmp_path: Path,
    pcscd: PcscdInfo,
    platform_sim: PlatformSimulator,
    virtual_printer: VirtualPrinter,
    memory_keyring: MemoryKeyring,
) -> None:
    cfg = simulator_config(tmp_path, pcscd, platform_sim, virtual_printer)
    demo.enroll(cfg, platform_sim)
    checks = diagnostics.run_checks(cfg)
    assert levels(checks) == {
        "card reader": "green",
        "printer": "green",
        "enrollment": "green",
        "platform": "green",
        "clock": "green",
    }
    assert next(c for c in checks if c.name == "card reader").summary == f"using {pcscd.reader}"


def test_problems_are_red_with_what_is_wrong(
    tmp_path: Path,
    pcscd: PcscdInfo,
    platform_sim: PlatformSimulator,
    virtual_printer: VirtualPrinter,
    memory_keyring: MemoryKeyring,
) -> None:
    cfg = simulator_config(tmp_path, pcscd, platform_sim, virtual_printer)
    cfg = kiosk_config.parse_config(
        {
            "reader": {"name_pattern": "No Such Reader"},
            "printer": {"port": virtual_printer.port},
            "platform": {"url": cfg.platform.url, "ca_bundle": cfg.platform.ca_bundle},
        }
    )
    virtual_printer.set_state(paper="end")
    checks = {c.name: c for c in diagnostics.run_checks(cfg)}
    assert checks["card reader"].level == "red"
    assert "no reader matches" in checks["card reader"].summary
    assert checks["printer"].level == "red"
    assert checks["printer"].summary == "paper out"
    assert checks["enrollment"].level == "red"
    assert "kiosk enroll" in checks["enrollment"].summary
