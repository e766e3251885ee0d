"""The kiosk against a platform that throttles, expires tokens, changes its trust anchors.

Issue 13: each test runs the real client over HTTPS against the platform simulator; the
kiosk-level ones run the app as `kiosk run` builds it, with the virtual card in pcscd and the
virtual printer on TCP. Events are handed to the controller directly (the screens render them
as usual); tests/e2e/test_end_to_end.py taps the buttons.
"""

from __future__ import annotations

import dataclasses
import math
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from kiosk import config as kiosk_config
from kiosk import errors
from kiosk.app import composition
from kiosk.flow import session
from kiosk.platform import client as platform_client
from kiosk.platform.credentials import TerminalCredentials
from simulators.card_factory import IssuerCA, issue_card, make_issuer_ca
from simulators.platform_server import PlatformSimulator
from simulators.residents import RESIDENTS
from simulators.virtual_card import VirtualCardClient
from simulators.virtual_printer import VirtualPrinter
from tests.fixtures.platform import Issuer
from tests.support.kiosk import running_kiosk
from ui import app as ui_app

Phase = session.Phase
WAIT_MS = 20_000
SESSION = r"/v1/sessions/[^/]+"


def statuses(sim: PlatformSimulator, pattern: str) -> list[int]:
    """Statuses of the answered requests whose path matches ``pattern`` (a regex); every
    success (200, 201, 204, 304) as 200."""
    return [
        200 if e.status < 400 else e.status
        for e in sim.request_log
        if re.fullmatch(pattern, e.path)
    ]


# ---------------------------------------------------------------- the client


@pytest.fixture
def creds(platform_sim: PlatformSimulator, memory_keyring: object) -> TerminalCredentials:
    with platform_client.PlatformClient(
        platform_sim.base_url, ca_bundle=platform_sim.ca_bundle_path, credentials=None
    ) as client:
        return client.enroll(platform_sim.new_enrollment_code(), "kiosk-test")


def client_for(
    sim: PlatformSimulator, creds: TerminalCredentials | None, **kwargs: Any
) -> platform_client.PlatformClient:
    return platform_client.PlatformClient(
        sim.base_url, ca_bundle=sim.ca_bundle_path, credentials=creds, **kwargs
    )


def test_enroll_waits_out_a_throttled_platform(
    platform_sim: PlatformSimulator, memory_keyring: object
) -> None:
    waits: list[float] = []
    told: list[float] = []
    with client_for(platform_sim, None, sleep=waits.append) as client:
        client.on_wait = told.append
        platform_sim.fail_next(status=429, retry_after_s=3, path="/v1/enroll")
        creds = client.enroll(platform_sim.new_enrollment_code(), "kiosk-test")
    assert creds.terminal_id
    assert waits == [3.0] and told == [3.0]
    assert statuses(platform_sim, "/v1/enroll") == [429, 200]


def test_a_throttled_call_without_idempotency_key_goes_again_signed_anew(
    platform_sim: PlatformSimulator, creds: TerminalCredentials, issuer: Issuer
) -> None:
    """challenge, verify, otp, otp/verify, staff-assist: each 429 is waited out and resent; a
    reused nonce would be refused (``replayed_nonce``), so success proves each was re-signed."""
    card = issuer.card(RESIDENTS["zhang_wei"])
    waits: list[float] = []
    with client_for(platform_sim, creds, sleep=waits.append) as client:
        platform_sim.fail_next(status=429, retry_after_s=1, path="/v1/identity/challenge")
        challenge = client.challenge()
        platform_sim.fail_next(status=429, retry_after_s=1, path="/v1/identity/verify")
        identity = client.verify_identity(
            challenge.ticket,
            holder=card.holder,
            card_cert=card.card_cert,
            sod=card.sod,
            signature=card.sign(challenge.challenge),
        )
        platform_sim.fail_next(status=429, retry_after_s=1, path_pattern=SESSION + "/otp")
        client.send_otp(identity.session_id)
        pattern = SESSION + "/otp/verify"
        platform_sim.fail_next(status=429, retry_after_s=1, path_pattern=pattern)
        token = client.verify_otp(identity.session_id, platform_sim.sent_codes[-1])
        assert token.token
        platform_sim.fail_next(status=429, retry_after_s=1, path_pattern=SESSION + "/staff-assist")
        assert client.staff_assist(identity.session_id, "100001", "246810").token
    assert waits == [1.0] * 5
    for pattern in (
        "/v1/identity/challenge",
        "/v1/identity/verify",
        SESSION + "/otp",
        SESSION + "/otp/verify",
        SESSION + "/staff-assist",
    ):
        assert statuses(platform_sim, pattern) == [429, 200], pattern


