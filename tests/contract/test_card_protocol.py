"""RID-1 protocol (devices.rid_card) against the simulated applet and scripted fakes."""

from __future__ import annotations

import os
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from devices import rid_card
from devices.card_reader import Response
from devices.errors import CardCommunicationError, CardStatusError, NotAnIdCard
from simulators.card_factory import (
    FID_CARDCERT,
    FID_HOLDER,
    FID_PHOTO,
    FID_SOD,
    CardImage,
    IssuerCA,
    issue_card,
)
from simulators.residents import ZHANG_WEI
from simulators.virtual_card import Rid1Applet


class AppletConnection:
    """In-process CardConnection: APDUs go straight to the applet, and are recorded."""

    def __init__(self, applet: Rid1Applet) -> None:
        self.applet = applet
        self.sent: list[bytes] = []

    def transmit(self, apdu: bytes) -> Response:
        self.sent.append(apdu)
        raw = self.applet.process(apdu)
        return Response(raw[:-2], raw[-2], raw[-1])

    def close(self) -> None:
        pass


class ScriptedConnection:
    """A CardConnection answering from a script of (expected APDU, raw answer) pairs."""

    def __init__(self, script: list[tuple[str, str]]) -> None:
        self.script = [(bytes.fromhex(c), bytes.fromhex(r)) for c, r in script]

    def transmit(self, apdu: bytes) -> Response:
        expected, raw = self.script.pop(0)
        assert apdu == expected, f"sent {apdu.hex()} expected {expected.hex()}"
        return Response(raw[:-2], raw[-2], raw[-1])

    def close(self) -> None:
        pass


@pytest.fixture
def image(issuer_ca: IssuerCA) -> CardImage:
    return issue_card(ZHANG_WEI, issuer_ca)


def reads(conn: AppletConnection) -> list[bytes]:
    return [a for a in conn.sent if a[1] == 0xB0]


@pytest.mark.parametrize(
    "variant",
    [
        {},
        {"max_read": 17},
        {"strict_le": True},
        {"use_get_response": True},
        {"use_get_response": True, "max_read": 64},
    ],
    ids=["normal", "chunks-17", "6CXX", "61XX", "61XX-chunks-64"],
)
def test_read_identity_files_matches_card(image: CardImage, variant: dict[str, Any]) -> None:
    conn = AppletConnection(Rid1Applet(image, **variant))

    files = rid_card.read_identity_files(conn)

    assert files.holder == image.files[FID_HOLDER]
    assert files.card_cert == image.files[FID_CARDCERT]
    assert files.sod == image.files[FID_SOD]
    # The photo is never read.
    assert bytes.fromhex("00A4020C020102") not in conn.sent


def test_read_file_stops_at_tlv_end_without_reading_past(image: CardImage) -> None:
    # A file with padding after its TLV: the reader returns exactly the TLV.
    tlv_bytes = image.files[FID_HOLDER]
    padded = CardImage(
        {**image.files, FID_HOLDER: tlv_bytes + b"\xff" * 40}, image.private_key, image.atr
    )
    conn = AppletConnection(Rid1Applet(padded))
    rid_card.select_application(conn)

    assert rid_card.read_file(conn, FID_HOLDER) == tlv_bytes


