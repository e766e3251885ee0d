"""The RID-1 card protocol (``specs/id-card-profile.md``) over any ``CardConnection``.

Pure protocol code: no PC/SC here, so it runs against a fake connection in tests. It handles
the transport behaviour the profile requires of a reader: ``61 XX`` (GET RESPONSE), ``6C XX``
(resend with the right Le), cards answering READ BINARY in small chunks, and ``62 82`` at the
end of a file. It reads bytes; checking them is ``kiosk.card.identity``'s job.
"""

from __future__ import annotations

import dataclasses
import logging

from devices.card_reader import CardConnection, Response
from devices.errors import CardCommunicationError, CardStatusError, NotAnIdCard

logger = logging.getLogger(__name__)

AID = bytes.fromhex("F0524944314B494F534B")
FID_HOLDER = 0x0101
FID_PHOTO = 0x0102
FID_CARDCERT = 0x0103
FID_SOD = 0x0104

SW_OK = 0x9000
SW_EOF = 0x6282
SW_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6A86
SW_WRONG_OFFSET = 0x6B00

MAX_OFFSET = 0x7FFF  # the profile never uses larger offsets
CHALLENGE_LEN = 32
SIGNATURE_LEN = 64
# GET RESPONSE / 6CXX rounds per command: a card that loops forever is broken, not slow.
_MAX_ROUNDS = 256


@dataclasses.dataclass(frozen=True, repr=False)
class CardFiles:
    """The files the kiosk reads from a card (EF.PHOTO is deliberately not among them)."""

    holder: bytes
    card_cert: bytes
    sod: bytes

    def __repr__(self) -> str:
        # EF.HOLDER is personal data: never let it reach a log through repr().
        return (
            f"CardFiles(holder=<{len(self.holder)} bytes>, card_cert=<{len(self.card_cert)} "
            f"bytes>, sod=<{len(self.sod)} bytes>)"
        )


def _with_le(apdu: bytes, le: int) -> bytes:
    """``apdu`` with its Le byte replaced (or appended, for a command without Le)."""
    has_le = len(apdu) == 5 or (len(apdu) > 5 and len(apdu) == 6 + apdu[4])
    return (apdu[:-1] if has_le else apdu) + bytes([le & 0xFF])


def transceive(conn: CardConnection, apdu: bytes) -> Response:
    """Send ``apdu``, resolving ``61 XX`` by GET RESPONSE and ``6C XX`` by resending.

    Returns:
        The final response; its data is the concatenation of all GET RESPONSE chunks.

    Raises:
        devices.errors.CardRemoved: The card left the reader.
        devices.errors.CardCommunicationError: Transport failure, or a card that never ends
            its ``61 XX``/``6C XX`` chain.
    """
    resp = conn.transmit(apdu)
    data = b""
    for _ in range(_MAX_ROUNDS):
        if resp.sw1 == 0x6C:
            resp = conn.transmit(_with_le(apdu, resp.sw2))
        elif resp.sw1 == 0x61:
            data += resp.data
            resp = conn.transmit(bytes([0x00, 0xC0, 0x00, 0x00, resp.sw2]))
        else:
            return Response(data + resp.data, resp.sw1, resp.sw2)
    raise CardCommunicationError(f"card kept answering {resp.sw:04X}")


def select_application(conn: CardConnection) -> None:
    """Select the RID-1 application.

    Raises:
        devices.errors.NotAnIdCard: The card has no RID-1 application (``6A 82``).
        devices.errors.CardStatusError: Any other refusal.
    """
    resp = transceive(conn, bytes([0x00, 0xA4, 0x04, 0x0C, len(AID)]) + AID)
    if resp.sw == SW_WRONG_P1P2:
        # Some cards insist on returning FCI: the profile allows the P2=00 form too.
        resp = transceive(conn, bytes([0x00, 0xA4, 0x04, 0x00, len(AID)]) + AID + b"\x00")
    if resp.sw == SW_NOT_FOUND:
        raise NotAnIdCard("the card has no RID-1 application")
    if resp.sw != SW_OK:
        raise CardStatusError("SELECT AID", resp.sw)


def select_file(conn: CardConnection, fid: int) -> None:
    """Select an elementary file by FID.

    Raises:
        devices.errors.CardStatusError: The card refused (``6A 82``: no such file).
    """
    resp = transceive(conn, bytes([0x00, 0xA4, 0x02, 0x0C, 0x02]) + fid.to_bytes(2, "big"))
    if resp.sw != SW_OK:
        raise CardStatusError(f"SELECT {fid:04X}", resp.sw)


