"""``CardReader`` over PC/SC (pcsc-lite's pcscd) with pyscard's low-level ``smartcard.scard``.

The monitor thread runs its own ``SCardGetStatusChange`` loop with a short timeout, so that
``stop()`` is prompt and a restarted pcscd is picked up again: on ``SCARD_E_NO_SERVICE``,
``SCARD_E_SERVICE_STOPPED`` or ``SCARD_E_INVALID_HANDLE`` the context is dropped and
re-established with back-off. pyscard's global ``CardMonitor`` is not used: it hides those
errors and cannot be stopped deterministically.

Each connection gets its own PC/SC context: pcsc-lite serialises calls per context, and the
monitor's context spends most of its time blocked in ``SCardGetStatusChange``.
"""

from __future__ import annotations

import dataclasses
import logging
import plistlib
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devices.card_reader import (
    CardConnection,
    CardEvent,
    CardInserted,
    CardRemoved,
    ReaderReady,
    ReaderSlot,
    ReaderUnavailable,
    Response,
)
from devices.errors import (
    CardCommunicationError,
    DeviceUnavailable,
    NoReader,
    ReaderServiceDown,
)
from devices.errors import CardRemoved as CardRemovedError

logger = logging.getLogger(__name__)

_scard_module: Any = None


def _scard() -> Any:
    """``smartcard.scard``, imported on first use so the rest of the app runs without it."""
    global _scard_module
    if _scard_module is None:
        try:
            from smartcard import scard
        except ImportError as exc:
            raise DeviceUnavailable(
                "pyscard is not installed or libpcsclite is missing: "
                f"the PC/SC card reader cannot be used ({exc})"
            ) from exc
        _scard_module = scard
    return _scard_module


def _err(hr: int) -> str:
    try:
        return f"{_scard().SCardGetErrorMessage(hr)} (0x{hr & 0xFFFFFFFF:08X})"
    except Exception:  # noqa: BLE001 - only formatting a message
        return f"0x{hr & 0xFFFFFFFF:08X}"


def _service_errors() -> frozenset[int]:
    s = _scard()
    return frozenset({s.SCARD_E_NO_SERVICE, s.SCARD_E_SERVICE_STOPPED, s.SCARD_E_INVALID_HANDLE})


def _removed_errors() -> frozenset[int]:
    s = _scard()
    return frozenset(
        {
            s.SCARD_W_REMOVED_CARD,
            s.SCARD_E_NO_SMARTCARD,
            s.SCARD_W_UNPOWERED_CARD,
            s.SCARD_W_RESET_CARD,
            s.SCARD_E_READER_UNAVAILABLE,
            s.SCARD_E_UNKNOWN_READER,
        }
    )


def matches(pattern: str, reader_name: str) -> bool:
    """Whether ``reader_name`` matches the configured pattern (case-insensitive regex)."""
    return re.search(pattern, reader_name, re.IGNORECASE) is not None


def _establish_context() -> Any:
    """A new PC/SC context; the caller releases it.

    Raises:
        devices.errors.ReaderServiceDown: pcscd is not running.
    """
    s = _scard()
    hr, context = s.SCardEstablishContext(s.SCARD_SCOPE_USER)
    if hr != s.SCARD_S_SUCCESS:
        raise ReaderServiceDown(f"pcscd is not available: {_err(hr)}")
    return context


def _readers(context: Any) -> list[str]:
    """The readers pcscd knows in ``context`` (none is an empty list, not an error)."""
    s = _scard()
    hr, readers = s.SCardListReaders(context, [])
    if hr in _service_errors():
        raise ReaderServiceDown(f"pcscd is not available: {_err(hr)}")
    return list(readers) if hr == s.SCARD_S_SUCCESS else []


def list_readers() -> list[str]:
    """The readers pcscd knows now.

    Raises:
        devices.errors.ReaderServiceDown: pcscd is not running.
    """
    context = _establish_context()
    try:
        return _readers(context)
    finally:
        _scard().SCardReleaseContext(context)


@dataclasses.dataclass(frozen=True)
class ReaderState:
    """What pcscd says about one reader now (for diagnostics; reads nothing from the card)."""

    name: str
    card_present: bool
    atr: bytes


def reader_states() -> list[ReaderState]:
    """Every reader pcscd knows, with card presence and the ATR of a card in it.

    Does not block: ``SCardGetStatusChange`` with a zero timeout.

    Raises:
        devices.errors.ReaderServiceDown: pcscd is not running.
    """
    s = _scard()
    context = _establish_context()
    try:
        names = _readers(context)
        if not names:
            return []
        hr, states = s.SCardGetStatusChange(
            context, 0, [(name, s.SCARD_STATE_UNAWARE) for name in names]
        )
        if hr in _service_errors():
            raise ReaderServiceDown(f"pcscd is not available: {_err(hr)}")
        if hr != s.SCARD_S_SUCCESS:
            return [ReaderState(name, False, b"") for name in names]
        return [
            ReaderState(name, bool(state & s.SCARD_STATE_PRESENT), bytes(atr or b""))
            for name, state, atr in states
        ]
    finally:
        s.SCardReleaseContext(context)


