"""Faults of the devices and of the way to the platform, through the real paths: the window as
`kiosk run` builds it, pcscd with the virtual card (or the certified reader's C stub), the
MJPEG camera simulator, the HTTPS platform simulator and the TCP receipt printer. Each checks
what the screen says, that the session ends cleanly or carries on, that nothing of the
resident remains, that nothing queued is lost, and that the kiosk is back at the idle screen
by itself within a stated time. One row each in docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk import config as kiosk_config
from kiosk import errors
from kiosk.flow import session
from kiosk.flow.session import Phase
from kiosk.platform import credentials
from simulators import demo
from simulators.camera_server import CameraSimulator
from simulators.card_factory import IssuerCA, issue_card
from simulators.certified_reader import CertifiedReaderSimulator
from simulators.pcscd import PcscdInfo, PcscdProcess
from simulators.platform_server import PlatformSimulator
from simulators.residents import LI_NA, RESIDENTS, ZHANG_WEI
from simulators.virtual_card import Rid1Applet, VirtualCardClient
from tests.e2e.test_face_check import (
    agree,
    approve_face,
    astronaut_card,
    face_of,
    no_image_left,
    to_face_consent,
)
from tests.fixtures.pcsc import reader_empty
from tests.support.aftermath import (
    QUICK,
    SLACK_S,
    WAIT_MS,
    Pilot,
    assert_forgotten,
    assert_nothing_queued_lost,
    assert_platform_session_ended,
    back_to_idle_by_itself,
    log_as_in_a_hall,
    quick,
    session_id,
)
from tests.support.kiosk import running_kiosk
from ui import app as ui_app

READY_TEXT = "请将本人居民身份证放在下方读卡区"
NO_READER_TEXT = "读卡器暂时不能使用"
OFFLINE_TEXT = "信用平台暂时无法连接"
# The reader said unusable, or ready again: at once, or after pcscd's own start-up and the
# reader's back-off (<= 1 s).
READER_NEWS_WITHIN_MS = 5_000


@contextlib.contextmanager
def piloted(
    qtbot: QtBot, cfg: kiosk_config.KioskConfig, platform: PlatformSimulator
) -> Iterator[Pilot]:
    """The kiosk as `kiosk run` builds it with ``cfg``, logging to its file as in a hall."""
    log_as_in_a_hall(cfg)
    with running_kiosk(cfg, platform) as app:
        yield Pilot(qtbot, app, platform)


def idle_instruction(pilot: Pilot) -> str:
    from ui.screens import idle

    screen = pilot.app.window.screen_of(idle.IdleScreen)
    assert isinstance(screen, idle.IdleScreen)
    return screen.instruction.text()


def wait_idle_says(pilot: Pilot, text: str, timeout_ms: int = READER_NEWS_WITHIN_MS) -> None:
    """The idle screen shows, saying ``text``."""
    from ui.screens import idle

    def says() -> None:
        assert isinstance(pilot.app.window.current_screen(), idle.IdleScreen)
        assert idle_instruction(pilot) == text

    pilot.qtbot.wait_until(says, timeout=timeout_ms)


# ---------------------------------------------------------------- certified reader unplugged


@pytest.fixture
def certified_cfg(certified_cfg: kiosk_config.KioskConfig) -> kiosk_config.KioskConfig:
    """`kiosk demo --reader certified`'s configuration, short limits."""
    return quick(certified_cfg)


@pytest.fixture
def certified_pilot(
    qtbot: QtBot,
    certified_cfg: kiosk_config.KioskConfig,
    platform_sim: PlatformSimulator,
    restore_logging: None,
) -> Iterator[Pilot]:
    """The kiosk with the certified reader, its reader approved by the platform."""
    with piloted(qtbot, certified_cfg, platform_sim) as pilot:
        creds = credentials.CredentialStore().load()
        assert creds is not None
        platform_sim.approve(creds.terminal_id, security_module=True)
        yield pilot


