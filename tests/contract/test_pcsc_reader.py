"""PcscCardReader over the real stack: pcscd + vpcd + the virtual card, through pyscard."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from devices import rid_card
from devices.card_reader import CardEvent, CardInserted, CardRemoved
from devices.errors import CardRemoved as CardRemovedError
from devices.errors import NoReader
from devices.pcsc_reader import PcscCardReader
from simulators.card_factory import FID_CARDCERT, FID_HOLDER, FID_PHOTO, FID_SOD
from simulators.pcscd import PcscdInfo
from simulators.virtual_card import VirtualCardClient

pytestmark = pytest.mark.pcsc

EVENT_TIMEOUT_S = 10.0
VirtualCard = Callable[..., VirtualCardClient]


@pytest.fixture
def events() -> queue.Queue[CardEvent]:
    return queue.Queue()


@pytest.fixture
def reader(pcscd: PcscdInfo, events: queue.Queue[CardEvent]) -> Iterator[PcscCardReader]:
    r = PcscCardReader(r"virtual pcd 00 00")
    r.start(events.put)
    yield r
    r.stop()


def next_event(events: queue.Queue[CardEvent], kind: type[object]) -> CardEvent:
    """The next event of ``kind``, skipping others; fails after a deadline."""
    while True:
        try:
            event = events.get(timeout=EVENT_TIMEOUT_S)
        except queue.Empty:
            pytest.fail(f"no {kind.__name__} event within {EVENT_TIMEOUT_S} s")
        if isinstance(event, kind):
            return event


def test_insert_and_remove_events(
    reader: PcscCardReader, events: queue.Queue[CardEvent], virtual_card: VirtualCard
) -> None:
    card = virtual_card(wait=False)

    inserted = next_event(events, CardInserted)
    assert inserted == CardInserted("Virtual PCD 00 00", card.card.atr)

    card.remove()
    assert next_event(events, CardRemoved) == CardRemoved("Virtual PCD 00 00")


def test_read_and_authenticate_through_pcscd(
    reader: PcscCardReader, events: queue.Queue[CardEvent], virtual_card: VirtualCard
) -> None:
    image = virtual_card("li_na").card.image
    next_event(events, CardInserted)
    challenge = os.urandom(32)

    conn = reader.connect()
    try:
        files = rid_card.read_identity_files(conn)
        signature = rid_card.internal_authenticate(conn, challenge)
        photo = rid_card.read_file(conn, FID_PHOTO)
    finally:
        conn.close()
    conn.close()  # idempotent

    assert files.holder == image.files[FID_HOLDER]
    assert files.card_cert == image.files[FID_CARDCERT]
    assert files.sod == image.files[FID_SOD]
    assert photo == image.files[FID_PHOTO]
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    image.private_key.public_key().verify(der, challenge, ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize(
    "variant",
    [{"max_read": 100}, {"use_get_response": True}, {"strict_le": True}],
    ids=["chunks", "61XX", "6CXX"],
)
def test_transport_variants_through_pcscd(
    reader: PcscCardReader, virtual_card: VirtualCard, variant: dict[str, object]
) -> None:
    image = virtual_card(**variant).card.image
    conn = reader.connect()
    try:
        files = rid_card.read_identity_files(conn)
        assert len(rid_card.internal_authenticate(conn, os.urandom(32))) == 64
    finally:
        conn.close()
    assert files.sod == image.files[FID_SOD]


def test_removal_mid_session_is_card_removed(
    reader: PcscCardReader, events: queue.Queue[CardEvent], virtual_card: VirtualCard
) -> None:
    card = virtual_card()
    conn = reader.connect()
    try:
        rid_card.select_application(conn)
        card.remove()
        # vpcd notices the closed socket at the next APDU: that must be "removed", nothing else.
        with pytest.raises(CardRemovedError):
            rid_card.read_file(conn, FID_PHOTO)
    finally:
        conn.close()
    next_event(events, CardRemoved)


def test_connect_without_card_is_card_removed(pcscd: PcscdInfo) -> None:
    with pytest.raises(CardRemovedError):
        PcscCardReader("virtual pcd 00 00").connect()


def test_connect_without_matching_reader(pcscd: PcscdInfo) -> None:
    with pytest.raises(NoReader):
        PcscCardReader("no such reader").connect()


def test_stop_joins_monitor_thread(pcscd: PcscdInfo) -> None:
    r = PcscCardReader("virtual pcd")
    r.start(lambda event: None)
    r.stop()
    assert not [t for t in threading.enumerate() if t.name == "pcsc-monitor"]
