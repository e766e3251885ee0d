"""The kiosk with the platform simulator stopped and started again (issue 7's offline states).

The real app (``kiosk.app.composition.build_services`` + ``ui.app.KioskApp``) against pcscd with the
virtual card, the virtual printer and a platform simulator that goes away and comes back on
the same data directory and port. The probe runs every 0.3 s here (10 s in a hall).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk import config as kiosk_config
from kiosk.flow import session
from simulators.card_factory import IssuerCA, issue_card
from simulators.pcscd import PcscdInfo
from simulators.platform_server import SERVICE_HOURS, PlatformSimulator
from simulators.residents import RESIDENTS
from simulators.virtual_card import Rid1Applet, VirtualCardClient
from tests.support.kiosk import running_kiosk
from ui import app as ui_app
from ui.screens import idle

Phase = session.Phase
WAIT_MS = 20_000
OFFLINE_WITHIN_MS = 5_000  # "within seconds"


@pytest.fixture
def offline_kiosk(
    simulator_cfg: kiosk_config.KioskConfig, platform_sim: PlatformSimulator
) -> Iterator[ui_app.KioskApp]:
    quick = kiosk_config.OfflineConfig(probe_interval_s=0.3)
    with running_kiosk(dataclasses.replace(simulator_cfg, offline=quick), platform_sim) as app:
        yield app


@pytest.mark.expect_log("kiosk.offline.monitor")
def test_offline_idle_screen_refuses_cards_politely_and_recovers(
    qtbot: QtBot,
    tmp_path: Path,
    offline_kiosk: ui_app.KioskApp,
    platform_sim: PlatformSimulator,
    issuer_ca_certs: list[bytes],
    issuer_ca: IssuerCA,
    pcscd: PcscdInfo,
    virtual_card: Callable[..., VirtualCardClient],
) -> None:
    app = offline_kiosk
    screen = app.window.screen_of(idle.IdleScreen)
    assert isinstance(screen, idle.IdleScreen)
    # Online: the content is fetched and kept; the idle screen shows it.
    qtbot.wait_until(lambda: SERVICE_HOURS in screen.public.text(), timeout=WAIT_MS)
    assert app.controller.state.hall.online
    assert screen.instruction.text() == "请将本人居民身份证放在下方读卡区"

    port = int(platform_sim.base_url.rsplit(":", 1)[1])
    platform_sim.stop()
    qtbot.wait_until(lambda: not app.controller.state.hall.online, timeout=OFFLINE_WITHIN_MS)
    assert screen.instruction.text() == "信用平台暂时无法连接"
    assert "办事时间" in screen.hint.text() and "服务台" in screen.hint.text()
    assert SERVICE_HOURS in screen.public.text()  # from the public cache
    assert "信用修复指南" in screen.public.text()
    assert not screen.animation.isVisible()  # no "put your card here" while it cannot be served
    assert not screen.elder_button.isVisible()

    # A card now: a plain refusal, and not one APDU reaches the card.
    applet = Rid1Applet(issue_card(RESIDENTS["zhang_wei"], issuer_ca))
    card = virtual_card(applet=applet)
    qtbot.wait_until(lambda: app.controller.state.phase is Phase.ERROR, timeout=WAIT_MS)
    message = app.controller.state.step.message
    assert message is not None and message.key == "platform_offline"
    assert "服务台" in message.body and "再来" in message.body
    assert applet.apdu_count == 0
    card.remove()
    qtbot.wait_until(lambda: app.controller.state.phase is Phase.IDLE, timeout=WAIT_MS)
    assert app.offline is not None
    # The session's audit entries wait in the outbox (written on the audit thread: the last
    # one may still be on its way there).
    assert app.audit_log.flush()
    assert app.offline.stats().size >= 2

    # The same platform comes back on its data dir and port: the kiosk recovers by itself,
    # and what waited in the outbox is delivered.
    with PlatformSimulator(
        tmp_path / "platform", issuer_ca_certs=issuer_ca_certs, port=port
    ) as back:
        qtbot.wait_until(lambda: app.controller.state.hall.online, timeout=WAIT_MS)
        assert screen.instruction.text() == "请将本人居民身份证放在下方读卡区"
        app.offline.sender.sync_now(timeout=10)
        types = [e.type for e in back.audit_events]
        assert "session_started" in types and "session_ended" in types
        assert app.offline.stats().size == 0