def unplug(sim: CertifiedReaderSimulator) -> None:
    """The reader's cable pulled: the device goes with its open port and the card on it, and
    it cannot be opened until it is back (``fail_open``). ``set_mode("fail_open")`` alone
    does not play it: it only fails SDT_OpenPort, and a port the kiosk opened before still
    finds the card."""
    sim.reader.reset()  # no open port, no card, the stub's defaults
    sim.reader.set_mode("fail_open")


def plug_back(sim: CertifiedReaderSimulator) -> None:
    sim.reader.set_mode("normal")


def to_second_factor(pilot: Pilot, sim: CertifiedReaderSimulator) -> str:
    """A resident's card on the certified reader, consent given: the second-factor screen;
    the platform session's id."""
    sim.place_card("resident_id")
    pilot.agree()
    pilot.wait_phase(Phase.SECOND_FACTOR)
    return session_id(pilot)


# What the reader's loss is logged as, once the kiosk notices it (see the next test).
@pytest.mark.expect_log("devices.vendor_reader", "kiosk.flow.controller")
def test_a_reader_unplugged_mid_session_ends_it_at_once_and_leaves_nothing(
    certified_pilot: Pilot,
    certified_cfg: kiosk_config.KioskConfig,
    sim: CertifiedReaderSimulator,
) -> None:
    pilot = certified_pilot
    sid = to_second_factor(pilot, sim)

    unplug(sim)

    # The card went with the reader: the session ends at once.
    assert back_to_idle_by_itself(pilot, within_s=SLACK_S) < SLACK_S
    assert_forgotten(pilot, certified_cfg, ZHANG_WEI)
    assert_platform_session_ended(pilot, sid)
    assert_nothing_queued_lost(pilot, sessions_ended=1)


@pytest.mark.expect_log("kiosk.flow.controller", "devices.vendor_reader")
def test_an_unplugged_reader_is_said_on_the_idle_screen_and_serves_again_once_plugged_back(
    certified_pilot: Pilot,
    certified_cfg: kiosk_config.KioskConfig,
    sim: CertifiedReaderSimulator,
) -> None:
    pilot = certified_pilot
    wait_idle_says(pilot, READY_TEXT)
    to_second_factor(pilot, sim)

    unplug(sim)

    assert back_to_idle_by_itself(pilot, within_s=SLACK_S) < SLACK_S
    wait_idle_says(pilot, NO_READER_TEXT)
    hall = pilot.app.controller.state.hall
    assert not hall.reader_ready and hall.reader_problem == "no_reader"

    plug_back(sim)

    # Ready again by itself (the reader's back-off is at most 5 s), and a card is served.
    wait_idle_says(pilot, READY_TEXT, timeout_ms=10_000)
    assert pilot.app.controller.state.hall.reader_ready
    sim.place_card("resident_id")
    pilot.wait_phase(Phase.CONSENT)
    sim.remove_card()
    assert back_to_idle_by_itself(pilot, within_s=SLACK_S) < SLACK_S
    assert_forgotten(pilot, certified_cfg, ZHANG_WEI)
    assert_nothing_queued_lost(pilot, sessions_ended=2)


# ---------------------------------------------------------------- pcscd killed


@pytest.mark.expect_log("devices.pcsc_reader", "kiosk.flow.controller")
def test_pcscd_killed_ends_the_session_and_the_kiosk_serves_again_once_it_restarts(
    qtbot: QtBot,
    simulator_cfg: kiosk_config.KioskConfig,
    platform_sim: PlatformSimulator,
    owned_pcscd: PcscdProcess,
    pcscd: PcscdInfo,
    virtual_card: Callable[..., VirtualCardClient],
    restore_logging: None,
) -> None:
    """pcscd crashes (SIGKILL) while a resident reads their report; systemd (or the test)
    starts it again."""
    cfg = quick(simulator_cfg)
    with piloted(qtbot, cfg, platform_sim) as pilot:
        wait_idle_says(pilot, READY_TEXT)
        card = virtual_card("zhang_wei")
        pilot.to_report()
        sid = session_id(pilot)

        owned_pcscd.stop(kill=True)

        # The card is gone as far as anyone can know: the session ends at once.
        assert back_to_idle_by_itself(pilot, within_s=SLACK_S) < SLACK_S
        wait_idle_says(pilot, NO_READER_TEXT)
        assert pilot.app.controller.state.hall.reader_problem == "service_down"
        assert_forgotten(pilot, cfg, ZHANG_WEI)
        assert_platform_session_ended(pilot, sid)
        card.remove()  # pcscd took vpcd's socket with it

        owned_pcscd.start()

        wait_idle_says(pilot, READY_TEXT)
        assert pilot.app.controller.state.hall.reader_ready
        assert reader_empty(pcscd.reader)
        second = virtual_card("li_na")
        pilot.wait_phase(Phase.CONSENT)
        second.remove()
        assert back_to_idle_by_itself(pilot, within_s=SLACK_S) < SLACK_S
        assert_forgotten(pilot, cfg, ZHANG_WEI, LI_NA)
        assert_nothing_queued_lost(pilot, sessions_ended=2)


