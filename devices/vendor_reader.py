"""``CardReader`` for certified ID readers driven by their vendor's C library (sdtapi shape).

In the field, resident ID cards are read by certified readers with a security module (SAM):
the module authenticates the card and hands back the holder's text and photo; the terminal
never sees APDUs. This back-end loads such a library with ctypes from a configured path and
speaks the sdtapi-style API::

    int SDT_OpenPort(int port);                    // 0x90 ok
    int SDT_StartFindIDCard(int port, unsigned char *mana_info, int if_open);  // 0x9F found
    int SDT_SelectIDCard(int port, unsigned char *mana_msg, int if_open);      // 0x90 ok
    int SDT_ReadBaseMsg(int port, unsigned char *text, unsigned int *text_len,
                        unsigned char *photo, unsigned int *photo_len, int if_open);  // 0x90
    int SDT_GetSAMIDToStr(int port, char *samid, int if_open);  // 0x90; optional
    int SDT_ClosePort(int port);                   // 0x90 ok

(``if_open`` 0: the port was opened with ``SDT_OpenPort``; 1: the call opens and closes it.)

The termb-style API (``CVR_InitComm``/``CVR_Authenticate``/``CVR_Read_Content``/
``CVR_CloseComm``) plugs in as another ``VendorApi``: open = ``CVR_InitComm(port) == 1``,
find and select = ``CVR_Authenticate() == 1``, read = the ``GetPeopleName``-style getters
assembled into the same fixed-width block plus the photo block from the library's in-memory
call (never the ``wz.txt``/``zp.bmp`` files some write), the SAM id = its ``GetSAMID``-style
call, close = ``CVR_CloseComm()``. Nothing else here changes.

Every library call runs on one worker thread (vendor libraries are not thread-safe) and is
given up after ``call_timeout_s``: a hung library makes the reader "not responding", never
the kiosk. A monitor thread polls for the card and reports ``CardInserted``/``CardRemoved``
like the PC/SC reader; a card is read at most once per placement (it must leave the field
before it is read again), so a card left lying on the reader cannot start a second session.
``read_identity`` returns the holder's text and the photo block (``CertifiedReading``);
``security_module_id`` gives the SAM's id for the platform (platform-api.md §1, §2b).

Holder text blocks
------------------
256 bytes of UCS-2LE in fixed-width fields (widths in bytes), each padded with spaces (some
readers: NULs). The card type is the UCS-2 character at byte offset 248. Each layout as
``offset field width`` (bytes); ``*`` marks bytes not decoded:

``' '`` resident_id, 居民身份证 (U+0000 too; a 220..249-byte block, which has no type, too)
    0 name 30 | 30 sex 2 | 32 ethnicity 4 | 36 birth date 16 | 52 address 70 |
    122 ID number 36 | 158 issuing authority 30 | 188 valid from 16 | 204 valid until 16 |
    220 reserved 28* | 248 type 2 | 250 reserved 6*
``'J'`` hmt_residence_permit, 港澳台居民居住证 (the resident ID card's fields, then more)
    0 name 30 | 30 sex 2 | 32 reserved 4* | 36 birth date 16 | 52 address 70 |
    122 ID number 36 | 158 issuing authority 30 | 188 valid from 16 | 204 valid until 16 |
    220 travel permit number 18 | 238 issue count 4 | 242 reserved 6* | 248 type 2 |
    250 reserved 6*
``'I'`` foreign_permanent_resident, 外国人永久居留身份证 of the pre-2023 kind
    0 English name 120 | 120 sex 2 | 122 number 30 (15 characters) |
    152 nationality 6 (ISO 3166-1 alpha-3) | 158 Chinese name 30 | 188 valid from 16 |
    204 valid until 16 | 220 birth date 16 | 236 card version 4* |
    240 accepting authority code 8* | 248 type 2 | 250 reserved 6*
``'Y'`` foreign_permanent_resident of the 2023 kind
    0 English name 120 | 120 sex 2 | 122 number 36 (18 characters) | 158 nationality 6 |
    164 Chinese name 30 | 194 valid from 16 | 210 valid until 16 | 226 birth date 16 |
    242 reserved 6* | 248 type 2 | 250 reserved 6*

Another card type is ``NotAnIdCard``. Only the resident ID card's layout is in the card
profile (id-card-profile.md); the others are the layouts widely circulated with reader SDKs,
chosen here without a vendor's own documentation (not available when this was
written): check them against the reader vendor's documentation before trusting the other
documents' fields (``LAYOUTS`` holds them). The kiosk, not this module, decides which
documents it accepts (a pre-2023 foreigner's card, with its 15-character number, is not).

Photo blocks
------------
1024 bytes of the vendor's compressed "WLT" format, handed over exactly as the library gave
them (``CertifiedReading.photo_block``), never written anywhere. ``WltDecoder`` turns one
into the 102x126 24-bit BMP image with the vendor's decoder library (``unpack``), in memory;
a decoder that can only write a file writes it into an in-memory file (``memfd_create``).

Decoding text is done here; checking what it says is
``kiosk.card.identity.holder_from_security_module``'s job.
"""

from __future__ import annotations

import ctypes
import logging
import os
import queue
import struct
import threading
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, Protocol, TypeVar

