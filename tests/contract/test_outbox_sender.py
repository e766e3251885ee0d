"""OutboxSender against the platform simulator over HTTPS: kinds, batching, back-off, outages."""

from __future__ import annotations

import datetime as dt
import logging
import pathlib
import time
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.offline.sender import (
    Backoff,
    Heartbeat,
    OutboxSender,
    queue_audit_event,
    queue_heartbeat,
    queue_objection,
    queue_print,
)
from kiosk.platform.client import PlatformClient
from kiosk.platform.models import AuditEvent
from offline_cache.keys import StaticKeyProvider
from offline_cache.outbox import Outbox, read_stats
from simulators.platform_server import PlatformSimulator
from tests.fixtures.platform import Issuer
from tests.support import fakes
from tests.support.outbox import ResidentReport, resident_report, sender_client

CST = dt.timezone(dt.timedelta(hours=8))
AUDIT_PATH = "/v1/audit-events"
PRINTED_AT = dt.datetime(2024, 5, 1, 9, 30, tzinfo=CST)


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox(tmp_path: pathlib.Path, clock: Clock) -> Iterator[Outbox]:
    with Outbox(tmp_path / "outbox.sqlite3", StaticKeyProvider(), clock=clock) as box:
        yield box


@pytest.fixture
def client(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient
) -> Iterator[PlatformClient]:
    assert enrolled_client.credentials is not None
    with sender_client(platform_sim, enrolled_client.credentials) as c:
        yield c


@pytest.fixture
def resident(enrolled_client: PlatformClient, issuer: Issuer) -> ResidentReport:
    return resident_report(enrolled_client, issuer)


def sender(outbox: Outbox, client: Any, clock: Clock, **kwargs: Any) -> OutboxSender:
    # No jitter unless asked: the schedule is then exact.
    kwargs.setdefault("backoff", Backoff(base_s=2, max_s=60, jitter=0))
    return OutboxSender(outbox, client, clock=clock, rand=lambda: 0.5, **kwargs)


def audit(n: int) -> AuditEvent:
    return AuditEvent(f"evt-{n:04d}", dt.datetime(2024, 5, 1, 9, 0, n % 60, tzinfo=CST), "test")


def calls(sim: PlatformSimulator, path: str) -> list[int]:
    return [e.status for e in sim.request_log if e.path == path]


def print_item(outbox: Outbox, resident: ResidentReport, key: str | None = None) -> str:
    return queue_print(
        outbox,
        token=resident.token,
        report_id=resident.report_id,
        printed_at=PRINTED_AT,
        idempotency_key=key,
    )


# ---------------------------------------------------------------------- delivery


def test_every_kind_is_delivered_oldest_first(
    platform_sim: PlatformSimulator,
    client: PlatformClient,
    resident: ResidentReport,
    outbox: Outbox,
    clock: Clock,
) -> None:
    print_item(outbox, resident)
    queue_audit_event(outbox, audit(1))
    queue_objection(
        outbox,
        token=resident.token,
        report_id=resident.report_id,
        record_id=resident.record_id,
        reason="不是我本人的记录",
    )
    queue_audit_event(outbox, audit(2))
    queue_heartbeat(outbox, Heartbeat("0.1", {"printer": "ok"}))
    result = sender(outbox, client, clock).run_once()
    assert (result.delivered, result.dropped, result.failed) == (5, 0, 0)
    assert [p.report_id for p in platform_sim.prints] == [resident.report_id]
    assert [o.record_id for o in platform_sim.objections] == [resident.record_id]
    assert [e.event_id for e in platform_sim.audit_events] == ["evt-0001", "evt-0002"]
    assert client.credentials is not None
    beat = platform_sim.last_heartbeat(client.credentials.terminal_id)
    assert beat["outbox_backlog"] == 0 and beat["devices"] == {"printer": "ok"}
    paths = [e.path for e in platform_sim.request_log if e.status in (200, 201, 204)]
    order = [p for p in paths if p.startswith(("/v1/reports/", "/v1/objections", AUDIT_PATH))]
    assert order[-3:][0].endswith("/prints") and order[-3:][1] == AUDIT_PATH
    stats = outbox.stats()
    assert (stats.size, stats.last_delivery_at) == (0, clock.now)


def test_audit_events_are_batched(
    platform_sim: PlatformSimulator, client: PlatformClient, outbox: Outbox, clock: Clock
) -> None:
    for n in range(7):
        queue_audit_event(outbox, audit(n))
    result = sender(outbox, client, clock, audit_batch_size=3).run_once()
    assert result.delivered == 7
    assert calls(platform_sim, AUDIT_PATH) == [200, 200, 200]
    assert len(platform_sim.audit_events) == 7