def test_the_wait_is_bounded_by_the_patience(
    platform_sim: PlatformSimulator, creds: TerminalCredentials
) -> None:
    waits: list[float] = []
    with client_for(platform_sim, creds, sleep=waits.append, patience_s=5) as client:
        platform_sim.fail_next(3, status=429, retry_after_s=2, path="/v1/identity/challenge")
        with pytest.raises(errors.PlatformRejected) as refused:
            client.challenge()
    # 2 + 2 fit in 5 s; a third wait would not: the caller gets the 429 to offer "try again".
    assert waits == [2.0, 2.0]
    assert (refused.value.status, refused.value.retry_after_s) == (429, 2.0)
    assert statuses(platform_sim, "/v1/identity/challenge") == [429, 429, 429]


def test_a_503_on_a_call_without_idempotency_key_stays_a_failure(
    platform_sim: PlatformSimulator, creds: TerminalCredentials
) -> None:
    with client_for(platform_sim, creds, sleep=lambda _s: None) as client:
        platform_sim.fail_next(status=503, retry_after_s=1, path="/v1/identity/challenge")
        with pytest.raises(errors.PlatformUnavailable) as failed:
            client.challenge()
    assert failed.value.status == 503 and failed.value.retry_after_s == 1
    assert statuses(platform_sim, "/v1/identity/challenge") == [503]


# ---------------------------------------------------------------- the kiosk


@pytest.fixture
def kiosk_app(
    simulator_cfg: kiosk_config.KioskConfig, platform_sim: PlatformSimulator
) -> Iterator[ui_app.KioskApp]:
    """The kiosk probing the platform every 0.3 s (10 s in a hall)."""
    quick = kiosk_config.OfflineConfig(probe_interval_s=0.3)
    with running_kiosk(dataclasses.replace(simulator_cfg, offline=quick), platform_sim) as app:
        yield app


class Seen:
    """Every state the controller published, for what happened on the way."""

    def __init__(self, app: ui_app.KioskApp) -> None:
        self.states: list[session.SessionState] = []
        app.controller.add_listener(self.states.append)

    @property
    def phases(self) -> list[Phase]:
        return [s.phase for s in self.states]


def wait_phase(qtbot: QtBot, app: ui_app.KioskApp, phase: Phase) -> None:
    def reached() -> None:
        state = app.controller.state
        assert state.phase is phase, f"still {state.phase} ({state.step.message})"

    qtbot.wait_until(reached, timeout=WAIT_MS)


def card_in_and_consent(qtbot: QtBot, app: ui_app.KioskApp, insert: Callable[[], object]) -> None:
    """A card on the reader and the resident's consent: the card is read and checked."""
    insert()
    wait_phase(qtbot, app, Phase.CONSENT)
    app.controller.handle(session.ConsentGiven())


def to_report(
    qtbot: QtBot, app: ui_app.KioskApp, sim: PlatformSimulator, insert: Callable[[], object]
) -> None:
    """Card in, consent, SMS code: the report on screen."""
    card_in_and_consent(qtbot, app, insert)
    enter_sms_code(qtbot, app, sim)


def enter_sms_code(qtbot: QtBot, app: ui_app.KioskApp, sim: PlatformSimulator) -> None:
    wait_phase(qtbot, app, Phase.SECOND_FACTOR)
    sent = len(sim.sent_codes)
    qtbot.wait_until(lambda: not app.controller.state.step.busy, timeout=WAIT_MS)
    app.controller.handle(session.SmsChosen())
    qtbot.wait_until(lambda: len(sim.sent_codes) > sent, timeout=WAIT_MS)
    qtbot.wait_until(lambda: not app.controller.state.step.busy, timeout=WAIT_MS)
    app.controller.handle(session.OtpEntered(sim.sent_codes[-1]))
    wait_phase(qtbot, app, Phase.REPORT)