from devices.card_reader import (
    DOCUMENT_FOREIGN_PERMANENT_RESIDENT,
    DOCUMENT_HMT_RESIDENCE_PERMIT,
    DOCUMENT_RESIDENT_ID,
    CardConnection,
    CardEvent,
    CardInserted,
    CardRemoved,
    CertifiedReading,
    ReaderReady,
    ReaderUnavailable,
    SecurityModuleText,
)
from devices.errors import (
    CardAlreadyRead,
    CardCommunicationError,
    DeviceError,
    DeviceUnavailable,
    NoReader,
    NotAnIdCard,
    PhotoNotDecodable,
    ReaderNotResponding,
    SecurityModuleRejected,
    VendorLibraryError,
)
from devices.errors import CardRemoved as CardRemovedError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# sdtapi return codes (the common subset every vendor's sdtapi documents).
SDT_OK = 0x90
SDT_FOUND = 0x9F
SDT_FIND_FAILED = 0x80  # no card in the field
SDT_SELECT_FAILED = 0x81  # the card left (or was never selectable)
SDT_PORT_FAILED = 0x01
SDT_PORT_UNAVAILABLE = 0x05
SDT_UNKNOWN_CARD = 0x40
SDT_AUTH_FAILURES = frozenset({0x31, 0x32, 0x33})  # card/reader mutual authentication, MAC
SDT_SAM_FAILURES = frozenset({0x60, 0x66})  # security module self-test failed, unauthorised
# Answers of a reader that cannot look for cards (port closed, unplugged, timing out) this many
# times in a row: the reader is lost, its port is opened again until it answers. One alone
# may be a glitch of the cable.
READER_FAILURES_BEFORE_LOST = 3

#: A layout: (field of ``SecurityModuleText``, or None for bytes not decoded; width in bytes).
Layout = tuple[tuple[str | None, int], ...]

#: The resident ID card's holder text block. 220 bytes, then reserved.
TEXT_LAYOUT: Layout = (
    ("name", 30),
    ("sex", 2),
    ("ethnicity", 4),
    ("birth_date", 16),
    ("address", 70),
    ("id_number", 36),
    ("issuing_authority", 30),
    ("valid_from", 16),
    ("valid_until", 16),
)
HMT_RESIDENCE_PERMIT_LAYOUT: Layout = (
    ("name", 30),
    ("sex", 2),
    (None, 4),  # where a resident ID card has the ethnicity
    ("birth_date", 16),
    ("address", 70),
    ("id_number", 36),
    ("issuing_authority", 30),
    ("valid_from", 16),
    ("valid_until", 16),
    ("permit_number", 18),
    ("issue_count", 4),
)
FOREIGN_PRE2023_LAYOUT: Layout = (
    ("english_name", 120),
    ("sex", 2),
    ("id_number", 30),
    ("nationality", 6),
    ("name", 30),
    ("valid_from", 16),
    ("valid_until", 16),
    ("birth_date", 16),
    (None, 4),  # card version
    (None, 8),  # code of the authority that took the application
)
FOREIGN_2023_LAYOUT: Layout = (
    ("english_name", 120),
    ("sex", 2),
    ("id_number", 36),
    ("nationality", 6),
    ("name", 30),
    ("valid_from", 16),
    ("valid_until", 16),
    ("birth_date", 16),
)
#: Card-type character (byte 248) -> the document and its layout.
LAYOUTS: dict[str, tuple[str, Layout]] = {
    " ": (DOCUMENT_RESIDENT_ID, TEXT_LAYOUT),
    "\x00": (DOCUMENT_RESIDENT_ID, TEXT_LAYOUT),
    "J": (DOCUMENT_HMT_RESIDENCE_PERMIT, HMT_RESIDENCE_PERMIT_LAYOUT),
    "I": (DOCUMENT_FOREIGN_PERMANENT_RESIDENT, FOREIGN_PRE2023_LAYOUT),
    "Y": (DOCUMENT_FOREIGN_PERMANENT_RESIDENT, FOREIGN_2023_LAYOUT),
}
TEXT_FIELDS_LEN = sum(width for _, width in TEXT_LAYOUT)
TEXT_BLOCK_LEN = 256
CARD_TYPE_OFFSET = 248
PHOTO_BLOCK_LEN = 1024
# Buffers handed to the library are larger than the API's sizes: a library that writes more
# than it should then corrupts nothing, and its claimed length is refused instead.
_BUFFER_LEN = 4096
_SAM_ID_BUFFER_LEN = 256
_SAM_ID_MAX = 64

# The decoded photo: a BMP file image, 102x126 pixels, 24 bits, bottom-up (or top-down) rows
# of 306 bytes padded to 308, after a 54-byte header.
BMP_WIDTH = 102
BMP_HEIGHT = 126
BMP_HEADER_LEN = 54
BMP_LEN = BMP_HEADER_LEN + 308 * BMP_HEIGHT  # 38862
_BMP_BUFFER_LEN = 65536
_UNPACK_OK = 1

_BLANK_TEXT = dict.fromkeys(
    (
        "name",
        "sex",
        "ethnicity",
        "birth_date",
        "address",
        "id_number",
        "issuing_authority",
        "valid_from",
        "valid_until",
    ),
    "",
)


