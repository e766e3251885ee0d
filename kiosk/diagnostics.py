"""Health checks shared by ``kiosk diag`` and (later) the staff screen. No personal data."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from devices import errors as device_errors
from devices import pcsc_reader
from kiosk import config as kiosk_config
from kiosk import credentials, errors, wiring

SKEW_WARN_S = 60.0
SKEW_RED_S = 300.0  # the platform refuses requests beyond this


@dataclasses.dataclass(frozen=True)
class Check:
    """One line of the diagnosis: ``level`` is green, amber or red."""

    name: str
    level: str
    summary: str
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dataclasses.asdict(self)


def check_reader(cfg: kiosk_config.KioskConfig) -> Check:
    """pcscd reachable and a reader matching the pattern present."""
    try:
        readers = pcsc_reader.list_readers()
    except device_errors.DeviceUnavailable as exc:
        return Check("card reader", "red", f"card reader service not running ({exc})")
    matching = [r for r in readers if pcsc_reader.matches(cfg.reader.name_pattern, r)]
    if not matching:
        return Check(
            "card reader",
            "red",
            f"no reader matches {cfg.reader.name_pattern!r}",
            {"readers": readers},
        )
    return Check("card reader", "green", f"using {matching[0]}", {"readers": readers})


def check_printer(cfg: kiosk_config.KioskConfig) -> Check:
    """The printer answers and has paper."""
    try:
        printer = wiring.build_printer(cfg.printer)
    except NotImplementedError as exc:
        return Check("printer", "amber", str(exc))
    if printer is None:
        return Check("printer", "amber", "no receipt printer configured")
    status = printer.status()
    details = dataclasses.asdict(status)
    if not status.known:
        return Check("printer", "red", "printer did not answer a status request", details)
    if status.ready:
        level = "amber" if status.paper_near_end else "green"
        return Check(
            "printer", level, "paper near end" if status.paper_near_end else "ready", details
        )
    problem = "paper out" if status.paper_end else "cover open" if status.cover_open else "offline"
    return Check("printer", "red", problem, details)


def check_platform(cfg: kiosk_config.KioskConfig) -> list[Check]:
    """Enrollment present, platform reachable, clock skew within limits."""
    try:
        creds = credentials.CredentialStore().load()
    except errors.KioskError as exc:
        return [Check("enrollment", "red", str(exc))]
    if creds is None:
        return [Check("enrollment", "red", "not enrolled: run `kiosk enroll --code ...`")]
    checks = [Check("enrollment", "green", f"terminal {creds.terminal_id}")]
    client = wiring.build_platform_client(cfg, creds)
    started = time.monotonic()
    try:
        client.trust_anchors()
    except errors.PlatformError as exc:
        checks.append(Check("platform", "red", f"unreachable or refusing: {exc}"))
        return checks
    finally:
        client.close()
    latency_ms = round((time.monotonic() - started) * 1000)
    checks.append(
        Check("platform", "green", f"reachable in {latency_ms} ms", {"latency_ms": latency_ms})
    )
    skew = client.clock_skew_s
    if skew is not None:
        level = "red" if abs(skew) > SKEW_RED_S else "amber" if abs(skew) > SKEW_WARN_S else "green"
        checks.append(Check("clock", level, f"{skew:+.1f} s from the platform", {"skew_s": skew}))
    return checks


def run_checks(cfg: kiosk_config.KioskConfig) -> list[Check]:
    """Every check, in the order staff read them."""
    return [check_reader(cfg), check_printer(cfg), *check_platform(cfg)]