def test_sending_again_is_deduplicated_by_the_platform(
    platform_sim: PlatformSimulator,
    client: PlatformClient,
    resident: ResidentReport,
    outbox: Outbox,
    clock: Clock,
) -> None:
    # As if the sender was killed after the platform answered and before the row went.
    for _ in range(2):
        queue_audit_event(outbox, audit(1))
        print_item(outbox, resident, key="print-key-1")
        assert sender(outbox, client, clock).run_once().delivered == 2
    assert len(platform_sim.audit_events) == 1
    assert len(platform_sim.prints) == 1
    assert calls(platform_sim, f"/v1/reports/{resident.report_id}/prints") == [201, 200]


# ---------------------------------------------------------------------- back-off


def test_backoff_schedule_doubles_up_to_its_cap_with_jitter() -> None:
    policy = Backoff(base_s=2, max_s=60, jitter=0.5)
    assert [policy.delay(n, 1.0) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]
    assert [policy.delay(n, 0.0) for n in range(1, 4)] == [1, 2, 4]
    assert policy.delay(1, 0.0, retry_after_s=90) == 90
    assert policy.delay(5, 1.0, retry_after_s=5) == 32  # our own back-off can ask for more
    assert Backoff(max_retry_after_s=3600).delay(1, 0, retry_after_s=1e9) == 3600


def test_outage_backs_off_exponentially_then_delivers(
    platform_sim: PlatformSimulator, client: PlatformClient, outbox: Outbox, clock: Clock
) -> None:
    for n in range(3):
        queue_audit_event(outbox, audit(n))
    s = sender(outbox, client, clock)
    platform_sim.fail_next(3, status=503, path=AUDIT_PATH)
    waits = []
    start = clock.now
    for _ in range(3):
        result = s.run_once()
        assert result.delivered == 0 and result.paused_until is not None
        waits.append(result.paused_until - clock.now)
        # Nothing is sent while paused.
        assert s.run_once().paused_until == result.paused_until
        clock.now = result.paused_until
    assert waits == [2, 4, 8]
    assert len(calls(platform_sim, AUDIT_PATH)) == 3  # one request per attempt, not per item
    assert s.run_once().delivered == 3
    assert s.consecutive_failures == 0
    assert clock.now - start == 14
    assert outbox.stats().size == 0


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(
    platform_sim: PlatformSimulator,
    client: PlatformClient,
    resident: ResidentReport,
    outbox: Outbox,
    clock: Clock,
    status: int,
) -> None:
    print_item(outbox, resident)
    platform_sim.fail_next(status=status, retry_after_s=120)
    s = sender(outbox, client, clock)
    result = s.run_once()
    assert result.paused_until == clock.now + 120
    clock.now += 119
    assert s.run_once().delivered == 0
    assert len(platform_sim.prints) == 0
    clock.now += 1
    assert s.run_once().delivered == 1
    assert len(platform_sim.prints) == 1


def test_a_refused_terminal_keeps_its_items(
    platform_sim: PlatformSimulator, client: PlatformClient, outbox: Outbox, clock: Clock
) -> None:
    assert client.credentials is not None
    platform_sim.disable_terminal(client.credentials.terminal_id)
    queue_audit_event(outbox, audit(1))
    s = sender(outbox, client, clock)
    assert s.run_once().paused_until is not None
    assert outbox.stats().size == 1 and outbox.stats().dead == 0
    platform_sim.disable_terminal(client.credentials.terminal_id, False)
    clock.now += 3600
    assert s.run_once().delivered == 1