class PcscConnection:
    """An open PC/SC card handle (T=0 or T=1), with its own context.

    Args:
        context: The PC/SC context this connection owns (released by ``close``).
        card: The card handle from ``SCardConnect``.
        protocol: The active protocol (``SCARD_PROTOCOL_T0`` or ``SCARD_PROTOCOL_T1``).
        reader: The reader's name.
        removal_grace_s: After a transport failure, how long to wait for the reader to report
            the card gone before calling it a communication error instead of a removal.
    """

    def __init__(
        self, context: int, card: int, protocol: int, reader: str, removal_grace_s: float = 1.5
    ) -> None:
        s = _scard()
        self.reader = reader
        self.removal_grace_s = removal_grace_s
        self.protocol = protocol
        self._context = context
        self._card = card
        self._pci = s.SCARD_PCI_T0 if protocol == s.SCARD_PROTOCOL_T0 else s.SCARD_PCI_T1
        self._lock = threading.Lock()
        self._closed = False

    def transmit(self, apdu: bytes) -> Response:
        """Send one command APDU, return the raw answer.

        Raises:
            devices.errors.CardRemoved: The card left the reader (or was reset under us).
            devices.errors.CardCommunicationError: Any other failure, pcscd stopping included.
        """
        s = _scard()
        with self._lock:
            if self._closed:
                raise CardCommunicationError("connection is closed")
            hr, answer = s.SCardTransmit(self._card, self._pci, list(apdu))
        if hr != s.SCARD_S_SUCCESS:
            # A card pulled out mid-APDU often surfaces as SCARD_E_NOT_TRANSACTED or a comm
            # error before pcscd's presence poll notices: ask the reader before blaming the card.
            if hr in _removed_errors() or self._card_gone():
                raise CardRemovedError(f"card removed from {self.reader}: {_err(hr)}")
            raise CardCommunicationError(f"SCardTransmit failed: {_err(hr)}")
        if len(answer) < 2:
            # vpcd (and some real drivers) report a card that left mid-command as a
            # successful transfer of nothing: again, ask the reader before blaming the card.
            if self._card_gone():
                raise CardRemovedError(f"card removed from {self.reader} (empty answer)")
            raise CardCommunicationError(f"answer of {len(answer)} bytes has no status word")
        return Response(bytes(answer[:-2]), answer[-2], answer[-1])

    def _card_gone(self) -> bool:
        """Whether the reader reports the card removed within ``removal_grace_s``."""
        s = _scard()
        deadline = time.monotonic() + self.removal_grace_s
        state = s.SCARD_STATE_UNAWARE
        while True:
            timeout_ms = max(0, int((deadline - time.monotonic()) * 1000))
            if state == s.SCARD_STATE_UNAWARE:
                timeout_ms = 0
            hr, states = s.SCardGetStatusChange(self._context, timeout_ms, [(self.reader, state)])
            if hr == s.SCARD_E_TIMEOUT:
                return False
            if hr != s.SCARD_S_SUCCESS:
                return hr in _removed_errors()
            event_state = states[0][1]
            if not event_state & s.SCARD_STATE_PRESENT or event_state & s.SCARD_STATE_EMPTY:
                return True
            if state != s.SCARD_STATE_UNAWARE and (event_state >> 16) != (state >> 16):
                return True  # another card event since: ours left, a new one came
            if time.monotonic() >= deadline:
                return False
            state = event_state & ~s.SCARD_STATE_CHANGED

    def close(self) -> None:
        """Disconnect (resetting the card, so no selected state lingers) and free the context."""
        s = _scard()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            hr = s.SCardDisconnect(self._card, s.SCARD_RESET_CARD)
            if hr != s.SCARD_S_SUCCESS:
                logger.debug("SCardDisconnect: %s", _err(hr))
            s.SCardReleaseContext(self._context)