def _card_type(block: bytes) -> str:
    if len(block) < CARD_TYPE_OFFSET + 2:
        return " "  # a library that returns the resident ID card's fields only
    return chr(int.from_bytes(block[CARD_TYPE_OFFSET : CARD_TYPE_OFFSET + 2], "little"))


def decode_text_block(block: bytes) -> SecurityModuleText:
    """Decode a fixed-width UCS-2LE holder block by its card type (module docstring).

    Raises:
        devices.errors.CardCommunicationError: Wrong length, bad UCS-2 (lone surrogates), or
            control/unassigned characters inside a field: the library answered garbage.
        devices.errors.NotAnIdCard: A card type this module does not know.
    """
    if not TEXT_FIELDS_LEN <= len(block) <= TEXT_BLOCK_LEN:
        raise CardCommunicationError(
            f"holder text of {len(block)} bytes; expected {TEXT_FIELDS_LEN}..{TEXT_BLOCK_LEN}"
        )
    card_type = _card_type(block)
    if card_type not in LAYOUTS:
        raise NotAnIdCard(f"card type U+{ord(card_type):04X} is no document this reader reads")
    document, layout = LAYOUTS[card_type]
    values = dict(_BLANK_TEXT)
    pos = 0
    for name, width in layout:
        raw = block[pos : pos + width]
        pos += width
        if name is None:
            continue
        try:
            text = raw.decode("utf-16-le")
        except UnicodeDecodeError as exc:
            raise CardCommunicationError(f"holder field {name} is not UCS-2") from exc
        # Fields are padded with spaces (some readers: NULs) to their width.
        text = text.rstrip(" \x00")
        if any(unicodedata.category(c) in ("Cc", "Cs", "Cn", "Co") for c in text):
            raise CardCommunicationError(f"holder field {name} holds control characters")
        values[name] = text
    return SecurityModuleText(**values, document=document)


# ------------------------------------------------------------------------- the library


class VendorApi(Protocol):
    """The operations every vendor library offers, in its own words."""

    def open(self, port: int) -> int:
        """Open the reader; return the library's status code."""
        ...

    def find_card(self, port: int) -> int:
        """Look for a card in the field; return the status code."""
        ...

    def read_base_message(self, port: int) -> tuple[bytes, bytes]:
        """Select the card found and read its holder text block and photo block.

        Raises:
            devices.errors.DeviceError: The card or reader refused (see ``check_status``).
        """
        ...

    def security_module_id(self, port: int, *, port_open: bool) -> str:
        """The security module's id as text (``port_open``: the port is open already).

        Raises:
            devices.errors.VendorLibraryError: The library has no such call, or it failed.
            devices.errors.DeviceUnavailable: The security module failed, or no reader.
        """
        ...

    def close(self, port: int) -> int:
        """Close the reader; return the status code."""
        ...


def check_status(operation: str, status: int) -> None:
    """Map an sdtapi return code to a typed error (``SDT_OK``/``SDT_FOUND`` pass).

    Raises:
        devices.errors.CardRemoved: No card in the field, or it left before it was selected.
        devices.errors.SecurityModuleRejected: The security module found the card not genuine.
        devices.errors.NotAnIdCard: The reader does not know the card's type.
        devices.errors.NoReader: The port cannot be opened.
        devices.errors.DeviceUnavailable: The security module itself failed.
        devices.errors.CardCommunicationError: Any other code.
    """
    if status in (SDT_OK, SDT_FOUND):
        return
    message = f"{operation} returned 0x{status:02X}"
    if status in (SDT_FIND_FAILED, SDT_SELECT_FAILED):
        raise CardRemovedError(message)
    if status in SDT_AUTH_FAILURES:
        raise SecurityModuleRejected(status)
    if status == SDT_UNKNOWN_CARD:
        raise NotAnIdCard(message)
    if status in (SDT_PORT_FAILED, SDT_PORT_UNAVAILABLE):
        raise NoReader(message)
    if status in SDT_SAM_FAILURES:
        raise DeviceUnavailable(f"the reader's security module failed: {message}")
    raise CardCommunicationError(message)


def check_sam_id(raw: bytes) -> str:
    """The SAM id text up to its NUL: 1..64 characters from ``!`` to ``~`` (platform-api §1).

    Raises:
        devices.errors.VendorLibraryError: No NUL in the buffer, or another text.
    """
    end = raw.find(b"\x00")
    text = raw[:end] if end >= 0 else b""
    if not 1 <= len(text) <= _SAM_ID_MAX or any(not 0x21 <= b <= 0x7E for b in text):
        raise VendorLibraryError(
            f"SDT_GetSAMIDToStr gave no usable SAM id ({len(text)} bytes before its end)"
        )
    return text.decode("ascii")


_SDT_FUNCTIONS = (
    "SDT_OpenPort",
    "SDT_ClosePort",
    "SDT_StartFindIDCard",
    "SDT_SelectIDCard",
    "SDT_ReadBaseMsg",
)