def test_a_platform_throttling_the_first_call_of_each_step_still_serves_the_resident(
    qtbot: QtBot,
    kiosk_app: ui_app.KioskApp,
    platform_sim: PlatformSimulator,
    virtual_card: Callable[..., VirtualCardClient],
    virtual_printer: VirtualPrinter,
) -> None:
    seen = Seen(kiosk_app)
    for path in ("/v1/identity/challenge", "/v1/identity/verify", "/v1/reports/current"):
        platform_sim.fail_next(status=429, retry_after_s=1, path=path)
    for pattern in (SESSION + "/otp", SESSION + "/otp/verify", r"/v1/reports/[^/]+/prints"):
        platform_sim.fail_next(status=429, retry_after_s=1, path_pattern=pattern)

    to_report(qtbot, kiosk_app, platform_sim, lambda: virtual_card("zhang_wei"))
    kiosk_app.controller.handle(session.PrintRequested())
    wait_phase(qtbot, kiosk_app, Phase.DONE)

    assert Phase.ERROR not in seen.phases  # no "service unavailable", no card out and in
    assert any(s.step.platform_busy for s in seen.states)  # the header said "please wait"
    assert not kiosk_app.controller.state.step.platform_busy
    for pattern in (
        "/v1/identity/challenge",
        "/v1/identity/verify",
        SESSION + "/otp",
        SESSION + "/otp/verify",
        "/v1/reports/current",
        r"/v1/reports/[^/]+/prints",
    ):
        assert statuses(platform_sim, pattern) == [429, 200], pattern
    assert len(platform_sim.prints) == 1
    assert len(virtual_printer.wait_for_jobs(1, timeout=10)) == 1


def test_a_verify_lost_to_a_503_is_tried_again_with_a_new_challenge(
    qtbot: QtBot,
    kiosk_app: ui_app.KioskApp,
    platform_sim: PlatformSimulator,
    virtual_card: Callable[..., VirtualCardClient],
) -> None:
    seen = Seen(kiosk_app)
    platform_sim.fail_next(status=503, retry_after_s=1, path="/v1/identity/verify")
    card_in_and_consent(qtbot, kiosk_app, lambda: virtual_card("zhang_wei"))
    wait_phase(qtbot, kiosk_app, Phase.SECOND_FACTOR)
    assert Phase.ERROR not in seen.phases
    # The ticket is single-use: a second challenge, signed by the card still on the reader.
    assert statuses(platform_sim, "/v1/identity/challenge") == [200, 200]
    assert statuses(platform_sim, "/v1/identity/verify") == [503, 200]


@pytest.mark.expect_log("kiosk.flow.controller")
def test_a_print_is_recorded_before_paper_and_an_expired_token_asks_the_factor_again(
    qtbot: QtBot,
    kiosk_app: ui_app.KioskApp,
    platform_sim: PlatformSimulator,
    virtual_card: Callable[..., VirtualCardClient],
    virtual_printer: VirtualPrinter,
) -> None:
    """The resident lingered past the token's life: no paper comes out that the platform does
    not know of; a second factor again (the card is not read again), then the print."""
    platform_sim.token_life_s = 2
    to_report(qtbot, kiosk_app, platform_sim, lambda: virtual_card("zhang_wei"))
    token = kiosk_app.controller.state.resident.access_token
    assert token is not None
    platform_sim.expire_token(token)
    challenges = len(statuses(platform_sim, "/v1/identity/challenge"))

    kiosk_app.controller.handle(session.PrintRequested())
    wait_phase(qtbot, kiosk_app, Phase.SECOND_FACTOR)
    message = kiosk_app.controller.state.step.message
    assert message is not None and message.key == "token_expired"
    assert virtual_printer.jobs == [] and platform_sim.prints == []

    platform_sim.token_life_s = 600
    # The platform throttles the record too: it is waited out, still before the paper.
    platform_sim.fail_next(status=429, retry_after_s=1, path_pattern=r"/v1/reports/[^/]+/prints")
    # Staff confirm this time (a second SMS within a minute would be "resend too soon").
    kiosk_app.controller.handle(session.StaffChosen())
    kiosk_app.controller.handle(session.StaffConfirmed("100001", "246810"))
    wait_phase(qtbot, kiosk_app, Phase.REPORT)
    kiosk_app.controller.handle(session.PrintRequested())
    wait_phase(qtbot, kiosk_app, Phase.DONE)
    assert len(statuses(platform_sim, "/v1/identity/challenge")) == challenges  # card not read
    assert len(platform_sim.prints) == 1
    assert platform_sim.prints[0].kind == "receipt"
    assert len(virtual_printer.wait_for_jobs(1, timeout=10)) == 1


