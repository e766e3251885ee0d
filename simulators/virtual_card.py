"""A virtual RID-1 card: the applet, and a client that plugs it into pcscd through vpcd.

``Rid1Applet`` answers command APDUs as the profile's card does. ``VirtualCardClient``
connects to vsmartcard's vpcd driver (loaded by pcscd, listening on TCP 35963 for the reader
``Virtual PCD 00 00``) so that real PC/SC clients see the card. Closing the socket is how the
card is "pulled out".

vpcd wire format, both directions: a 2-byte big-endian length, then the payload. A 1-byte
payload from vpcd is a control command (power off/on, reset, get ATR); anything longer is a
command APDU that gets a response APDU back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import socket
import struct
import threading
from collections.abc import Callable
from types import TracebackType

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from simulators import card_factory
from simulators.card_factory import CardImage, IssuerCA
from simulators.residents import Resident

logger = logging.getLogger(__name__)

SW_OK = 0x9000
SW_EOF = 0x6282
SW_WRONG_LENGTH = 0x6700
SW_SECURITY = 0x6982
SW_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6A86
SW_WRONG_OFFSET = 0x6B00
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00

VPCD_POWER_OFF = 0x00
VPCD_POWER_ON = 0x01
VPCD_RESET = 0x02
VPCD_GET_ATR = 0x04


def _sw(sw: int, data: bytes = b"") -> bytes:
    return data + sw.to_bytes(2, "big")


class CardPulledOut(Exception):
    """Raised by ``Rid1Applet.process`` once the card has "left the reader"."""


class Rid1Applet:
    """The RID-1 application of one card, processing command APDUs.

    Args:
        image: The card's files, key and ATR.
        max_read: If set, READ BINARY answers at most this many bytes with ``90 00`` even when
            more were asked (a card that answers in chunks).
        use_get_response: If set, every answer with data is announced with ``61 XX`` and
            fetched by GET RESPONSE (T=0 style), at most ``max_read`` or 256 bytes at a time.
        strict_le: If set, a READ BINARY asking for more than what remains is answered
            ``6C XX`` (the exact remaining length) instead of the data with ``62 82``.
        pull_out_after: If set, the card answers this many command APDUs and is then pulled
            out: the next one raises ``CardPulledOut`` and ``VirtualCardClient`` drops the
            vpcd connection without answering it.

    Attributes:
        apdu_count: Command APDUs received (GET RESPONSE included), for the benchmark.
    """

    def __init__(
        self,
        image: CardImage,
        *,
        max_read: int | None = None,
        use_get_response: bool = False,
        strict_le: bool = False,
        pull_out_after: int | None = None,
    ) -> None:
        if max_read is not None and not 1 <= max_read <= 256:
            raise ValueError("max_read must be 1..256")
        self.image = image
        self.max_read = max_read
        self.use_get_response = use_get_response
        self.strict_le = strict_le
        self.pull_out_after = pull_out_after
        self.apdu_count = 0
        self._lock = threading.Lock()
        self._app_selected = False
        self._current: bytes | None = None
        self._pending = b""
        self._pending_sw = SW_OK

    @property
    def atr(self) -> bytes:
        """The ATR this card answers on power-up."""
        return self.image.atr

    def reset(self) -> None:
        """Power cycle: forget the selected application and file."""
        with self._lock:
            self._app_selected = False
            self._current = None
            self._pending = b""

    def process(self, apdu: bytes) -> bytes:
        """Process one command APDU and return the response APDU (data + SW1 SW2).

        Raises:
            CardPulledOut: ``pull_out_after`` APDUs were already answered.
        """
        with self._lock:
            if self.pull_out_after is not None and self.apdu_count >= self.pull_out_after:
                raise CardPulledOut(f"card pulled out after {self.apdu_count} APDUs")
            self.apdu_count += 1
            if len(apdu) < 4:
                return _sw(SW_WRONG_LENGTH)
            if apdu[0] != 0x00:
                return _sw(SW_CLA_NOT_SUPPORTED)
            ins = apdu[1]
            if ins == 0xC0 and self.use_get_response:
                return self._get_response(apdu)
            self._pending = b""
            data, sw = self._dispatch(apdu)
            if data and self.use_get_response:
                self._pending, self._pending_sw = data, sw
                return _sw(0x6100 | (min(len(data), self._chunk()) & 0xFF))
            return _sw(sw, data)

    def _chunk(self) -> int:
        return self.max_read or 256

    def _get_response(self, apdu: bytes) -> bytes:
        if not self._pending:
            return _sw(SW_SECURITY)
        le = apdu[4] if len(apdu) == 5 else 0
        n = min(le or 256, self._chunk(), len(self._pending))
        out, self._pending = self._pending[:n], self._pending[n:]
        if self._pending:
            return _sw(0x6100 | (min(len(self._pending), self._chunk()) & 0xFF), out)
        return _sw(self._pending_sw, out)

    def _dispatch(self, apdu: bytes) -> tuple[bytes, int]:
        ins, p1, p2 = apdu[1], apdu[2], apdu[3]
        body = apdu[4:]
        if ins == 0xA4:
            return self._select(p1, p2, body)
        if ins == 0xB0:
            return self._read_binary(p1, p2, body)
        if ins == 0x88:
            return self._internal_authenticate(p1, p2, body)
        return b"", SW_INS_NOT_SUPPORTED

    def _select(self, p1: int, p2: int, body: bytes) -> tuple[bytes, int]:
        if not body or len(body) < 1 + body[0]:
            return b"", SW_WRONG_LENGTH
        lc = body[0]
        target = body[1 : 1 + lc]
        rest = body[1 + lc :]
        if p1 == 0x04:
            if p2 not in (0x00, 0x0C) or len(rest) > 1:
                return b"", SW_WRONG_P1P2
            if target != self.image.aid:
                return b"", SW_NOT_FOUND
            self._app_selected = True
            self._current = None
            return b"", SW_OK
        if p1 == 0x02:
            if p2 != 0x0C or lc != 2 or rest:
                return b"", SW_WRONG_P1P2
            fid = int.from_bytes(target, "big")
            if not self._app_selected or fid not in self.image.files:
                return b"", SW_NOT_FOUND
            self._current = self.image.files[fid]
            return b"", SW_OK
        return b"", SW_WRONG_P1P2

    def _read_binary(self, p1: int, p2: int, body: bytes) -> tuple[bytes, int]:
        if self._current is None:
            return b"", SW_SECURITY
        if len(body) != 1 or p1 & 0x80:
            return b"", SW_WRONG_LENGTH
        offset = (p1 << 8) | p2
        le = body[0] or 256
        data = self._current
        if offset >= len(data):
            return b"", SW_WRONG_OFFSET
        remaining = len(data) - offset
        if remaining < le and self.strict_le:
            return b"", 0x6C00 | (remaining & 0xFF)
        n = min(le, remaining)
        if self.max_read is not None and not self.use_get_response:
            n = min(n, self.max_read)
            return data[offset : offset + n], SW_OK if n == le or n < remaining else SW_EOF
        return data[offset : offset + n], SW_OK if n == le else SW_EOF

    def _internal_authenticate(self, p1: int, p2: int, body: bytes) -> tuple[bytes, int]:
        if p1 != 0 or p2 != 0:
            return b"", SW_WRONG_P1P2
        if len(body) not in (33, 34) or body[0] != 0x20:
            return b"", SW_WRONG_LENGTH
        challenge = body[1:33]
        der = self.image.private_key.sign(challenge, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big"), SW_OK


class VirtualCardClient:
    """Plug a ``Rid1Applet`` into pcscd's vpcd reader over TCP.

    Use ``insert()``/``remove()`` or a ``with`` block. The serving thread is a daemon thread
    and is joined by ``remove()``.

    Args:
        card: The applet to serve.
        host: Where vpcd listens.
        port: vpcd's port: 35963 is reader ``Virtual PCD 00 00``, 35964 is ``... 00 01``.
        connect_timeout_s: How long ``insert()`` waits for the TCP connection.
    """

    def __init__(
        self,
        card: Rid1Applet,
        host: str = "127.0.0.1",
        port: int = 35963,
        *,
        connect_timeout_s: float = 5.0,
    ) -> None:
        self.card = card
        self.host = host
        self.port = port
        self.connect_timeout_s = connect_timeout_s
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def inserted(self) -> bool:
        """Whether the card is connected to vpcd (and its serving thread alive)."""
        with self._lock:
            return self._thread is not None and self._thread.is_alive()

    def insert(self) -> None:
        """Connect to vpcd and serve APDUs in a daemon thread.

        Raises:
            ConnectionError: vpcd is not listening (pcscd not running, or without vpcd).
            RuntimeError: The card is already inserted.
        """
        with self._lock:
            if self._sock is not None:
                raise RuntimeError("card already inserted")
            try:
                sock = socket.create_connection(
                    (self.host, self.port), timeout=self.connect_timeout_s
                )
            except OSError as exc:
                raise ConnectionError(
                    f"vpcd is not listening on {self.host}:{self.port}: {exc}"
                ) from exc
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.card.reset()
            self._sock = sock
            self._thread = threading.Thread(
                target=self._serve, args=(sock,), name=f"vpcd-card-{self.port}", daemon=True
            )
            self._thread.start()

    def remove(self) -> None:
        """Disconnect from vpcd: pcscd then reports the card removed. Safe to call twice."""
        with self._lock:
            sock, thread = self._sock, self._thread
            self._sock = self._thread = None
        if sock is not None:
            # shutdown() wakes the thread blocked in recv(); close() alone would not.
            with contextlib.suppress(OSError):  # already disconnected by the peer
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)

    def __enter__(self) -> VirtualCardClient:
        self.insert()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                header = _recv_exact(sock, 2)
                if header is None:
                    break
                (length,) = struct.unpack(">H", header)
                payload = _recv_exact(sock, length)
                if payload is None:
                    break
                try:
                    reply = self._handle(payload)
                except CardPulledOut as exc:
                    # Leave without answering, as a card yanked out mid-command does: vpcd
                    # sees the connection drop and pcscd reports the card gone.
                    logger.debug("%s", exc)
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                    break
                if reply is not None:
                    sock.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError as exc:
            # remove() shuts the socket down under us; anything else is vpcd going away.
            logger.debug("vpcd connection ended: %s", exc)
        logger.debug("virtual card on port %d stopped serving", self.port)

    def _handle(self, payload: bytes) -> bytes | None:
        if len(payload) == 1:
            command = payload[0]
            if command in (VPCD_POWER_OFF, VPCD_POWER_ON, VPCD_RESET):
                self.card.reset()
                return None
            if command == VPCD_GET_ATR:
                return self.card.atr
            logger.warning("unknown vpcd control byte %02X", command)
            return None
        if not payload:
            return None
        return self.card.process(payload)


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    """Read exactly ``n`` bytes, or ``None`` when the peer closed the connection."""
    buf = bytearray()
    while len(buf) < n:
        _quick_ack(sock)
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


# ------------------------------------------------------------------------- card catalogue

#: Every kind of card ``make_applet`` builds: the genuine one, the transport variants a reader
#: must cope with, and the broken cards a terminal must refuse.
CARD_KINDS = (
    "genuine",
    "t0_card",
    "chunks_61xx",
    "needs_6cxx",
    "short_reads",
    "extra_tags",
    "photo_swapped_sod_untouched",
    "forged_sod",
    "photo_swapped",
    "cloned",
    "expired",
    "wrong_check_char",
    "unknown_ca",
    "pulled_out_mid_read",
    "not_an_id_card",
)

# APDUs a pulled-out card still answers: SELECT AID, SELECT + READ of EF.HOLDER, SELECT and the
# first READ of EF.CARDCERT (the certificate is longer than 256 bytes): the card leaves
# between two READ BINARY of one file.
PULL_OUT_AFTER = 5


def make_applet(
    kind: str, resident: Resident, issuer: IssuerCA, *, today: dt.date | None = None
) -> Rid1Applet:
    """The applet of a card of ``kind`` (one of ``CARD_KINDS``) for ``resident``.

    Args:
        kind: Which card: see ``CARD_KINDS``.
        resident: Whose data the card carries.
        issuer: The issuer the terminal trusts ("unknown_ca" cards come from another one).
        today: The issue date, and what "expired" is relative to (default today, CST).

    Raises:
        ValueError: Unknown ``kind``.
    """
    if kind not in CARD_KINDS:
        raise ValueError(f"unknown card kind {kind!r}; known: {', '.join(CARD_KINDS)}")
    cf = card_factory
    genuine = cf.issue_card(resident, issuer, today=today)
    builders: dict[str, Callable[[], Rid1Applet]] = {
        "genuine": lambda: Rid1Applet(genuine),
        "t0_card": lambda: Rid1Applet(
            cf.issue_card(resident, issuer, today=today, atr=cf.atr_t0())
        ),
        "chunks_61xx": lambda: Rid1Applet(genuine, use_get_response=True, max_read=100),
        "needs_6cxx": lambda: Rid1Applet(genuine, strict_le=True),
        "short_reads": lambda: Rid1Applet(genuine, max_read=100),
        "extra_tags": lambda: Rid1Applet(cf.with_extra_tags(genuine, resident, issuer)),
        "photo_swapped_sod_untouched": lambda: Rid1Applet(
            cf.swap_photo(genuine, patch_sod_hash=False)
        ),
        "forged_sod": lambda: Rid1Applet(cf.forge_sod(genuine, issuer)),
        "photo_swapped": lambda: Rid1Applet(cf.swap_photo(genuine, patch_sod_hash=True)),
        "cloned": lambda: Rid1Applet(cf.clone_card(genuine)),
        "expired": lambda: Rid1Applet(
            cf.issue_card(cf.expired_resident(resident, today), issuer, today=today)
        ),
        "wrong_check_char": lambda: Rid1Applet(
            cf.issue_card(cf.wrong_check_char_resident(resident), issuer, today=today)
        ),
        "unknown_ca": lambda: Rid1Applet(
            cf.issue_card(resident, cf.make_issuer_ca("Unknown CA"), today=today)
        ),
        "pulled_out_mid_read": lambda: Rid1Applet(genuine, pull_out_after=PULL_OUT_AFTER),
        "not_an_id_card": lambda: Rid1Applet(cf.other_application(genuine)),
    }
    return builders[kind]()


def _quick_ack(sock: socket.socket) -> None:
    """Acknowledge vpcd's segments at once (Linux; the kernel resets this after each read).

    vpcd writes the 2-byte length and the APDU in two ``send`` calls; with Nagle on its side
    and delayed ACKs on ours, the APDU waited about 40 ms for the ACK of the length: every
    command then cost ~44 ms instead of well under 1 ms. A real card has no such delay.
    """
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)