class SdtApi:
    """The sdtapi-style library at ``path``, through ctypes.

    Args:
        path: The shared library (``libsdtapi.so``, or the vendor's name for it).

    Raises:
        devices.errors.VendorLibraryError: It cannot be loaded or lacks a function
            (``SDT_GetSAMIDToStr`` is optional: ``security_module_id`` says it is missing).
    """

    def __init__(self, path: str | Path) -> None:
        try:
            # CDLL: cdecl, and the GIL is released during calls (a hang blocks one thread).
            lib = ctypes.CDLL(str(path))
            functions = {name: getattr(lib, name) for name in _SDT_FUNCTIONS}
        except (OSError, AttributeError) as exc:
            raise VendorLibraryError(f"cannot use reader library {path}: {exc}") from exc
        uchar_p = ctypes.POINTER(ctypes.c_ubyte)
        uint_p = ctypes.POINTER(ctypes.c_uint)
        argtypes: dict[str, list[Any]] = {
            "SDT_OpenPort": [ctypes.c_int],
            "SDT_ClosePort": [ctypes.c_int],
            "SDT_StartFindIDCard": [ctypes.c_int, uchar_p, ctypes.c_int],
            "SDT_SelectIDCard": [ctypes.c_int, uchar_p, ctypes.c_int],
            "SDT_ReadBaseMsg": [ctypes.c_int, uchar_p, uint_p, uchar_p, uint_p, ctypes.c_int],
            "SDT_GetSAMIDToStr": [ctypes.c_int, ctypes.c_char_p, ctypes.c_int],
        }
        sam_id = getattr(lib, "SDT_GetSAMIDToStr", None)  # older libraries lack it
        if sam_id is not None:
            functions["SDT_GetSAMIDToStr"] = sam_id
        for name, function in functions.items():
            function.argtypes = argtypes[name]
            function.restype = ctypes.c_int
        self._f = functions
        self.path = str(path)

    def open(self, port: int) -> int:
        """``SDT_OpenPort``."""
        return int(self._f["SDT_OpenPort"](port))

    def close(self, port: int) -> int:
        """``SDT_ClosePort``."""
        return int(self._f["SDT_ClosePort"](port))

    def find_card(self, port: int) -> int:
        """``SDT_StartFindIDCard`` on the open port (``if_open = 0``)."""
        info = (ctypes.c_ubyte * 16)()
        return int(self._f["SDT_StartFindIDCard"](port, info, 0))

    def read_base_message(self, port: int) -> tuple[bytes, bytes]:
        """``SDT_SelectIDCard`` then ``SDT_ReadBaseMsg``: the text block and the photo block.

        Raises:
            devices.errors.DeviceError: A refused step (``check_status``).
            devices.errors.CardCommunicationError: A claimed length the API does not allow.
        """
        msg = (ctypes.c_ubyte * 16)()
        check_status("SDT_SelectIDCard", int(self._f["SDT_SelectIDCard"](port, msg, 0)))
        text = (ctypes.c_ubyte * _BUFFER_LEN)()
        photo = (ctypes.c_ubyte * _BUFFER_LEN)()
        text_len = ctypes.c_uint(0)
        photo_len = ctypes.c_uint(0)
        try:
            status = self._f["SDT_ReadBaseMsg"](
                port, text, ctypes.byref(text_len), photo, ctypes.byref(photo_len), 0
            )
            check_status("SDT_ReadBaseMsg", int(status))
            if text_len.value > TEXT_BLOCK_LEN or photo_len.value > PHOTO_BLOCK_LEN:
                raise CardCommunicationError(
                    f"SDT_ReadBaseMsg claims {text_len.value} text and {photo_len.value} "
                    "photo bytes, more than the API allows"
                )
            return bytes(text[: text_len.value]), bytes(photo[: photo_len.value])
        finally:
            # Personal data: no copy left in buffers this module no longer owns.
            ctypes.memset(text, 0, _BUFFER_LEN)
            ctypes.memset(photo, 0, _BUFFER_LEN)

    def security_module_id(self, port: int, *, port_open: bool) -> str:
        """``SDT_GetSAMIDToStr`` (``if_open`` 0 when the port is open, else 1).

        Raises:
            devices.errors.VendorLibraryError: The library lacks it, it failed, or what it
                gave is no SAM id.
            devices.errors.NoReader: The port cannot be opened.
            devices.errors.DeviceUnavailable: The security module failed (0x60, 0x66).
        """
        function = self._f.get("SDT_GetSAMIDToStr")
        if function is None:
            raise VendorLibraryError(f"reader library {self.path} has no SDT_GetSAMIDToStr")
        buffer = ctypes.create_string_buffer(_SAM_ID_BUFFER_LEN)
        status = int(function(port, buffer, 0 if port_open else 1))
        if status != SDT_OK:
            message = f"SDT_GetSAMIDToStr returned 0x{status:02X}"
            if status in SDT_SAM_FAILURES:
                raise DeviceUnavailable(f"the reader's security module failed: {message}")
            if status in (SDT_PORT_FAILED, SDT_PORT_UNAVAILABLE):
                raise NoReader(message)
            raise VendorLibraryError(message)
        return check_sam_id(buffer.raw)


# ------------------------------------------------------------------------- calls with a timeout


class _Job:
    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self.abandoned = False  # its caller gave up on it: the worker releases the turn
        self.result: Any = None
        self.error: BaseException | None = None