# ---------------------------------------------------------------- camera unplugged


@pytest.fixture
def camera() -> Iterator[CameraSimulator]:
    with CameraSimulator(seed=7) as sim:
        yield sim


# The face check's own steps (the card photo read, the camera started, the first
# instruction) run within one second-factor limit: longer than QUICK's 4 s.
FACE_SECOND_FACTOR_S = 8.0


@pytest.fixture
def face_cfg(
    simulator_cfg: kiosk_config.KioskConfig, camera: CameraSimulator
) -> kiosk_config.KioskConfig:
    cfg = demo.camera_config(simulator_cfg, camera)
    timeouts = dataclasses.replace(QUICK, second_factor_s=FACE_SECOND_FACTOR_S)
    return dataclasses.replace(cfg, timeouts=timeouts)


@pytest.fixture
def face_pilot(
    qtbot: QtBot,
    face_cfg: kiosk_config.KioskConfig,
    platform_sim: PlatformSimulator,
    camera: CameraSimulator,
    restore_logging: None,
) -> Iterator[Pilot]:
    with piloted(qtbot, face_cfg, platform_sim) as pilot:
        approve_face(platform_sim)
        pilot.app.controller.add_listener(demo.follow_prompts(camera))
        # The idle screen's warm-up loads the models and tries the camera.
        qtbot.wait_until(face_of(pilot.app).ready, timeout=40_000)
        yield pilot


@pytest.mark.expect_log("kiosk.flow.controller", "devices.camera", "kiosk.face.service")
def test_a_camera_unplugged_mid_check_leaves_the_other_ways_and_keeps_no_image(
    qtbot: QtBot,
    face_pilot: Pilot,
    face_cfg: kiosk_config.KioskConfig,
    platform_sim: PlatformSimulator,
    camera: CameraSimulator,
    virtual_card: Callable[..., VirtualCardClient],
    issuer_ca: IssuerCA,
) -> None:
    pilot = face_pilot
    app: ui_app.KioskApp = pilot.app
    temp = Path(tempfile.gettempdir())
    temp_before = set(temp.iterdir())
    to_face_consent(qtbot, app, astronaut_card(virtual_card, issuer_ca))
    agree(app)
    qtbot.wait_until(
        lambda: app.controller.state.step.face_stage is session.FaceStage.LOOKING, timeout=40_000
    )
    sid = session_id(pilot)

    camera.set_scene("unplugged")

    # The face check ends; the resident is offered the other ways, with the reason.
    def other_ways() -> None:
        state = app.controller.state
        assert state.step.factor is session.Factor.CHOOSING, state.step

    qtbot.wait_until(other_ways, timeout=WAIT_MS)
    state = app.controller.state
    assert state.phase is Phase.SECOND_FACTOR
    assert state.step.message == errors.FACE_UNAVAILABLE
    assert not state.resident.face_offered
    assert state.resident.card_photo is None  # the card photo dropped with the check
    assert platform_sim.face_attempts == []  # no attempt ran, none is reported
    assert not face_of(app).ready()
    assert face_of(app).preview() is None
    data, logs = Path(face_cfg.paths.data_dir), Path(face_cfg.paths.log_dir)
    assert no_image_left(data, logs) == []
    assert no_image_left(*(set(temp.iterdir()) - temp_before)) == []

    # The resident walks away, card left on the reader: the second-factor limit ends it.
    within_s = FACE_SECOND_FACTOR_S + SLACK_S
    assert back_to_idle_by_itself(pilot, within_s) < within_s
    assert_forgotten(pilot, face_cfg, ZHANG_WEI)
    assert_platform_session_ended(pilot, sid)
    assert no_image_left(data, logs) == []
    assert_nothing_queued_lost(pilot, sessions_ended=1)


