"""Residents' cards read by a certified reader, through every real layer: the kiosk as
``kiosk run`` builds it (``reader.backend = "vendor"``), the vendor library's ABI played by
the certified-reader simulator's C stub (compiled here with gcc), the platform simulator
over HTTPS with ``POST /v1/identity/attest`` (spec v1.2 §2b), and the operators' approvals.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kiosk import config as kiosk_config
from kiosk.app import composition
from kiosk.flow import session
from kiosk.platform import credentials
from kiosk.staff import diagnostics
from simulators import demo
from simulators.certified_reader import CertifiedReaderSimulator
from simulators.platform_server import PlatformSimulator
from simulators.residents import RESIDENTS, ZHANG_WEI
from simulators.virtual_printer import VirtualPrinter
from tests.support.kiosk import running_kiosk
from ui import app as ui_app
from ui.screens import consent, second_factor

Phase = session.Phase
WAIT_MS = 20_000
ATTEST = "/v1/identity/attest"


@pytest.fixture
def kiosk_app(
    certified_cfg: kiosk_config.KioskConfig, platform_sim: PlatformSimulator
) -> Iterator[ui_app.KioskApp]:
    with running_kiosk(certified_cfg, platform_sim) as app:
        yield app


def terminal_id() -> str:
    creds = credentials.CredentialStore().load()
    assert creds is not None
    return creds.terminal_id


def approve_reader(platform_sim: PlatformSimulator) -> None:
    """The platform's operators approve the security module the terminal declared."""
    platform_sim.approve(terminal_id(), security_module=True)


def wait_phase(qtbot: QtBot, app: ui_app.KioskApp, phase: Phase) -> session.SessionState:
    def reached() -> None:
        state = app.controller.state
        assert state.phase is phase, f"still {state.phase} ({state.step.message})"

    qtbot.wait_until(reached, timeout=WAIT_MS)
    return app.controller.state


def agree(qtbot: QtBot, app: ui_app.KioskApp) -> None:
    wait_phase(qtbot, app, Phase.CONSENT)
    screen = app.window.screen_of(consent.ConsentScreen)
    assert isinstance(screen, consent.ConsentScreen)
    qtbot.mouseClick(screen.agree_button, Qt.MouseButton.LeftButton)


def attest_calls(platform_sim: PlatformSimulator) -> list[int]:
    return [e.status for e in platform_sim.request_log if e.path == ATTEST]


def test_enrollment_declares_the_security_module_and_the_platform_attests_the_card(
    qtbot: QtBot,
    kiosk_app: ui_app.KioskApp,
    platform_sim: PlatformSimulator,
    sim: CertifiedReaderSimulator,
) -> None:
    declared = platform_sim.declared_hardware(terminal_id())
    assert declared is not None
    assert declared["readers"] == [
        {
            "kind": "security_module",
            "model": demo.CERTIFIED_READER_MODEL,
            "sam_id": "05.01-20101111-0012345678",
        }
    ]
    approve_reader(platform_sim)

    sim.place_card("resident_id")
    agree(qtbot, kiosk_app)
    state = wait_phase(qtbot, kiosk_app, Phase.SECOND_FACTOR)
    identity = state.resident.identity
    assert identity is not None
    assert identity.assurance == "security_module"
    assert identity.id_masked == ZHANG_WEI.id_masked
    factor = kiosk_app.window.screen_of(second_factor.SecondFactorScreen)
    assert isinstance(factor, second_factor.SecondFactorScreen)
    assert factor.subject.text() == "张*　" + ZHANG_WEI.id_masked
    record = platform_sim.session_record(identity.session_id)
    assert record is not None and record.assurance == "security_module"
    assert attest_calls(platform_sim) == [200]

    sim.remove_card()
    state = wait_phase(qtbot, kiosk_app, Phase.IDLE)
    assert state.resident.identity is None
    assert factor.subject.text() == ""
    # Each heartbeat declares the hardware again, with the module's id read from the reader.
    qtbot.wait_until(lambda: platform_sim.last_heartbeat(terminal_id()) is not None)
    beat = platform_sim.last_heartbeat(terminal_id())
    assert beat["hardware"]["readers"] == declared["readers"]


@pytest.mark.expect_log("kiosk.platform.client", "kiosk.flow.controller")
def test_a_network_error_on_attest_costs_no_second_card_read(
    qtbot: QtBot,
    kiosk_app: ui_app.KioskApp,
    platform_sim: PlatformSimulator,
    sim: CertifiedReaderSimulator,
) -> None:
    """The platform opened the session but the answer was lost: the same key goes again and
    answers the same session (spec §2b); the resident never puts the card down again."""
    approve_reader(platform_sim)
    platform_sim.drop_next(after_processing=True, path=ATTEST)
    sim.place_card("resident_id")
    agree(qtbot, kiosk_app)
    state = wait_phase(qtbot, kiosk_app, Phase.SECOND_FACTOR)
    assert state.resident.identity is not None
    # The first answer was lost (no status); the retry, same key and body, was answered
    # from it (the platform's contract tests check it is the same session).
    assert attest_calls(platform_sim) == [0, 200]
    assert platform_sim.session_record(state.resident.identity.session_id) is not None


