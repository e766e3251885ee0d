"""``CardReader`` for certified ID readers driven by their vendor's C library (sdtapi shape).

In the field, resident ID cards are read by certified readers with a security module (SAM):
the module authenticates the card and hands back the holder's text; the terminal never sees
APDUs. This back-end loads such a library with ctypes from a configured path and speaks the
sdtapi-style API::

    int SDT_OpenPort(int port);                    // 0x90 ok
    int SDT_StartFindIDCard(int port, unsigned char *mana_info, int if_open);  // 0x9F found
    int SDT_SelectIDCard(int port, unsigned char *mana_msg, int if_open);      // 0x90 ok
    int SDT_ReadBaseMsg(int port, unsigned char *text, unsigned int *text_len,
                        unsigned char *photo, unsigned int *photo_len, int if_open);  // 0x90
    int SDT_ClosePort(int port);                   // 0x90 ok

The termb-style API (``CVR_InitComm``/``CVR_Authenticate``/``CVR_Read_Content``/
``CVR_CloseComm``) plugs in as another ``VendorApi``: open = ``CVR_InitComm(port) == 1``,
find and select = ``CVR_Authenticate() == 1``, read = ``CVR_Read_Content(1)`` or the
``GetPeopleName``-style getters assembled into the same fixed-width block, close =
``CVR_CloseComm()``. Nothing else here changes.

Every library call runs on one worker thread (vendor libraries are not thread-safe) and is
given up after ``call_timeout_s``: a hung library makes the reader "not responding", never
the kiosk. A monitor thread polls for the card and reports ``CardInserted``/``CardRemoved``
like the PC/SC reader; a card is read at most once per placement (it must leave the field
before it is read again), so a card left lying on the reader cannot start a second session.

The holder's text block is UCS-2LE in fixed-width fields (bytes): name 30, sex 2, ethnicity
4, birth date 16, address 70, ID number 36, issuing authority 30, valid from 16, valid until
16, then reserved bytes up to 256. Decoding it is done here; checking what it says is
``kiosk.card.identity.holder_from_security_module``'s job.
"""

from __future__ import annotations

import ctypes
import logging
import queue
import threading
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, Protocol, TypeVar

