"""Every card of the simulator's catalogue through the real stack, each to its outcome.

virtual card -> vpcd -> pcscd -> ``PcscCardReader`` -> ``rid_card`` -> ``card_identity``:
the path the kiosk takes, with nothing mocked. A genuine card and the transport oddities the
profile allows must be accepted; every broken card must end in its typed error and, for the
terminal's checks, the profile's reason code.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable

import pytest

from devices import rid_card
from devices.errors import CardRemoved, DeviceError, NotAnIdCard
from devices.pcsc_reader import PcscCardReader
from kiosk.card import identity as card_identity
from kiosk.errors import CardInvalid
from simulators.card_factory import FID_CARDCERT, FID_HOLDER, FID_SOD, IssuerCA
from simulators.pcscd import PcscdInfo
from simulators.residents import ZHANG_WEI
from simulators.virtual_card import CARD_KINDS, Rid1Applet, VirtualCardClient, make_applet
from tests.fixtures.pcsc import reader_has_card, wait_until

pytestmark = pytest.mark.pcsc

VirtualCard = Callable[..., VirtualCardClient]
ACCEPTED = "accepted"

# kind -> what the kiosk must conclude: ACCEPTED, a CardInvalid reason code, or a device error.
EXPECTED: dict[str, str | type[DeviceError]] = {
    "genuine": ACCEPTED,
    "t0_card": ACCEPTED,
    "chunks_61xx": ACCEPTED,
    "needs_6cxx": ACCEPTED,
    "short_reads": ACCEPTED,
    "extra_tags": ACCEPTED,  # later card generations add tags: skipped, not refused
    # EF.PHOTO is never read (decisions.md): a swapped photo with the SOD left alone is
    # invisible to v1 and harmless, since the kiosk neither shows nor compares the photo.
    "photo_swapped_sod_untouched": ACCEPTED,
    "forged_sod": "sod_signature",
    "photo_swapped": "sod_signature",  # the forger patched tag 82: the signature breaks
    "cloned": "active_auth",
    "expired": "card_expired",
    "wrong_check_char": "id_check_char",
    "unknown_ca": "unknown_issuer",
    "pulled_out_mid_read": CardRemoved,
    "not_an_id_card": NotAnIdCard,
}


def test_table_covers_every_kind() -> None:
    assert set(EXPECTED) == set(CARD_KINDS)


def read_and_check(reader: PcscCardReader, trust_anchors: list[bytes]) -> card_identity.Holder:
    """What the controller does: read, authenticate, then the terminal's checks."""
    challenge = os.urandom(32)
    conn = reader.connect()
    try:
        files = rid_card.read_identity_files(conn)
        signature = rid_card.internal_authenticate(conn, challenge)
    finally:
        conn.close()
    return card_identity.check_card(
        files,
        signature=signature,
        challenge=challenge,
        trust_anchors=trust_anchors,
        today_cst=card_identity.today_in_china(),
    )


@pytest.mark.parametrize(("kind", "expected"), EXPECTED.items(), ids=list(EXPECTED))
def test_card_through_pcscd(
    pcscd: PcscdInfo,
    issuer_ca: IssuerCA,
    virtual_card: VirtualCard,
    kind: str,
    expected: str | type[DeviceError],
) -> None:
    applet = make_applet(kind, ZHANG_WEI, issuer_ca)
    virtual_card(applet=applet)
    reader = PcscCardReader(r"virtual pcd 00 00")

    if expected == ACCEPTED:
        holder = read_and_check(reader, [issuer_ca.cert_der])
        assert holder.id_number == ZHANG_WEI.id_number
        assert holder.verified_by == "active_auth"
    elif isinstance(expected, str):
        with pytest.raises(CardInvalid) as info:
            read_and_check(reader, [issuer_ca.cert_der])
        assert info.value.reason == expected
    else:
        with pytest.raises(expected):
            read_and_check(reader, [issuer_ca.cert_der])

    if kind == "pulled_out_mid_read":
        assert applet.apdu_count == applet.pull_out_after
        wait_until(lambda: not reader_has_card(pcscd.reader), 10.0, "the card gone")


def minimal_apdus(applet: Rid1Applet) -> int:
    """SELECT AID; per file SELECT and one READ BINARY per started 256 bytes; INTERNAL AUTH."""
    files = applet.image.files
    reads = sum(-(-len(files[fid]) // 256) for fid in (FID_HOLDER, FID_CARDCERT, FID_SOD))
    return 1 + 3 + reads + 1


def test_genuine_card_uses_the_fewest_apdus(issuer_ca: IssuerCA, virtual_card: VirtualCard) -> None:
    applet = make_applet("genuine", ZHANG_WEI, issuer_ca)
    virtual_card(applet=applet)

    read_and_check(PcscCardReader(r"virtual pcd 00 00"), [issuer_ca.cert_der])

    assert applet.apdu_count == minimal_apdus(applet)


def test_expired_relative_to_given_day(issuer_ca: IssuerCA) -> None:
    # make_applet's "expired" is relative to its `today`, so the table stays right any day.
    applet = make_applet("expired", ZHANG_WEI, issuer_ca, today=dt.date(2030, 5, 1))
    holder = card_identity.Holder.from_file(applet.image.files[FID_HOLDER])
    assert holder.valid_until == dt.date(2030, 4, 30)


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown card kind"):
        make_applet("nonsense", ZHANG_WEI, IssuerCA.__new__(IssuerCA))