@pytest.mark.expect_log("kiosk.flow.controller")
def test_an_sms_code_asked_again_too_soon_is_sent_by_itself_once_the_platform_allows(
    qtbot: QtBot,
    simulator_cfg: kiosk_config.KioskConfig,
    platform_sim: PlatformSimulator,
    virtual_card: Callable[..., VirtualCardClient],
) -> None:
    """The token expired soon after the first code: the second code is asked for inside the
    platform's resend wait, longer than the kiosk waits out a 429 by itself. The screen counts
    the wait down and the code goes when the platform takes it, with no touch."""
    timeouts = dataclasses.replace(simulator_cfg.timeouts, card_read_s=6.0)
    cfg = dataclasses.replace(simulator_cfg, timeouts=timeouts)
    patience_s = composition.resident_patience_s(composition.rules(cfg))
    with running_kiosk(cfg, platform_sim) as app:
        to_report(qtbot, app, platform_sim, lambda: virtual_card("zhang_wei"))
        first_code_by = time.time()  # the platform's clock sent it at or before this
        token = app.controller.state.resident.access_token
        assert token is not None
        platform_sim.expire_token(token)
        app.controller.handle(session.PrintRequested())
        wait_phase(qtbot, app, Phase.SECOND_FACTOR)

        # The platform's clock jumps on so that its resend wait has a little more than the
        # kiosk's patience left.
        wait_s = patience_s + 2
        offset_s = first_code_by + 60 - time.time() - wait_s
        platform_sim.clock = lambda: time.time() + offset_s
        codes = len(platform_sim.sent_codes)
        app.controller.handle(session.SmsChosen())
        qtbot.wait_until(lambda: app.controller.state.resident.resend_waits == 2, timeout=WAIT_MS)
        step = app.controller.state.step
        assert step.code_waits and step.resend_after_s == math.ceil(wait_s)
        assert statuses(platform_sim, SESSION + "/otp")[-1] == 429
        assert len(platform_sim.sent_codes) == codes
        page = app.window.factor_screen.code_page
        assert page.resend_button.text().endswith("秒后自动发送")

        qtbot.wait_until(lambda: len(platform_sim.sent_codes) > codes, timeout=WAIT_MS)
        qtbot.wait_until(lambda: app.controller.state.step.otp_sent, timeout=WAIT_MS)
        assert statuses(platform_sim, SESSION + "/otp")[-2:] == [429, 200]
        app.controller.handle(session.OtpEntered(platform_sim.sent_codes[-1]))
        wait_phase(qtbot, app, Phase.REPORT)


@pytest.mark.expect_log("kiosk.flow.controller")
def test_a_dispute_is_said_received_only_once_the_platform_has_it(
    qtbot: QtBot,
    kiosk_app: ui_app.KioskApp,
    platform_sim: PlatformSimulator,
    virtual_card: Callable[..., VirtualCardClient],
) -> None:
    to_report(qtbot, kiosk_app, platform_sim, lambda: virtual_card("zhang_wei"))
    ctl = kiosk_app.controller
    ctl.handle(session.DisputeRequested("P-1"))
    # The platform is down for longer than the call's retries: the screen says so.
    platform_sim.fail_next(3, status=503, path="/v1/objections")
    ctl.handle(session.DisputeSubmitted("other", "不是我的记录"))
    qtbot.wait_until(lambda: not ctl.state.step.busy, timeout=WAIT_MS)
    state = ctl.state
    assert state.step.dispute_sent is None and state.resident.disputed == ()
    assert state.step.message is not None and state.step.message.key == "platform_unavailable"
    assert state.step.view is session.ReportView.DISPUTE  # the form stays, to send again
    assert platform_sim.objections == []

    ctl.handle(session.DisputeSubmitted("other", "不是我的记录"))
    qtbot.wait_until(lambda: ctl.state.step.dispute_sent == "P-1", timeout=WAIT_MS)
    assert ctl.state.resident.disputed == ("P-1",)
    assert [o.record_id for o in platform_sim.objections] == ["P-1"]