# ---------------------------------------------------------------- TLS certificate changed

# The probe every 0.3 s (10 s in a hall), and the outbox's back-off short, so "by itself"
# is seconds here.
FAST_OFFLINE = kiosk_config.OfflineConfig(
    probe_interval_s=0.3, backoff_base_s=0.5, backoff_max_s=1.0, idle_poll_s=1.0
)


@pytest.mark.expect_log("kiosk.offline.monitor", "kiosk.platform.client")  # TLS failures
def test_a_platform_with_another_tls_certificate_gets_nothing_and_the_kiosk_waits_offline(
    qtbot: QtBot,
    tmp_path: Path,
    simulator_cfg: kiosk_config.KioskConfig,
    platform_sim: PlatformSimulator,
    issuer_ca_certs: list[bytes],
    issuer_ca: IssuerCA,
    virtual_card: Callable[..., VirtualCardClient],
    restore_logging: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Someone answers on the platform's address with a certificate of another CA (a proxy
    intercepting TLS, a DNS hijack, a platform re-keyed without telling the kiosk)."""
    cfg = dataclasses.replace(quick(simulator_cfg), offline=FAST_OFFLINE)
    with piloted(qtbot, cfg, platform_sim) as pilot:
        app = pilot.app
        qtbot.wait_until(lambda: app.monitor.online is True, timeout=WAIT_MS)
        wait_idle_says(pilot, READY_TEXT)
        port = int(platform_sim.base_url.rsplit(":", 1)[1])
        platform_sim.stop()
        impostor = PlatformSimulator(
            tmp_path / "impostor", issuer_ca_certs=issuer_ca_certs, port=port
        )
        with caplog.at_level(logging.DEBUG, logger="simulators.platform_server"), impostor:
            assert impostor.ca_bundle_path != platform_sim.ca_bundle_path

            # The kiosk reaches the impostor and refuses it at the handshake, probe after
            # probe: offline, and it stays so.
            def refused() -> int:
                return len([r for r in caplog.records if "TLS handshake failed" in r.message])

            qtbot.wait_until(lambda: refused() >= 3, timeout=WAIT_MS)
            wait_idle_says(pilot, OFFLINE_TEXT, timeout_ms=WAIT_MS)
            assert not app.controller.state.hall.online

            # A card: refused plainly, before anything is read from it.
            applet = Rid1Applet(issue_card(RESIDENTS["zhang_wei"], issuer_ca))
            card = virtual_card(applet=applet)
            pilot.wait_phase(Phase.ERROR)
            message = app.controller.state.step.message
            assert message is not None and message.key == "platform_offline"
            assert applet.apdu_count == 0
            card.remove()
            assert back_to_idle_by_itself(pilot, within_s=SLACK_S) < SLACK_S
            wait_idle_says(pilot, OFFLINE_TEXT)
            assert app.offline.stats().size >= 2  # the session's audit events wait

            # Not one request reached the impostor: every handshake failed before it.
            assert impostor.request_log == []

        # The real platform is back on its data folder and port: online by itself, and
        # what waited in the outbox is delivered by itself.
        with PlatformSimulator(
            tmp_path / "platform", issuer_ca_certs=issuer_ca_certs, port=port
        ) as back:
            pilot = Pilot(qtbot, app, back)
            wait_idle_says(pilot, READY_TEXT, timeout_ms=WAIT_MS)

            def delivered() -> None:
                types = [e.type for e in back.audit_events]
                assert "session_started" in types and "session_ended" in types
                assert app.offline.stats().size == 0

            qtbot.wait_until(delivered, timeout=WAIT_MS)
            assert_forgotten(pilot, cfg, ZHANG_WEI)
            assert_nothing_queued_lost(pilot, sessions_ended=1)