def test_photo_read_in_256_byte_chunks_with_eof(image: CardImage) -> None:
    conn = AppletConnection(Rid1Applet(image))
    rid_card.select_application(conn)

    photo = rid_card.read_file(conn, FID_PHOTO)

    assert photo == image.files[FID_PHOTO]
    assert len(reads(conn)) == -(-len(photo) // 256)
    # Only the first read asks 256 blindly (Le=00); later ones ask what the TLV says is left.
    assert reads(conn)[0][4] == 0x00
    assert reads(conn)[-1][4] == len(photo) % 256 or reads(conn)[-1][4] == 0


def test_applet_answers_6282_when_fewer_bytes_remain(image: CardImage) -> None:
    applet = Rid1Applet(image)
    applet.process(bytes.fromhex("00A4040C0A") + image.aid)
    applet.process(bytes.fromhex("00A4020C020104"))
    size = len(image.files[FID_SOD])

    raw = applet.process(bytes([0x00, 0xB0, 0x00, size - 4, 0x00]))

    assert raw[-2:] == b"\x62\x82"
    assert raw[:-2] == image.files[FID_SOD][-4:]
    assert applet.process(bytes([0x00, 0xB0, 0x00, size, 0x01]))[-2:] == b"\x6b\x00"


@pytest.mark.parametrize(
    ("apdu", "sw"),
    [
        ("00A4020C020101", "6A82"),  # EF before the application
        ("00B0000010", "6982"),  # read before select
        ("00CA000000", "6D00"),  # unknown INS
        ("00A4040C0AF0524944314B494F5300", "6A82"),  # unknown AID
    ],
)
def test_applet_status_words(image: CardImage, apdu: str, sw: str) -> None:
    assert Rid1Applet(image).process(bytes.fromhex(apdu))[-2:] == bytes.fromhex(sw)


def test_select_aid_long_form_and_unknown_file(image: CardImage) -> None:
    applet = Rid1Applet(image)
    assert applet.process(bytes.fromhex("00A404000A") + image.aid + b"\x00") == b"\x90\x00"
    assert applet.process(bytes.fromhex("00A4020C020999"))[-2:] == b"\x6a\x82"


def test_internal_authenticate_verifies_with_card_key(image: CardImage) -> None:
    conn = AppletConnection(Rid1Applet(image))
    rid_card.select_application(conn)
    challenge = os.urandom(32)

    sig = rid_card.internal_authenticate(conn, challenge)

    assert len(sig) == 64
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    image.private_key.public_key().verify(der, challenge, ec.ECDSA(hashes.SHA256()))
    assert conn.sent[-1] == bytes.fromhex("0088000020") + challenge + b"\x00"


def test_internal_authenticate_rejects_wrong_challenge_size(image: CardImage) -> None:
    conn = AppletConnection(Rid1Applet(image))
    with pytest.raises(ValueError, match="32 bytes"):
        rid_card.internal_authenticate(conn, b"\x00" * 16)


def test_not_an_id_card() -> None:
    conn = ScriptedConnection([("00A4040C0AF0524944314B494F534B", "6A82")])
    with pytest.raises(NotAnIdCard):
        rid_card.select_application(conn)


def test_select_aid_falls_back_to_fci_form() -> None:
    conn = ScriptedConnection(
        [
            ("00A4040C0AF0524944314B494F534B", "6A86"),
            ("00A404000AF0524944314B494F534B00", "6F00" + "9000"),
        ]
    )
    rid_card.select_application(conn)
    assert conn.script == []


def test_other_status_is_card_status_error() -> None:
    conn = ScriptedConnection([("00A4040C0AF0524944314B494F534B", "6999")])
    with pytest.raises(CardStatusError) as info:
        rid_card.select_application(conn)
    assert info.value.sw == 0x6999


def test_scripted_61xx_then_6cxx_in_one_read() -> None:
    # READ BINARY: the card asks for Le=05 (6C05), then delivers via 61XX + GET RESPONSE.
    conn = ScriptedConnection(
        [
            ("00A4020C020101", "9000"),
            ("00B0000000", "6C05"),
            ("00B0000005", "6103"),
            ("00C0000003", "6103" + "6103"),
            ("00C0000003", "AABBCC" + "9000"),
        ]
    )
    # The chunks join to 61 03 AA BB CC: template 61 of 3 bytes, the whole 5-byte file.
    assert rid_card.read_file(conn, 0x0101) == bytes.fromhex("6103AABBCC")
    assert conn.script == []


def test_scripted_short_answers_without_6282() -> None:
    # A card that answers 2 bytes at a time with 9000: keep reading to the TLV's length.
    conn = ScriptedConnection(
        [
            ("00A4020C020103", "9000"),
            ("00B0000000", "8003" + "9000"),
            ("00B0000203", "AABB" + "9000"),
            ("00B0000401", "CC" + "9000"),
        ]
    )
    assert rid_card.read_file(conn, 0x0103) == bytes.fromhex("8003AABBCC")


def test_truncated_file_is_a_communication_error() -> None:
    conn = ScriptedConnection([("00A4020C020104", "9000"), ("00B0000000", "7705AABB" + "6282")])
    with pytest.raises(CardCommunicationError, match="ends inside its TLV"):
        rid_card.read_file(conn, 0x0104)


def test_card_files_repr_hides_content(image: CardImage) -> None:
    files = rid_card.read_identity_files(AppletConnection(Rid1Applet(image)))
    assert "张" not in repr(files)
    assert ZHANG_WEI.id_number not in repr(files)
