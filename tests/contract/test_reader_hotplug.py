"""Reader events while the kiosk runs, through pcscd + vpcd: cards in and out, pcscd gone.

The service tests stop (or kill) the session's own pcscd and start it again
(``owned_pcscd``), so they need a pcscd the tests started; they skip on a machine whose
system pcscd serves the tests.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devices import pcsc_reader, rid_card
from devices.card_reader import CardInserted, CardRemoved, ReaderReady, ReaderUnavailable
from devices.errors import NoReader, ReaderServiceDown
from devices.pcsc_reader import PcscCardReader
from simulators.card_factory import IssuerCA, issue_card
from simulators.pcscd import PcscdInfo, PcscdProcess
from simulators.residents import ZHANG_WEI
from simulators.virtual_card import Rid1Applet, VirtualCardClient
from tests.fixtures.pcsc import wait_until
from tests.support.kiosk import CardEvents

pytestmark = pytest.mark.pcsc

EVENT_TIMEOUT_S = 10.0
READER = "Virtual PCD 00 00"
VirtualCard = Callable[..., VirtualCardClient]


@pytest.fixture
def events() -> CardEvents:
    return CardEvents()


@pytest.fixture
def start_reader(events: CardEvents) -> Iterator[Callable[..., PcscCardReader]]:
    readers: list[PcscCardReader] = []

    def start(pattern: str = "virtual pcd 00 00", **kwargs: Any) -> PcscCardReader:
        reader = PcscCardReader(pattern, **kwargs)
        reader.start(events.put)
        readers.append(reader)
        return reader

    yield start
    for reader in readers:
        reader.stop()


def read_holder_file(reader: PcscCardReader) -> bytes:
    conn = reader.connect()
    try:
        files = rid_card.read_identity_files(conn)
        assert len(rid_card.internal_authenticate(conn, os.urandom(32))) == 64
    finally:
        conn.close()
    return files.holder


def test_card_inserted_and_removed_repeatedly(
    start_reader: Callable[..., PcscCardReader],
    events: CardEvents,
    pcscd: PcscdInfo,
    issuer_ca: IssuerCA,
) -> None:
    reader = start_reader()
    for round_ in range(5):
        image = issue_card(ZHANG_WEI, issuer_ca)
        card = VirtualCardClient(Rid1Applet(image), port=pcscd.port)
        card.insert()
        try:
            events.expect(CardInserted(READER, image.atr))
            if round_ % 2 == 0:  # a session reads the card; others just come and go
                assert read_holder_file(reader) == image.files[0x0101]
        finally:
            card.remove()
        events.expect(CardRemoved(READER))
    events.none_within(0.5)


def test_reader_matching_no_pattern_is_no_reader(
    start_reader: Callable[..., PcscCardReader], events: CardEvents, pcscd: PcscdInfo
) -> None:
    reader = start_reader("no such reader")

    events.expect(ReaderUnavailable("no_reader"))
    events.none_within(1.0)  # said once, not at every poll
    with pytest.raises(NoReader):
        reader.connect()


@pytest.mark.expect_log("devices.pcsc_reader")
def test_service_down_is_not_no_reader_and_recovers(
    start_reader: Callable[..., PcscCardReader],
    events: CardEvents,
    owned_pcscd: PcscdProcess,
    pcscd: PcscdInfo,
    issuer_ca: IssuerCA,
) -> None:
    reader = start_reader(max_backoff_s=1.0)
    first = VirtualCardClient(Rid1Applet(issue_card(ZHANG_WEI, issuer_ca)), port=pcscd.port)
    first.insert()
    events.expect(CardInserted(READER, first.card.atr))
    assert events.ready == [ReaderReady(READER)]  # the idle screen can invite cards

    owned_pcscd.stop(kill=True)  # a crash: no goodbye to the clients

    events.expect(CardRemoved(READER), ReaderUnavailable("service_down"))
    with pytest.raises(ReaderServiceDown):
        reader.connect()
    with pytest.raises(ReaderServiceDown):
        pcsc_reader.list_readers()
    first.remove()  # pcscd took vpcd's socket with it

    owned_pcscd.start()
    image = issue_card(ZHANG_WEI, issuer_ca)
    with VirtualCardClient(Rid1Applet(image), port=pcscd.port):
        event = events.next()
        while isinstance(event, ReaderUnavailable):  # the reader may show up after the daemon
            assert event.reason == "no_reader"
            event = events.next()
        assert event == CardInserted(READER, image.atr)
        assert read_holder_file(reader) == image.files[0x0101]
    events.expect(CardRemoved(READER))
    # Said again once the daemon was back: the idle screen stops saying "reader unusable".
    assert events.ready == [ReaderReady(READER), ReaderReady(READER)]


# pcscd is stopped on purpose: the reader says so in the log.
@pytest.mark.expect_log("devices.pcsc_reader")
def test_service_down_at_start_then_up(
    start_reader: Callable[..., PcscCardReader],
    events: CardEvents,
    owned_pcscd: PcscdProcess,
    pcscd: PcscdInfo,
    issuer_ca: IssuerCA,
) -> None:
    owned_pcscd.stop()
    reader = start_reader(max_backoff_s=0.5)
    events.expect(ReaderUnavailable("service_down"))
    with pytest.raises(ReaderServiceDown):
        reader.connect()

    owned_pcscd.start()
    image = issue_card(ZHANG_WEI, issuer_ca)
    with VirtualCardClient(Rid1Applet(image), port=pcscd.port):
        event = events.next()
        while isinstance(event, ReaderUnavailable):
            assert event.reason == "no_reader"
            event = events.next()
        assert event == CardInserted(READER, image.atr)


class EstablishSpy:
    """``smartcard.scard`` with the monitor thread's failed ``SCardEstablishContext`` timed."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self._lock = threading.Lock()
        self.failures: list[float] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def SCardEstablishContext(self, scope: int) -> tuple[int, int]:  # noqa: N802 - pyscard's name
        hr, context = self._real.SCardEstablishContext(scope)
        # Only the monitor's attempts: the test's own pcscd probes go through here too.
        if hr != self._real.SCARD_S_SUCCESS and threading.current_thread().name == "pcsc-monitor":
            with self._lock:
                self.failures.append(time.monotonic())
        return hr, context

    def failure_count(self) -> int:
        with self._lock:
            return len(self.failures)


# pcscd is stopped on purpose: the reader says so in the log.
@pytest.mark.expect_log("devices.pcsc_reader")
def test_reconnects_with_back_off(
    start_reader: Callable[..., PcscCardReader],
    events: CardEvents,
    owned_pcscd: PcscdProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spy = EstablishSpy(pcsc_reader._scard())
    monkeypatch.setattr(pcsc_reader, "_scard_module", spy)
    start_reader(max_backoff_s=1.0)
    owned_pcscd.stop()
    first = events.next()
    if first == ReaderUnavailable("no_reader"):
        # A pcscd stopped in an orderly way drops its readers before it goes: a monitor that
        # had only just started may see that first.
        first = events.next()
    assert first == ReaderUnavailable("service_down")

    wait_until(lambda: spy.failure_count() >= 5, 15.0, "five reconnection attempts")
    events.none_within(0.1)  # "service down" is said once, not at every attempt

    gaps = [b - a for a, b in zip(spy.failures, spy.failures[1:], strict=False)][:4]
    # 0.25 s, 0.5 s, then capped at 1 s: the daemon is not hammered, and not given up on.
    assert gaps[0] >= 0.2
    assert gaps[1] >= 0.45
    assert all(0.9 <= gap <= 2.0 for gap in gaps[2:]), gaps