class PcscCardReader:
    """A ``CardReader`` for the first PC/SC reader whose name matches ``reader_pattern``.

    Args:
        reader_pattern: Case-insensitive regular expression searched in reader names; empty
            matches any reader.
        poll_timeout_s: ``SCardGetStatusChange`` timeout: bounds how long ``stop()`` waits.
        max_backoff_s: Longest wait between attempts to reach a stopped pcscd.
    """

    def __init__(
        self,
        reader_pattern: str = "",
        *,
        poll_timeout_s: float = 0.5,
        max_backoff_s: float = 5.0,
    ) -> None:
        self._pattern = re.compile(reader_pattern, re.IGNORECASE)
        self._timeout_ms = int(poll_timeout_s * 1000)
        self._max_backoff_s = max_backoff_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._monitor_context: int | None = None

    def survey(self) -> list[ReaderSlot]:
        """Every reader pcscd knows, with its driver, card presence and ATR; the one in use is
        the first whose name matches the pattern. For staff diagnostics: reads no card.

        Raises:
            devices.errors.ReaderServiceDown: pcscd is not running.
        """
        slots: list[ReaderSlot] = []
        for state in reader_states():
            in_use = self._pattern.search(state.name) is not None and not any(
                slot.in_use for slot in slots
            )
            driver = driver_for(state.name) or "unknown"
            slots.append(ReaderSlot(state.name, driver, state.card_present, state.atr, in_use))
        return slots

    # ---------------------------------------------------------------- monitor

    def start(self, on_event: Callable[[CardEvent], None]) -> None:
        """Start the monitor thread; ``on_event`` is called from it.

        Raises:
            devices.errors.DeviceUnavailable: pyscard cannot be imported.
            RuntimeError: Already started.
        """
        _scard()
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("reader monitor already started")
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, args=(on_event,), name="pcsc-monitor", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop the monitor thread and join it. Safe to call when not started."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
            if self._monitor_context is not None:
                # Wakes SCardGetStatusChange at once instead of at its timeout.
                _scard().SCardCancel(self._monitor_context)
        if thread is not None:
            thread.join()

    def _run(self, on_event: Callable[[CardEvent], None]) -> None:
        monitor = _Monitor(self, on_event)
        try:
            monitor.run()
        finally:
            monitor.release()

    def _matching_reader(self, readers: list[str]) -> str | None:
        for name in readers:
            if self._pattern.search(name):
                return name
        return None

    # ---------------------------------------------------------------- connect

    def connect(self) -> CardConnection:
        """Connect to the card in the matching reader (T=0 or T=1, shared).

        Raises:
            devices.errors.CardRemoved: No card in the reader.
            devices.errors.ReaderServiceDown: pcscd is not running.
            devices.errors.NoReader: No reader matches the pattern.
            devices.errors.CardCommunicationError: The card does not answer (mute card).
        """
        s = _scard()
        context = _establish_context()
        try:
            reader = self._matching_reader(_readers(context))
            if reader is None:
                raise NoReader(f"no reader matches {self._pattern.pattern!r}")
            hr, card, protocol = s.SCardConnect(
                context, reader, s.SCARD_SHARE_SHARED, s.SCARD_PROTOCOL_T0 | s.SCARD_PROTOCOL_T1
            )
            if hr != s.SCARD_S_SUCCESS:
                if hr in _removed_errors():
                    raise CardRemovedError(f"no card in {reader}: {_err(hr)}")
                if hr in _service_errors():
                    raise ReaderServiceDown(f"pcscd is not available: {_err(hr)}")
                raise CardCommunicationError(f"SCardConnect failed: {_err(hr)}")
        except BaseException:
            s.SCardReleaseContext(context)
            raise
        logger.debug("connected to %s with protocol %d", reader, protocol)
        return PcscConnection(context, card, protocol, reader)