@pytest.mark.expect_log("kiosk.flow.controller")
def test_a_reader_the_platform_has_not_approved_is_refused_plainly(
    qtbot: QtBot,
    kiosk_app: ui_app.KioskApp,
    platform_sim: PlatformSimulator,
    sim: CertifiedReaderSimulator,
) -> None:
    sim.place_card("resident_id")
    agree(qtbot, kiosk_app)
    state = wait_phase(qtbot, kiosk_app, Phase.ERROR)
    assert state.step.message is not None
    assert state.step.message.key == "attestation_not_allowed"
    assert state.step.message.title == "本机暂不能读取身份证"
    assert state.step.card_refused == session.CardRefusal("terminal_not_approved", "platform")
    assert attest_calls(platform_sim) == [403]


@pytest.mark.expect_log("kiosk.flow.controller")
def test_a_card_the_terminal_refuses_never_reaches_the_platform(
    qtbot: QtBot,
    kiosk_app: ui_app.KioskApp,
    platform_sim: PlatformSimulator,
    sim: CertifiedReaderSimulator,
) -> None:
    """A foreigner's card of the 2004 kind: 15-character number, not taken (spec §2b)."""
    approve_reader(platform_sim)
    sim.place_card("foreign_permanent_resident_pre2023")
    agree(qtbot, kiosk_app)
    state = wait_phase(qtbot, kiosk_app, Phase.ERROR)
    assert state.step.message is not None
    assert state.step.message.title == "证件无法使用"
    assert state.step.card_refused == session.CardRefusal("malformed_data", "terminal")
    assert attest_calls(platform_sim) == []


@pytest.mark.parametrize("key", ["lin_zhihao", "anna_muller"])
def test_residence_permits_and_foreigners_cards_are_accepted(
    qtbot: QtBot,
    kiosk_app: ui_app.KioskApp,
    platform_sim: PlatformSimulator,
    sim: CertifiedReaderSimulator,
    key: str,
) -> None:
    approve_reader(platform_sim)
    card = demo.CertifiedCard(sim, RESIDENTS[key])
    card.insert()
    agree(qtbot, kiosk_app)
    state = wait_phase(qtbot, kiosk_app, Phase.SECOND_FACTOR)
    assert state.resident.identity is not None
    assert state.resident.identity.id_masked == RESIDENTS[key].id_masked


@pytest.mark.expect_log("kiosk.flow.controller")
def test_a_security_module_refusing_the_card_says_so(
    qtbot: QtBot,
    kiosk_app: ui_app.KioskApp,
    platform_sim: PlatformSimulator,
    sim: CertifiedReaderSimulator,
) -> None:
    approve_reader(platform_sim)
    sim.reader.set_mode("auth_fail")
    sim.place_card("resident_id")
    agree(qtbot, kiosk_app)
    state = wait_phase(qtbot, kiosk_app, Phase.ERROR)
    assert state.step.card_refused == session.CardRefusal("security_module", "terminal")
    assert attest_calls(platform_sim) == []


def test_staff_see_the_security_module_and_the_approvals(
    certified_cfg: kiosk_config.KioskConfig, platform_sim: PlatformSimulator
) -> None:
    demo.enroll(certified_cfg, platform_sim)

    def checks() -> dict[str, diagnostics.Check]:
        found = diagnostics.run_checks(composition.build_diagnosis(certified_cfg))
        return {c.name: c for c in found}

    before = checks()
    assert before["card reader"].level is diagnostics.GREEN
    assert before["card reader"].details["sam_id"] == "05.01-20101111-0012345678"
    assert before["approvals"].level is diagnostics.RED  # no resident can be served yet
    approve_reader(platform_sim)
    after = checks()["approvals"]
    assert after.level is diagnostics.GREEN
    assert after.details == {"security_module": True, "face": False}


@pytest.mark.expect_log("kiosk.flow.controller")
def test_a_v1_platform_takes_no_certified_reading(
    qtbot: QtBot,
    tmp_path: Path,
    issuer_ca_certs: list[bytes],
    virtual_printer: VirtualPrinter,
    memory_keyring: object,
    sim: CertifiedReaderSimulator,
) -> None:
    with PlatformSimulator(
        tmp_path / "v1", issuer_ca_certs=issuer_ca_certs, api_version="1.0"
    ) as v1:
        cfg = demo.certified_reader_config(
            demo.simulator_config(v1, virtual_printer, "", tmp_path / "data", tmp_path / "logs"),
            sim,
        )
        with running_kiosk(cfg, v1) as app:
            sim.place_card("resident_id")
            agree(qtbot, app)
            state = wait_phase(qtbot, app, Phase.ERROR)
            assert state.step.message is not None
            assert state.step.message.key == "attestation_not_allowed"
            assert state.step.card_refused == session.CardRefusal("platform_v1", "platform")
        diagnosis = {c.name: c for c in diagnostics.run_checks(composition.build_diagnosis(cfg))}
        assert diagnosis["approvals"].level is diagnostics.RED
        assert diagnosis["approvals"].details == {"api": "v1"}