def tlv_total_length(data: bytes) -> int | None:
    """Total size (header + value) of the BER-TLV starting ``data``, once its header is there.

    Returns:
        The size, or ``None`` while ``data`` is too short to hold the whole header.

    Raises:
        devices.errors.CardCommunicationError: The header is not a definite-length BER-TLV.
    """
    if not data:
        return None
    pos = 1
    if data[0] & 0x1F == 0x1F:  # multi-byte tag: continues while b8 is set
        while True:
            if pos >= len(data):
                return None
            byte = data[pos]
            pos += 1
            if not byte & 0x80:
                break
            if pos >= 4:
                raise CardCommunicationError("BER tag longer than 4 bytes")
    if pos >= len(data):
        return None
    first = data[pos]
    pos += 1
    if first < 0x80:
        return pos + first
    count = first & 0x7F
    if count == 0 or count > 3:
        raise CardCommunicationError("indefinite or oversized BER length")
    if pos + count > len(data):
        return None
    return pos + count + int.from_bytes(data[pos : pos + count], "big")


def read_file(conn: CardConnection, fid: int) -> bytes:
    """Select ``fid`` and read its one TLV, exactly from its tag to the end of its value.

    READ BINARY is repeated, asking for what the TLV header says is left, until that many
    bytes arrived or the card signals the end of the file (``62 82``, ``6B 00`` or a short
    answer that leaves nothing more to read).

    Raises:
        devices.errors.CardStatusError: The card refused a command.
        devices.errors.CardCommunicationError: The file is not one complete TLV.
        devices.errors.CardRemoved: The card left the reader.
    """
    select_file(conn, fid)
    buf = bytearray()
    total: int | None = None
    while total is None or len(buf) < total:
        offset = len(buf)
        if offset > MAX_OFFSET:
            raise CardCommunicationError(f"file {fid:04X} is larger than the profile allows")
        want = 256 if total is None else min(256, total - offset)
        apdu = bytes([0x00, 0xB0, offset >> 8, offset & 0xFF, want & 0xFF])
        resp = transceive(conn, apdu)
        if resp.sw == SW_WRONG_OFFSET and offset > 0:
            break  # the file ended exactly at the previous chunk
        if resp.sw not in (SW_OK, SW_EOF):
            raise CardStatusError(f"READ BINARY {fid:04X}@{offset}", resp.sw)
        buf += resp.data
        if total is None:
            total = tlv_total_length(bytes(buf))
        if resp.sw == SW_EOF or not resp.data:
            break
    if total is None or len(buf) < total:
        raise CardCommunicationError(f"file {fid:04X} ends inside its TLV ({len(buf)} bytes)")
    logger.debug("read file %04X: %d bytes", fid, total)
    return bytes(buf[:total])


def internal_authenticate(conn: CardConnection, challenge: bytes) -> bytes:
    """Have the card sign ``challenge`` (active authentication).

    Args:
        conn: Connection with the RID-1 application selected.
        challenge: Exactly 32 bytes.

    Returns:
        The raw 64-byte ``r || s`` ECDSA-P256-SHA256 signature.

    Raises:
        ValueError: ``challenge`` is not 32 bytes.
        devices.errors.CardStatusError: The card refused.
        devices.errors.CardCommunicationError: The answer is not 64 bytes.
    """
    if len(challenge) != CHALLENGE_LEN:
        raise ValueError(f"challenge must be {CHALLENGE_LEN} bytes, not {len(challenge)}")
    resp = transceive(conn, bytes([0x00, 0x88, 0x00, 0x00, CHALLENGE_LEN]) + challenge + b"\x00")
    if resp.sw != SW_OK:
        raise CardStatusError("INTERNAL AUTHENTICATE", resp.sw)
    if len(resp.data) != SIGNATURE_LEN:
        raise CardCommunicationError(
            f"INTERNAL AUTHENTICATE answered {len(resp.data)} bytes, not {SIGNATURE_LEN}"
        )
    return resp.data


def read_identity_files(conn: CardConnection) -> CardFiles:
    """Select the application and read EF.HOLDER, EF.CARDCERT and EF.SOD (not EF.PHOTO).

    Raises:
        devices.errors.NotAnIdCard: Not a RID-1 card.
        devices.errors.CardStatusError: The card refused a command.
        devices.errors.CardCommunicationError: Transport failure or truncated files.
        devices.errors.CardRemoved: The card left the reader.
    """
    select_application(conn)
    return CardFiles(
        holder=read_file(conn, FID_HOLDER),
        card_cert=read_file(conn, FID_CARDCERT),
        sod=read_file(conn, FID_SOD),
    )