from devices.card_reader import (
    CardConnection,
    CardEvent,
    CardInserted,
    CardRemoved,
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

#: The holder text block: (field, width in bytes), in order. 220 bytes, then reserved.
TEXT_LAYOUT: tuple[tuple[str, int], ...] = (
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
TEXT_FIELDS_LEN = sum(width for _, width in TEXT_LAYOUT)
TEXT_BLOCK_LEN = 256
PHOTO_BLOCK_LEN = 1024
# Buffers handed to the library are larger than the API's sizes: a library that writes more
# than it should then corrupts nothing, and its claimed length is refused instead.
_BUFFER_LEN = 4096


def decode_text_block(block: bytes) -> SecurityModuleText:
    """Decode the fixed-width UCS-2LE holder block.

    Raises:
        devices.errors.CardCommunicationError: Wrong length, bad UCS-2 (lone surrogates), or
            control/unassigned characters inside a field: the library answered garbage.
    """
    if not TEXT_FIELDS_LEN <= len(block) <= TEXT_BLOCK_LEN:
        raise CardCommunicationError(
            f"holder text of {len(block)} bytes; expected {TEXT_FIELDS_LEN}..{TEXT_BLOCK_LEN}"
        )
    values: dict[str, str] = {}
    pos = 0
    for name, width in TEXT_LAYOUT:
        raw = block[pos : pos + width]
        pos += width
        try:
            text = raw.decode("utf-16-le")
        except UnicodeDecodeError as exc:
            raise CardCommunicationError(f"holder field {name} is not UCS-2") from exc
        # Fields are padded with spaces (some readers: NULs) to their width.
        text = text.rstrip(" \x00")
        if any(unicodedata.category(c) in ("Cc", "Cs", "Cn", "Co") for c in text):
            raise CardCommunicationError(f"holder field {name} holds control characters")
        values[name] = text
    return SecurityModuleText(**values)


# ------------------------------------------------------------------------- the library


class VendorApi(Protocol):
    """The four operations every vendor library offers, in its own words."""

    def open(self, port: int) -> int:
        """Open the reader; return the library's status code."""
        ...

    def find_card(self, port: int) -> int:
        """Look for a card in the field; return the status code."""
        ...

    def read_text(self, port: int) -> bytes:
        """Select the card found and read its holder text block.

        Raises:
            devices.errors.DeviceError: The card or reader refused (see ``check_status``).
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
        devices.errors.VendorLibraryError: It cannot be loaded or lacks a function.
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
        }
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

    def read_text(self, port: int) -> bytes:
        """``SDT_SelectIDCard`` then ``SDT_ReadBaseMsg``; the photo block is not kept.

        Raises:
            devices.errors.DeviceError: A refused step (``check_status``).
            devices.errors.CardCommunicationError: A claimed length the buffer cannot hold.
        """
        msg = (ctypes.c_ubyte * 16)()
        check_status("SDT_SelectIDCard", int(self._f["SDT_SelectIDCard"](port, msg, 0)))
        text = (ctypes.c_ubyte * _BUFFER_LEN)()
        photo = (ctypes.c_ubyte * _BUFFER_LEN)()
        text_len = ctypes.c_uint(0)
        photo_len = ctypes.c_uint(0)
        status = self._f["SDT_ReadBaseMsg"](
            port, text, ctypes.byref(text_len), photo, ctypes.byref(photo_len), 0
        )
        check_status("SDT_ReadBaseMsg", int(status))
        if text_len.value > TEXT_BLOCK_LEN or photo_len.value > PHOTO_BLOCK_LEN:
            raise CardCommunicationError(
                f"SDT_ReadBaseMsg claims {text_len.value} text and {photo_len.value} photo "
                "bytes, more than the API allows"
            )
        # The photo (a WLT blob only the vendor can decode) is not needed: see decisions.md.
        return bytes(text[: text_len.value])


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
    """

    def __init__(self, name: str = "vendor-reader-calls") -> None:
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
            raise ReaderNotResponding("an earlier reader library call has not returned")
        if not self._turn.acquire(timeout=timeout_s):
            raise ReaderNotResponding(f"the reader library stayed busy for {timeout_s} s")
        job = _Job(fn)
        self._jobs.put(job)
        if not job.done.wait(timeout_s):
            with self._lock:
                if not job.done.is_set():
                    job.abandoned = True
                    self._overrun.set()
                    raise ReaderNotResponding(
                        f"the reader library did not answer within {timeout_s} s"
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
            logger.warning("reader library call still hung at shutdown; abandoning its thread")

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
                    logger.info("a hung reader library call returned at last")
                    self._overrun.clear()
                    self._turn.release()


# ------------------------------------------------------------------------- the reader


class VendorCardReader:
    """A ``CardReader`` over a vendor library: card events by polling, one read per placement.

    Args:
        library: Path of the sdtapi-style library, or an already built ``VendorApi``.
        port: The library's port number (sdtapi: 1001..1016 USB, 1..16 serial).
        poll_interval_s: How often to look for a card.
        call_timeout_s: How long one library call may take before the reader is called
            not responding.
        removal_polls: Consecutive "no card" answers before a card counts as removed (some
            readers miss a card lying still for one poll).
        max_backoff_s: Longest wait between attempts to open a reader that failed.
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
    ) -> None:
        self._library = library
        self.port = port
        self.poll_interval_s = poll_interval_s
        self.call_timeout_s = call_timeout_s
        self.removal_polls = removal_polls
        self.max_backoff_s = max_backoff_s
        self._api: VendorApi | None = None
        self._caller: LibraryCaller | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._present = False
        self._read_done = False
        name = library.path if isinstance(library, SdtApi) else str(library)
        self.reader_name = f"{Path(name).name}:{port}"

    # ---------------------------------------------------------------- lifecycle

    def start(self, on_event: Callable[[CardEvent], None]) -> None:
        """Load the library and start polling; ``on_event`` is called from the poll thread.

        Raises:
            devices.errors.VendorLibraryError: The library cannot be loaded.
            RuntimeError: Already started.
        """
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("vendor reader already started")
            if self._api is None:
                lib = self._library
                self._api = lib if not isinstance(lib, str | Path) else SdtApi(lib)
            self._caller = LibraryCaller()
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, args=(on_event,), name="vendor-monitor", daemon=True
            )
            self._thread.start()

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

    def connect(self) -> CardConnection:
        """Vendor readers give no APDU access: use ``read_identity``.

        Raises:
            devices.errors.DeviceUnavailable: Always.
        """
        _no_apdus()

    # ---------------------------------------------------------------- reading

    def read_identity(self) -> SecurityModuleText:
        """Read the holder's text of the card now on the reader (blocking; card lane).

        Raises:
            devices.errors.CardRemoved: No card, or it left during the read.
            devices.errors.CardAlreadyRead: Read once already; it must leave the field first.
            devices.errors.SecurityModuleRejected: The security module refused the card.
            devices.errors.NotAnIdCard: Not a resident ID card.
            devices.errors.ReaderNotResponding: The library hung.
            devices.errors.DeviceUnavailable: Not started, no reader, or the module failed.
            devices.errors.CardCommunicationError: Garbage from the library.
        """
        with self._lock:
            caller, api = self._caller, self._api
            if caller is None or api is None:
                raise DeviceUnavailable("the vendor reader is not started")
            if caller.hung:
                raise ReaderNotResponding("an earlier reader library call has not returned")
            if not self._present:
                raise CardRemovedError("no card on the reader")
            if self._read_done:
                raise CardAlreadyRead("take the card off the reader and place it again")

        def job() -> bytes:
            # Find, select and read as one job: no poll may slip in between (a find resets
            # the selection on these readers).
            check_status("SDT_StartFindIDCard", api.find_card(self.port))
            return api.read_text(self.port)

        block = caller.call(job, self.call_timeout_s)
        text = decode_text_block(block)
        with self._lock:
            self._read_done = True
        logger.info("card read by the reader's security module (%d-byte block)", len(block))
        return text

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

    def lose_card(self) -> None:
        self.misses = 0
        if self.present:
            self.present = False
            self.owner._set_present(False)
            self.emit(CardRemoved(self.owner.reader_name))

    def unavailable_for(self, reason: str, detail: object) -> None:
        logger.warning("vendor reader unavailable (%s): %s", reason, detail)
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
                    check_status("SDT_OpenPort", self.call(lambda: self.api.open(port)))
                    self.port_open = True
                    self.unavailable = None
                    self.backoff_s = 0.25
                status = self.call(lambda: self.api.find_card(port))
            except ReaderNotResponding as exc:
                # The port's state is unknown after a hang: open it again once it answers.
                self.port_open = False
                self.unavailable_for("not_responding", exc)
                continue
            except DeviceError as exc:
                self.port_open = False
                self.unavailable_for("no_reader", exc)
                continue
            self.seen(status)
            stop.wait(self.owner.poll_interval_s)

    def seen(self, status: int) -> None:
        if status == SDT_FOUND:
            self.misses = 0
            if not self.present:
                self.present = True
                self.owner._set_present(True)
                self.emit(CardInserted(self.owner.reader_name, b""))
            return
        if status not in (SDT_FIND_FAILED, SDT_SELECT_FAILED):
            logger.info("SDT_StartFindIDCard returned 0x%02X; taken as no card", status)
        self.misses += 1
        if self.present and self.misses >= self.owner.removal_polls:
            self.lose_card()

    def close_port(self) -> None:
        if not self.port_open or self.caller.hung:
            return
        try:
            self.call(lambda: self.api.close(self.owner.port))
        except DeviceError as exc:
            logger.warning("closing the vendor reader failed: %s", exc)