class LibraryCaller:
    """Runs library calls one at a time on a dedicated thread, each with a time limit.

    Callers on several threads (the poll thread, the card lane) take turns. A call that
    overruns raises ``ReaderNotResponding``; until it finally returns, every further call
    raises it at once: the library is not re-entered while it hangs.

    Args:
        name: The worker thread's name.
        what: The library, as messages name it.
    """

    def __init__(self, name: str = "vendor-reader-calls", what: str = "reader library") -> None:
        self.what = what
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._turn = threading.Lock()
        self._overrun = threading.Event()
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    @property
    def hung(self) -> bool:
        """Whether an overrun call is still inside the library."""
        return self._overrun.is_set()

    def call(self, fn: Callable[[], T], timeout_s: float) -> T:
        """Run ``fn`` on the worker thread and return its result.

        Raises:
            devices.errors.ReaderNotResponding: It did not return within ``timeout_s`` (the
                wait for this call's turn included), or an earlier call still has not.
            Exception: Whatever ``fn`` raised.
        """
        if self._overrun.is_set():
            raise ReaderNotResponding(f"an earlier {self.what} call has not returned")
        if not self._turn.acquire(timeout=timeout_s):
            raise ReaderNotResponding(f"the {self.what} stayed busy for {timeout_s} s")
        job = _Job(fn)
        self._jobs.put(job)
        if not job.done.wait(timeout_s):
            with self._lock:
                if not job.done.is_set():
                    job.abandoned = True
                    self._overrun.set()
                    raise ReaderNotResponding(
                        f"the {self.what} did not answer within {timeout_s} s"
                    )
        self._turn.release()
        if job.error is not None:
            raise job.error
        result: T = job.result
        return result

    def close(self, timeout_s: float = 1.0) -> None:
        """Stop the worker; a thread stuck in the library is left behind (it is a daemon)."""
        self._jobs.put(None)
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            logger.warning("%s call still hung at shutdown; abandoning its thread", self.what)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job.result = job.fn()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller, not swallowed
                job.error = exc
            with self._lock:
                job.done.set()
                if job.abandoned:
                    # Its caller is gone: the library answers again, the next call may go.
                    logger.info("a hung %s call returned at last", self.what)
                    self._overrun.clear()
                    self._turn.release()


# ------------------------------------------------------------------------- the photo


def check_bitmap(image: bytes) -> None:
    """Check ``image`` is the decoded photo: a 102x126 24-bit uncompressed BMP of 38862 bytes
    (54-byte header; rows bottom-up, or top-down with a negative height).

    Raises:
        devices.errors.PhotoNotDecodable: It is not.
    """
    if len(image) != BMP_LEN:
        raise PhotoNotDecodable(f"the decoder gave {len(image)} bytes, not a {BMP_LEN}-byte BMP")
    magic, size, _, _, offset, header, width, height, planes, bits, compression = (
        struct.unpack_from("<2sIHHIIiiHHI", image)
    )
    if (
        magic != b"BM"
        or size != BMP_LEN
        or offset != BMP_HEADER_LEN
        or header != 40
        or width != BMP_WIDTH
        or abs(height) != BMP_HEIGHT
        or planes != 1
        or bits != 24
        or compression != 0
    ):
        raise PhotoNotDecodable(
            f"the decoder's bitmap is not {BMP_WIDTH}x{BMP_HEIGHT} 24-bit BMP "
            f"(header says {width}x{height}, {bits} bits)"
        )