@pytest.mark.expect_log("kiosk.flow.controller")
def test_trust_anchors_follow_the_platform_and_refusals_are_audited(
    qtbot: QtBot,
    kiosk_app: ui_app.KioskApp,
    platform_sim: PlatformSimulator,
    virtual_card: Callable[..., VirtualCardClient],
    issuer_ca: IssuerCA,
) -> None:
    """A CA the platform adds after start-up is trusted at once; a card of an unknown CA is
    refused with its reason code in the platform's audit trail (nothing personal)."""
    resident = RESIDENTS["zhang_wei"]
    # The kiosk has fetched the set of one CA by now (its first card check, or the probe).
    qtbot.wait_until(lambda: kiosk_app.controller.state.hall.online, timeout=WAIT_MS)
    new_ca = make_issuer_ca()
    platform_sim.set_issuer_cas([issuer_ca.cert_der, new_ca.cert_der])
    card = virtual_card(image=issue_card(resident, new_ca), wait=False)
    card_in_and_consent(qtbot, kiosk_app, lambda: None)
    wait_phase(qtbot, kiosk_app, Phase.SECOND_FACTOR)
    card.remove()
    wait_phase(qtbot, kiosk_app, Phase.IDLE)

    stranger = make_issuer_ca()  # a CA the platform never trusted
    card = virtual_card(image=issue_card(resident, stranger), wait=False)
    card_in_and_consent(qtbot, kiosk_app, lambda: None)
    wait_phase(qtbot, kiosk_app, Phase.ERROR)
    refused = kiosk_app.controller.state.step.card_refused
    assert refused == session.CardRefusal("unknown_issuer", "terminal")
    assert kiosk_app.offline is not None
    kiosk_app.offline.sender.sync_now(timeout=10)
    events = [e for e in platform_sim.audit_events if e.type == "card_refused"]
    assert [(e.data["reason"], e.data["by"]) for e in events] == [("unknown_issuer", "terminal")]
    assert resident.name not in str(events[0].data) and resident.id_number not in str(
        events[0].data
    )
    card.remove()


@pytest.mark.expect_log("kiosk.offline.monitor")
def test_a_busy_platform_is_not_offline_but_two_failed_probes_are(
    qtbot: QtBot, kiosk_app: ui_app.KioskApp, platform_sim: PlatformSimulator
) -> None:
    seen = Seen(kiosk_app)
    qtbot.wait_until(lambda: len(statuses(platform_sim, "/v1/content")) >= 2, timeout=WAIT_MS)
    # A 429 and a short 503 prove the platform answers: residents are still served.
    platform_sim.fail_next(status=429, retry_after_s=1, path="/v1/content")
    platform_sim.fail_next(status=503, retry_after_s=1, path="/v1/content")
    qtbot.wait_until(
        lambda: statuses(platform_sim, "/v1/content")[-3:] == [429, 503, 200], timeout=WAIT_MS
    )
    assert all(s.hall.online for s in seen.states)
    assert kiosk_app.controller.state.hall.online
    # One 500 is not an outage either; two in a row are.
    platform_sim.fail_next(status=500, path="/v1/content")
    qtbot.wait_until(
        lambda: statuses(platform_sim, "/v1/content")[-2:] == [500, 200], timeout=WAIT_MS
    )
    assert all(s.hall.online for s in seen.states)
    platform_sim.fail_next(2, status=500, path="/v1/content")
    qtbot.wait_until(lambda: not kiosk_app.controller.state.hall.online, timeout=WAIT_MS)
    qtbot.wait_until(lambda: kiosk_app.controller.state.hall.online, timeout=WAIT_MS)


def test_the_offline_notice_promises_no_time() -> None:
    assert "半小时" not in errors.PLATFORM_OFFLINE.body