@pytest.mark.expect_log("kiosk.offline.sender")
def test_expired_token_drops_the_print_record_with_a_log_line(
    platform_sim: PlatformSimulator,
    client: PlatformClient,
    resident: ResidentReport,
    outbox: Outbox,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = print_item(outbox, resident)
    queue_audit_event(outbox, audit(1))
    platform_sim.expire_token(resident.token)
    with caplog.at_level(logging.WARNING, "kiosk.offline.sender"):
        result = sender(outbox, client, clock).run_once()
    assert (result.delivered, result.dropped) == (1, 1)
    stats = outbox.stats()
    assert (stats.size, stats.dead) == (0, 1)
    assert platform_sim.prints == []
    assert key in caplog.text and "token_expired" in caplog.text
    assert resident.token not in caplog.text


# ---------------------------------------------------------------------- refusals


@pytest.mark.expect_log("kiosk.offline.sender")
def test_a_refused_batch_is_split_to_find_the_bad_event(outbox: Outbox, clock: Clock) -> None:
    for n in range(4):
        queue_audit_event(outbox, audit(n))
    fake = fakes.RefusingSubmitter(bad="evt-0002")
    result = sender(outbox, fake, clock).run_once()
    assert (result.delivered, result.dropped) == (3, 1)
    assert fake.batches[0] == ["evt-0000", "evt-0001", "evt-0002", "evt-0003"]
    assert fake.batches[1:] == [["evt-0000"], ["evt-0001"], ["evt-0002"], ["evt-0003"]]


@pytest.mark.expect_log("kiosk.offline.sender")
def test_bad_payloads_are_dropped_and_unknown_states_kept(outbox: Outbox, clock: Clock) -> None:
    outbox.enqueue("print", {"token": "t", "report_id": "r", "copies": 99, "kind": "receipt",
                             "printed_at": "2024-05-01T09:00:00+08:00"}, "p1")  # fmt: skip
    outbox.enqueue("mystery", {}, "m1")
    queue_heartbeat(outbox, Heartbeat("0.1", {}))
    s = sender(outbox, fakes.RefusingSubmitter(bad=""), clock)
    result = s.run_once()
    assert (result.dropped, result.failed) == (2, 1)  # NotEnrolled: the terminal, kept
    assert outbox.stats().size == 1


# ---------------------------------------------------------------------- outage and thread


def test_platform_down_for_a_while_then_back(
    tmp_path: pathlib.Path,
    platform_sim: PlatformSimulator,
    client: PlatformClient,
    resident: ResidentReport,
    issuer_ca_certs: list[bytes],
    outbox: Outbox,
    clock: Clock,
) -> None:
    port = int(platform_sim.base_url.rsplit(":", 1)[1])
    platform_sim.stop()
    for n in range(5):
        queue_audit_event(outbox, audit(n))
        print_item(outbox, resident)
    s = sender(outbox, client, clock)
    for _ in range(4):  # four attempts while the platform is away
        result = s.run_once()
        assert result.paused_until is not None and result.delivered == 0
        clock.now = result.paused_until
    assert outbox.stats().size == 10
    # The same platform comes back on its own data dir (credentials, tokens and all).
    with PlatformSimulator(
        tmp_path / "platform", issuer_ca_certs=issuer_ca_certs, port=port
    ) as back:
        assert s.run_once().delivered == 10
        assert len(back.prints) == 5 and len(back.audit_events) == 5
    assert outbox.stats().size == 0


def test_background_thread_delivers_and_stops(
    platform_sim: PlatformSimulator, client: PlatformClient, tmp_path: pathlib.Path
) -> None:
    with Outbox(tmp_path / "t.sqlite3", StaticKeyProvider()) as box:
        s = OutboxSender(box, client, idle_poll_s=5)
        s.start()
        try:
            for n in range(3):
                queue_audit_event(box, audit(n))
            s.wake()
            deadline = time.monotonic() + 10
            while box.size() and time.monotonic() < deadline:
                time.sleep(0.02)
            assert box.size() == 0
        finally:
            started = time.monotonic()
            s.stop()
            assert time.monotonic() - started < 2  # the idle wait is cut short
        assert len(platform_sim.audit_events) == 3


def test_sync_now_ends_the_back_off_and_heartbeats_come_on_their_own(
    tmp_path: pathlib.Path,
    platform_sim: PlatformSimulator,
    client: PlatformClient,
    issuer_ca_certs: list[bytes],
) -> None:
    port = int(platform_sim.base_url.rsplit(":", 1)[1])
    platform_sim.stop()
    with Outbox(tmp_path / "s.sqlite3", StaticKeyProvider()) as box:
        s = OutboxSender(
            box,
            client,
            idle_poll_s=60,
            backoff=Backoff(base_s=600, max_s=600, jitter=0),
            heartbeat=lambda: Heartbeat("9.9", {"printer": "ok"}),
            heartbeat_interval_s=3600,
        )
        queue_audit_event(box, audit(1))
        s.start()
        try:
            first = s.sync_now(timeout=10)
            assert first is not None and first.delivered == 0 and first.paused_until
            assert box.stats().size == 2  # the audit event and the start-up heartbeat
            now = time.time()
            assert read_stats(box.path, now=now) == box.stats(now)
            with PlatformSimulator(
                tmp_path / "platform", issuer_ca_certs=issuer_ca_certs, port=port
            ) as back:
                # Without "sync now" the sender would wait out its 600 s back-off.
                second = s.sync_now(timeout=10)
                assert second is not None and second.delivered == 2
                assert [e.event_id for e in back.audit_events] == ["evt-0001"]
                assert client.credentials is not None
                beat = back.last_heartbeat(client.credentials.terminal_id)
                assert beat["version"] == "9.9" and beat["outbox_backlog"] == 0
        finally:
            s.stop()
        stats = read_stats(box.path)
        assert stats is not None and stats.size == 0 and stats.last_delivery_at is not None
    assert read_stats(tmp_path / "never.sqlite3") is None