class WltDecoder:
    """The reader vendor's photo decoder library at ``path`` (``libwlt``), through ctypes::

        int unpack(char *src, char *dst, int bmp_save);   // 1 ok

    ``src`` is the card's 1024-byte photo block. With ``bmp_save = 0`` the decoder writes the
    photo into ``dst`` as a BMP file image (102x126, 24 bits, 38862 bytes): the default. A
    decoder that can only write a file (``bmp_save = 1``, ``writes_file=True``) is given the
    path of an in-memory file (``os.memfd_create``, as ``/proc/self/fd/N``) in ``dst``, and
    the image is read back from it: the photo never reaches a disk. (A decoder that writes a
    fixed file name such as ``zp.bmp`` into the working directory cannot be used: it would.)

    Each call runs on the decoder's own worker thread with a time limit, like the reader's
    library calls: a hung decoder makes ``decode`` raise ``ReaderNotResponding`` and refuse
    further calls until it returns, and never hangs the kiosk.

    Args:
        path: The decoder's shared library.
        timeout_s: How long one ``unpack`` may take.
        writes_file: The decoder writes the BMP file named by ``dst`` (``bmp_save = 1``).

    Raises:
        devices.errors.VendorLibraryError: It cannot be loaded or has no ``unpack``, or
            ``writes_file`` without ``os.memfd_create`` (Linux only).
    """

    def __init__(
        self, path: str | Path, *, timeout_s: float = 5.0, writes_file: bool = False
    ) -> None:
        try:
            lib = ctypes.CDLL(str(path))
            unpack = lib.unpack
        except (OSError, AttributeError) as exc:
            raise VendorLibraryError(f"cannot use photo decoder {path}: {exc}") from exc
        if writes_file and not hasattr(os, "memfd_create"):
            raise VendorLibraryError("a decoder that writes files needs os.memfd_create (Linux)")
        unpack.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
        unpack.restype = ctypes.c_int
        self._unpack = unpack
        self.path = str(path)
        self.timeout_s = timeout_s
        self.writes_file = writes_file
        self._caller = LibraryCaller("photo-decoder-calls", "photo decoder")

    @property
    def hung(self) -> bool:
        """Whether an overrun ``unpack`` is still inside the decoder."""
        return self._caller.hung

    def decode(self, block: bytes) -> bytes:
        """The photo of ``block`` as a BMP file image, in memory (``check_bitmap``).

        Raises:
            devices.errors.PhotoNotDecodable: Not a 1024-byte block, the decoder failed
                (``unpack`` did not return 1), or what it gave is not the expected bitmap.
            devices.errors.ReaderNotResponding: The decoder did not return in time, or an
                earlier call still has not.
        """
        if len(block) != PHOTO_BLOCK_LEN:
            raise PhotoNotDecodable(f"a {len(block)}-byte photo block; expected 1024")
        work = self._decode_into_file if self.writes_file else self._decode_into_buffer
        image = self._caller.call(lambda: work(block), self.timeout_s)
        check_bitmap(image)
        return image

    def close(self) -> None:
        """Stop the worker thread (a thread stuck in the decoder is left behind)."""
        self._caller.close()

    def _decode_into_buffer(self, block: bytes) -> bytes:
        src = ctypes.create_string_buffer(block, len(block))
        dst = ctypes.create_string_buffer(_BMP_BUFFER_LEN)
        try:
            status = int(self._unpack(src, dst, 0))
            if status != _UNPACK_OK:
                raise PhotoNotDecodable(f"the photo decoder's unpack returned {status}")
            return dst.raw[:BMP_LEN]
        finally:
            # Personal data: no copy left in buffers this module no longer owns.
            ctypes.memset(src, 0, len(block))
            ctypes.memset(dst, 0, _BMP_BUFFER_LEN)

    def _decode_into_file(self, block: bytes) -> bytes:
        # Runs to its end on the worker thread even when its caller gave up: the in-memory
        # file stays open while the decoder may still write to its path (a number the next
        # open file could otherwise take).
        src = ctypes.create_string_buffer(block, len(block))
        fd = os.memfd_create("card-photo", os.MFD_CLOEXEC)
        try:
            status = int(self._unpack(src, f"/proc/self/fd/{fd}".encode(), 1))
            if status != _UNPACK_OK:
                raise PhotoNotDecodable(f"the photo decoder's unpack returned {status}")
            size = os.fstat(fd).st_size
            if size != BMP_LEN:
                raise PhotoNotDecodable(f"the decoder wrote {size} bytes, not {BMP_LEN}")
            return os.pread(fd, BMP_LEN, 0)
        finally:
            os.close(fd)
            ctypes.memset(src, 0, len(block))


# ------------------------------------------------------------------------- the reader