class _Monitor:
    """State of one monitor thread: its context, the watched reader and what it last saw."""

    def __init__(self, owner: PcscCardReader, on_event: Callable[[CardEvent], None]) -> None:
        self.owner = owner
        self.on_event = on_event
        self.s = _scard()
        self.context: int | None = None
        self.reader: str | None = None
        self.known_state: int = self.s.SCARD_STATE_UNAWARE
        self.present = False
        self.event_count = -1
        self.unavailable: str | None = None
        self.backoff_s = 0.25

    def emit(self, event: CardEvent) -> None:
        if isinstance(event, ReaderUnavailable):
            if self.unavailable == event.reason:
                return  # say it once, not at every retry
            self.unavailable = event.reason
        try:
            self.on_event(event)
        except Exception:
            # A buggy listener must not kill card monitoring.
            logger.exception("card event listener failed on %s", type(event).__name__)

    def lose_card(self) -> None:
        if self.present and self.reader is not None:
            self.present = False
            self.emit(CardRemoved(self.reader))

    def release(self) -> None:
        with self.owner._lock:
            context, self.context = self.context, None
            self.owner._monitor_context = None
        if context is not None:
            self.s.SCardReleaseContext(context)

    def service_lost(self, hr: int) -> None:
        logger.warning("pcscd unavailable: %s", _err(hr))
        self.lose_card()
        self.release()
        self.reader = None
        self.emit(ReaderUnavailable("service_down"))

    def wait_backoff(self) -> None:
        self.owner._stop.wait(self.backoff_s)
        self.backoff_s = min(self.backoff_s * 2, self.owner._max_backoff_s)

    def run(self) -> None:
        stop = self.owner._stop
        while not stop.is_set():
            if self.context is None and not self.establish():
                self.wait_backoff()
                continue
            if self.reader is None and not self.find_reader():
                continue
            self.watch()

    def establish(self) -> bool:
        hr, context = self.s.SCardEstablishContext(self.s.SCARD_SCOPE_USER)
        if hr != self.s.SCARD_S_SUCCESS:
            self.emit(ReaderUnavailable("service_down"))
            return False
        with self.owner._lock:
            if self.owner._stop.is_set():
                self.s.SCardReleaseContext(context)
                return False
            self.context = context
            self.owner._monitor_context = context
        self.backoff_s = 0.25
        return True

    def find_reader(self) -> bool:
        hr, readers = self.s.SCardListReaders(self.context, [])
        if hr in _service_errors():
            self.service_lost(hr)
            self.wait_backoff()
            return False
        reader = self.owner._matching_reader(readers if hr == self.s.SCARD_S_SUCCESS else [])
        if reader is None:
            self.emit(ReaderUnavailable("no_reader"))
            # pcsc-lite has a PnP pseudo-reader, but a short poll is simpler and as prompt.
            self.owner._stop.wait(self.owner._timeout_ms / 1000)
            return False
        logger.info("watching reader %s", reader)
        self.reader = reader
        self.known_state = self.s.SCARD_STATE_UNAWARE
        self.unavailable = None
        self.emit(ReaderReady(reader))
        return True

    def watch(self) -> None:
        s = self.s
        assert self.reader is not None
        hr, states = s.SCardGetStatusChange(
            self.context, self.owner._timeout_ms, [(self.reader, self.known_state)]
        )
        if hr in (s.SCARD_E_TIMEOUT, s.SCARD_E_CANCELLED):
            return
        if hr in _service_errors():
            self.service_lost(hr)
            return
        if hr != s.SCARD_S_SUCCESS:
            # Reader unplugged (SCARD_E_UNKNOWN_READER...): look for it again.
            logger.info("reader %s lost: %s", self.reader, _err(hr))
            self.lose_card()
            self.reader = None
            return
        _, event_state, atr = states[0]
        self.known_state = event_state & ~s.SCARD_STATE_CHANGED
        if event_state & (s.SCARD_STATE_UNKNOWN | s.SCARD_STATE_UNAVAILABLE):
            self.lose_card()
            self.reader = None
            return
        present = bool(event_state & s.SCARD_STATE_PRESENT) and not (
            event_state & s.SCARD_STATE_MUTE
        )
        # pcsc-lite counts card events in the upper 16 bits: a card swapped between two polls
        # is still "present" but with a new count, and must be reported as out and in again.
        events = (event_state >> 16) & 0xFFFF
        swapped = present and self.present and events != self.event_count
        self.event_count = events
        if swapped:
            self.lose_card()
        if present and not self.present:
            self.present = True
            self.emit(CardInserted(self.reader, bytes(atr)))
        elif not present and self.present:
            self.lose_card()


READER_CONF_DIR = Path("/etc/reader.conf.d")
DRIVERS_DIR = Path("/usr/lib/pcsc/drivers")


def driver_for(
    reader_name: str, *, conf_dir: Path = READER_CONF_DIR, drivers_dir: Path = DRIVERS_DIR
) -> str | None:
    """The pcsc-lite driver behind ``reader_name``, for staff diagnostics; None if unknown.

    pcsc-lite names a reader after its driver's friendly name, so the name is matched
    against the static readers of ``reader.conf.d`` (serial and virtual readers, e.g. vpcd)
    and the ``ifdFriendlyName`` lists of the USB driver bundles (e.g. ifd-ccid).
    """
    for conf in sorted(conf_dir.glob("*")) if conf_dir.is_dir() else []:
        fields = dict(
            line.split(None, 1)
            for line in conf.read_text(encoding="utf-8", errors="replace").splitlines()
            if line.strip() and not line.lstrip().startswith("#") and len(line.split(None, 1)) == 2
        )
        friendly = fields.get("FRIENDLYNAME", "").strip().strip('"')
        if friendly and reader_name.startswith(friendly):
            return Path(fields.get("LIBPATH", conf.name).strip()).name
    for plist in sorted(drivers_dir.glob("*.bundle/Contents/Info.plist")):
        try:
            info = plistlib.loads(plist.read_bytes())
        except (plistlib.InvalidFileException, ValueError, OSError):
            continue
        names = info.get("ifdFriendlyName", [])
        if isinstance(names, str):
            names = [names]
        if any(isinstance(n, str) and reader_name.startswith(n) for n in names):
            version = info.get("CFBundleShortVersionString", "")
            return f"{plist.parent.parent.name} {version}".strip()
    return None