class VendorCardReader:
    """A ``CardReader`` over a vendor library: card events by polling, one read per placement.

    Args:
        library: Path of the sdtapi-style library, or an already built ``VendorApi``.
        port: The library's port number (sdtapi: 1001..1016 USB, 1..16 serial).
        poll_interval_s: How often to look for a card.
        call_timeout_s: How long one library call (the decoder's too) may take before the
            reader is called not responding.
        removal_polls: Consecutive "no card" answers before a card counts as removed (some
            readers miss a card lying still for one poll).
        max_backoff_s: Longest wait between attempts to open a reader that failed.
        decoder_library: Path of the vendor's photo decoder library (``WltDecoder``); None:
            photos are not decoded.
        decoder_writes_file: The decoder can only write a file (``WltDecoder.writes_file``).
    """

    def __init__(
        self,
        library: str | Path | VendorApi,
        *,
        port: int = 1001,
        poll_interval_s: float = 0.3,
        call_timeout_s: float = 5.0,
        removal_polls: int = 2,
        max_backoff_s: float = 5.0,
        decoder_library: str | Path | None = None,
        decoder_writes_file: bool = False,
    ) -> None:
        self._library = library
        self.port = port
        self.poll_interval_s = poll_interval_s
        self.call_timeout_s = call_timeout_s
        self.removal_polls = removal_polls
        self.max_backoff_s = max_backoff_s
        self.decoder_library = decoder_library
        self.decoder_writes_file = decoder_writes_file
        self._api: VendorApi | None = None
        self._caller: LibraryCaller | None = None
        self._decoder: WltDecoder | None = None
        self._decoder_error: VendorLibraryError | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._present = False
        self._read_done = False
        self._sam_id: str | None = None
        # Whether the library's port is open; only written by jobs on the caller's worker
        # thread (and by the poll thread after a hang, when no job can run).
        self._port_open = False
        name = library.path if isinstance(library, SdtApi) else str(library)
        self.reader_name = f"{Path(name).name}:{port}"

    # ---------------------------------------------------------------- lifecycle

    def start(self, on_event: Callable[[CardEvent], None]) -> None:
        """Load the libraries and start polling; ``on_event`` is called from the poll thread.

        A photo decoder that cannot be loaded is logged and leaves the reader without photo
        decoding (``can_decode_photos``): the reader itself still works.

        Raises:
            devices.errors.VendorLibraryError: The reader's library cannot be loaded.
            RuntimeError: Already started.
        """
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("vendor reader already started")
            self._library_and_caller()
            if self.decoder_library is not None and self._decoder is None:
                try:
                    self._decoder = WltDecoder(
                        self.decoder_library,
                        timeout_s=self.call_timeout_s,
                        writes_file=self.decoder_writes_file,
                    )
                    self._decoder_error = None
                except VendorLibraryError as exc:
                    logger.warning("photo decoder unusable, photos are not decoded: %s", exc)
                    self._decoder_error = exc
            self._port_open = False  # the poll thread opens it
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, args=(on_event,), name="vendor-monitor", daemon=True
            )
            self._thread.start()

    def _library_and_caller(self) -> tuple[LibraryCaller, VendorApi]:
        """The library (loaded now if need be) and the worker that calls it; lock held.

        Raises:
            devices.errors.VendorLibraryError: The library cannot be loaded.
        """
        if self._api is None:
            lib = self._library
            self._api = lib if not isinstance(lib, str | Path) else SdtApi(lib)
        if self._caller is None:
            # Kept until stop(): one worker per library, whoever came first (start, or the
            # security module's id read before start), so a hung call is never re-entered.
            self._caller = LibraryCaller()
        return self._caller, self._api

    def stop(self) -> None:
        """Stop polling, close the port and join the poll thread. Safe when not started."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None:
            thread.join()
        caller, self._caller = self._caller, None
        if caller is not None:
            caller.close()
        with self._lock:
            decoder, self._decoder = self._decoder, None
        if decoder is not None:
            decoder.close()

    def connect(self) -> CardConnection:
        """Vendor readers give no APDU access: use ``read_identity``.

        Raises:
            devices.errors.DeviceUnavailable: Always.
        """
        _no_apdus()

    # ---------------------------------------------------------------- reading

    def read_identity(self) -> CertifiedReading:
        """Read the card now on the reader: holder text and photo block (blocking; card lane).

        Raises:
            devices.errors.CardRemoved: No card, or it left during the read.
            devices.errors.CardAlreadyRead: Read once already; it must leave the field first.
            devices.errors.SecurityModuleRejected: The security module refused the card.
            devices.errors.NotAnIdCard: Not an ID card, or a document type not known here.
            devices.errors.ReaderNotResponding: The library hung.
            devices.errors.DeviceUnavailable: Not started, no reader, or the module failed.
            devices.errors.CardCommunicationError: Garbage from the library (a text block
                or photo block of the wrong length, bad UCS-2, control characters).
        """
        with self._lock:
            caller, api = self._caller, self._api
            if self._thread is None or caller is None or api is None:
                raise DeviceUnavailable("the vendor reader is not started")
            if caller.hung:
                raise ReaderNotResponding("an earlier reader library call has not returned")
            if not self._present:
                raise CardRemovedError("no card on the reader")
            if self._read_done:
                raise CardAlreadyRead("take the card off the reader and place it again")

        def job() -> tuple[bytes, bytes]:
            # Find, select and read as one job: no poll may slip in between (a find resets
            # the selection on these readers).
            check_status("SDT_StartFindIDCard", api.find_card(self.port))
            return api.read_base_message(self.port)

        block, photo = caller.call(job, self.call_timeout_s)
        if len(photo) != PHOTO_BLOCK_LEN:
            raise CardCommunicationError(
                f"photo block of {len(photo)} bytes; expected {PHOTO_BLOCK_LEN}"
            )
        text = decode_text_block(block)
        with self._lock:
            self._read_done = True
        logger.info(
            "card read by the reader's security module (%s, %d-byte block)",
            text.document,
            len(block),
        )
        return CertifiedReading(text=text, photo_block=photo)

    def security_module_id(self) -> str:
        """The reader's security module id (``SDT_GetSAMIDToStr``), read once and kept until
        the reader is lost (a replaced reader has another module). Blocking, within
        ``call_timeout_s``. Works before ``start`` too (enrollment, diagnostics): the library
        is loaded then and opens the port for this call only.

        Raises:
            devices.errors.VendorLibraryError: The library cannot be loaded, has no such
                call, the call failed, or it gave no usable id.
            devices.errors.ReaderNotResponding: The library hung.
            devices.errors.NoReader: The port cannot be opened.
            devices.errors.DeviceUnavailable: The security module failed (0x60, 0x66).
        """
        with self._lock:
            if self._sam_id is not None:
                return self._sam_id
            caller, api = self._library_and_caller()

        def job() -> str:
            # On the worker thread, after every open or close: _port_open is current (the
            # library opens and closes the port itself when it is not open).
            return api.security_module_id(self.port, port_open=self._port_open)

        sam_id = caller.call(job, self.call_timeout_s)
        with self._lock:
            self._sam_id = sam_id
        logger.info("reader security module id read: %s", sam_id)
        return sam_id

    @property
    def can_decode_photos(self) -> bool:
        """Whether ``decode_photo`` has a decoder (configured and loaded by ``start``)."""
        with self._lock:
            return self._decoder is not None

    def decode_photo(self, block: bytes) -> bytes:
        """The photo of ``block`` (``CertifiedReading.photo_block``) as a 102x126 24-bit BMP
        file image, in memory only (``WltDecoder.decode``).

        Raises:
            devices.errors.PhotoNotDecodable: The decoder could not decode it.
            devices.errors.ReaderNotResponding: The decoder hung.
            devices.errors.VendorLibraryError: The configured decoder could not be loaded.
            devices.errors.DeviceUnavailable: No decoder configured, or not started.
        """
        with self._lock:
            decoder, error = self._decoder, self._decoder_error
        if decoder is None:
            if self.decoder_library is None:
                raise DeviceUnavailable("no photo decoder is configured")
            if error is not None:
                raise VendorLibraryError(str(error))
            raise DeviceUnavailable("the vendor reader is not started")
        image = decoder.decode(block)
        logger.debug("card photo decoded (%d bytes)", len(image))
        return image

    # ---------------------------------------------------------------- polling

    def _run(self, on_event: Callable[[CardEvent], None]) -> None:
        poller = _Poller(self, on_event)
        try:
            poller.run()
        finally:
            poller.close_port()

    def _set_present(self, present: bool) -> None:
        with self._lock:
            self._present = present
            if not present:
                self._read_done = False

    def _forget_security_module(self) -> None:
        with self._lock:
            self._sam_id = None


def _no_apdus() -> NoReturn:
    raise DeviceUnavailable("a vendor-library reader gives no APDU access; use read_identity")


class _Poller:
    """State of the poll thread: port open or not, card seen or not."""

    def __init__(self, owner: VendorCardReader, on_event: Callable[[CardEvent], None]) -> None:
        self.owner = owner
        self.on_event = on_event
        assert owner._api is not None and owner._caller is not None
        self.api: VendorApi = owner._api
        self.caller: LibraryCaller = owner._caller
        self.port_open = False
        self.present = False
        self.misses = 0
        self.failures = 0  # answers in a row that were about the reader, not the card
        self.unavailable: str | None = None
        self.backoff_s = 0.25

    def emit(self, event: CardEvent) -> None:
        if isinstance(event, ReaderUnavailable):
            if self.unavailable == event.reason:
                return  # once, not at every retry
            self.unavailable = event.reason
        try:
            self.on_event(event)
        except Exception:
            logger.exception("card event listener failed on %s", type(event).__name__)

    def call(self, fn: Callable[[], T]) -> T:
        return self.caller.call(fn, self.owner.call_timeout_s)

    def open_port(self) -> int:
        """``api.open`` as a job on the worker thread: notes whether the port is open."""
        status = self.api.open(self.owner.port)
        self.owner._port_open = status == SDT_OK
        return status

    def close_port_job(self) -> int:
        self.owner._port_open = False
        return self.api.close(self.owner.port)

    def lose_card(self) -> None:
        self.misses = 0
        if self.present:
            self.present = False
            self.owner._set_present(False)
            self.emit(CardRemoved(self.owner.reader_name))

    def unavailable_for(self, reason: str, detail: object) -> None:
        logger.warning("vendor reader unavailable (%s): %s", reason, detail)
        if reason == "no_reader":
            self.owner._forget_security_module()  # it may come back as another reader
        self.lose_card()
        self.emit(ReaderUnavailable(reason))
        self.owner._stop.wait(self.backoff_s)
        self.backoff_s = min(self.backoff_s * 2, self.owner.max_backoff_s)

    def run(self) -> None:
        port = self.owner.port
        stop = self.owner._stop
        while not stop.is_set():
            try:
                if not self.port_open:
                    check_status("SDT_OpenPort", self.call(self.open_port))
                    self.port_open = True
                    self.unavailable = None
                    self.backoff_s = 0.25
                    self.emit(ReaderReady(self.owner.reader_name))
                status = self.call(lambda: self.api.find_card(port))
            except ReaderNotResponding as exc:
                # The port's state is unknown after a hang: open it again once it answers.
                self.port_open = False
                self.owner._port_open = False
                self.unavailable_for("not_responding", exc)
                continue
            except DeviceError as exc:
                self.port_open = False
                self.unavailable_for("no_reader", exc)
                continue
            if self.reader_failed(status):
                # Unplugged, or its port closed under it: open it again until it answers.
                self.close_port()
                self.port_open = False
                self.owner._port_open = False
                self.unavailable_for("no_reader", f"SDT_StartFindIDCard returned 0x{status:02X}")
                continue
            self.seen(status)
            stop.wait(self.owner.poll_interval_s)

    def reader_failed(self, status: int) -> bool:
        """Whether the last answers say the reader itself is gone (not just the card)."""
        if status in (SDT_FOUND, SDT_FIND_FAILED, SDT_SELECT_FAILED):
            self.failures = 0
            return False
        self.failures += 1
        if self.failures == 1:
            logger.info("SDT_StartFindIDCard returned 0x%02X: the reader may be gone", status)
        if self.failures < READER_FAILURES_BEFORE_LOST:
            return False
        self.failures = 0
        return True

    def seen(self, status: int) -> None:
        if status == SDT_FOUND:
            self.misses = 0
            if not self.present:
                self.present = True
                self.owner._set_present(True)
                self.emit(CardInserted(self.owner.reader_name, b""))
            return
        self.misses += 1
        if self.present and self.misses >= self.owner.removal_polls:
            self.lose_card()

    def close_port(self) -> None:
        if not self.port_open or self.caller.hung:
            return
        try:
            self.call(self.close_port_job)
        except DeviceError as exc:
            logger.warning("closing the vendor reader failed: %s", exc)
