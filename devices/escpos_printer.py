"""ESC/POS receipt printer over raw TCP (port 9100) using python-escpos.

Chinese is sent the explicit way (ecosystem-notes §7): ``ESC @``, ``FS &`` once, then each
line's GB18030 bytes through ``_raw``; python-escpos ``text()`` is never used because it picks
single-byte code pages for lines without hanzi and turns ``：`` or ``——`` into garbage on a
printer in Chinese mode. Sizes use ``GS !``, which enlarges Chinese too (``ESC !`` does not on
many Chinese printers). python-escpos is imported lazily (about 180 ms) inside methods.

``render_job`` turns a ``PrintJob`` into bytes without any connection, so a USB or serial
back-end can reuse it and tests can inspect it.
"""

from __future__ import annotations

import logging
import socket
import time
import unicodedata
from typing import Any

from devices import errors
from devices.receipt_printer import (
    Align,
    Cut,
    Feed,
    PrinterStatus,
    PrintJob,
    QrCode,
    Rule,
    TextLine,
)

logger = logging.getLogger(__name__)

ESC_INIT = b"\x1b@"
FS_CHINESE_ON = b"\x1c&"
FS_CHINESE_OFF = b"\x1c."
LF = b"\n"
_ALIGN = {Align.LEFT: 0, Align.CENTER: 1, Align.RIGHT: 2}

# DLE EOT n real-time status requests and the bits of their one-byte replies.
DLE_EOT_PRINTER = b"\x10\x04\x01"
DLE_EOT_OFFLINE_CAUSE = b"\x10\x04\x02"
DLE_EOT_PAPER = b"\x10\x04\x04"
_STATUS_MASK = 0x93  # bits that are fixed in every valid reply...
_STATUS_FIXED = 0x12  # ...and their values
_BIT_OFFLINE = 0x08  # n=1
_BIT_COVER_OPEN = 0x04  # n=2
_BIT_PAPER_STOP = 0x20  # n=2: printing stopped by paper end
_BITS_NEAR_END = 0x0C  # n=4
_BITS_PAPER_END = 0x60  # n=4

# A character outside GBK (4 bytes in GB18030) is not in most printers' fonts and would print
# as garbage or desynchronise the double-byte decoder. It is replaced by "□" (WHITE SQUARE,
# in GBK), the usual Chinese typesetting mark for a missing glyph: unlike "?" it cannot be read
# as punctuation of the text, and it keeps the column count (both are two columns wide).
MISSING_GLYPH = "□"
_QR_EC_LEVEL_M = 1  # python-escpos QR_ECLEVEL_M; M survives a smudged thermal print


def printable_text(text: str) -> str:
    """Make ``text`` safe for a printer in Chinese (GBK) mode.

    Control characters are dropped so data from the platform can never inject a printer
    command; characters outside GBK become their NFKC form when that is in GBK (compatibility
    ideographs, some symbols), else ``MISSING_GLYPH``.
    """
    out: list[str] = []
    for char in text:
        if unicodedata.category(char) == "Cc":
            continue
        if _in_gbk(char):
            out.append(char)
            continue
        folded = unicodedata.normalize("NFKC", char)
        out.append(folded if folded and all(_in_gbk(c) for c in folded) else MISSING_GLYPH)
    return "".join(out)


def _in_gbk(char: str) -> bool:
    try:
        return len(char.encode("gb18030")) <= 2
    except UnicodeEncodeError:  # lone surrogates
        return False


def encode_text(text: str) -> bytes:
    """GB18030 bytes of ``text`` after ``printable_text`` (so at most two bytes a character)."""
    return printable_text(text).encode("gb18030")


def _import_escpos() -> Any:
    """Import python-escpos's printer module, mapping its failure to ``DeviceUnavailable``."""
    try:
        # Imported here, not at module level: the import costs ~180 ms at kiosk start.
        from escpos import printer
    except ImportError as exc:
        raise errors.DeviceUnavailable("python-escpos is not installed") from exc
    except OSError as exc:
        # escpos.capabilities writes a pickle cache at import time; an unwritable
        # ESCPOS_CAPABILITIES_PICKLE_DIR makes the import itself fail.
        raise errors.DeviceUnavailable(f"python-escpos cannot start: {exc}") from exc
    return printer


def render_job(job: PrintJob) -> bytes:
    """ESC/POS bytes of ``job`` for a printer with GB18030 (Chinese mode) support.

    Every text line sets its own alignment, bold and size, so a line never inherits a style
    from the one before, even if an element in between is skipped.

    Raises:
        devices.errors.DeviceUnavailable: python-escpos cannot be imported.
    """
    dummy = _import_escpos().Dummy()
    dummy._raw(ESC_INIT + FS_CHINESE_ON)
    for element in job.elements:
        if isinstance(element, TextLine):
            scale = min(max(element.scale, 1), 8)
            size = ((scale - 1) << 4) | (scale - 1)
            dummy._raw(
                b"\x1ba"
                + bytes([_ALIGN[element.align]])
                + b"\x1bE"
                + bytes([1 if element.bold else 0])
                + b"\x1d!"
                + bytes([size])
                + encode_text(element.text)
                + LF
            )
        elif isinstance(element, Rule):
            char = printable_text(element.char)[:1] or "-"
            count = job.columns // (2 if unicodedata.east_asian_width(char) in "WF" else 1)
            dummy._raw(b"\x1ba\x00\x1bE\x00\x1d!\x00" + encode_text(char * count) + LF)
        elif isinstance(element, Feed):
            dummy._raw(b"\x1bd" + bytes([min(max(element.lines, 0), 255)]))
        elif isinstance(element, QrCode):
            # Native QR has no centring in python-escpos: centre with ESC a 1 first.
            dummy._raw(b"\x1ba\x01")
            size = min(max(element.module_size, 1), 16)
            dummy.qr(element.data, ec=_QR_EC_LEVEL_M, size=size, native=True)
            dummy._raw(b"\x1ba\x00")
        elif isinstance(element, Cut):
            dummy._raw(b"\x1d!\x00\x1bE\x00")
            dummy.cut()  # ESC d 6, GS V 0
    dummy._raw(FS_CHINESE_OFF)
    return bytes(dummy.output)


def decode_status(printer: int, offline_cause: int, paper: int) -> PrinterStatus:
    """Interpret the replies to DLE EOT 1, 2 and 4; a malformed byte means status unknown."""
    if any((b & _STATUS_MASK) != _STATUS_FIXED for b in (printer, offline_cause, paper)):
        return PrinterStatus(known=False)
    paper_end = bool(paper & _BITS_PAPER_END) or bool(offline_cause & _BIT_PAPER_STOP)
    return PrinterStatus(
        known=True,
        online=not printer & _BIT_OFFLINE,
        cover_open=bool(offline_cause & _BIT_COVER_OPEN),
        paper_end=paper_end,
        paper_near_end=paper_end or bool(paper & _BITS_NEAR_END),
    )


def _query(sock: socket.socket, request: bytes, deadline: float) -> int | None:
    """Send one DLE EOT request and read its one-byte reply, or None when none came in time."""
    sock.sendall(request)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return None
    sock.settimeout(remaining)
    try:
        reply = sock.recv(1)
    except TimeoutError:
        return None
    return reply[0] if reply else None


class EscposReceiptPrinter:
    """An ESC/POS printer reached over raw TCP (``ReceiptPrinter``).

    Each call opens its own connection and closes it: many network printers serve one client
    at a time, so the kiosk never keeps the port busy between receipts.
    """

    def __init__(
        self, host: str, port: int = 9100, *, timeout: float = 5.0, status_timeout: float = 0.9
    ) -> None:
        """Configure the printer address.

        Args:
            host: Printer host name or IP address.
            port: Raw TCP port (9100 on most printers).
            timeout: Seconds for connecting and sending a job.
            status_timeout: Seconds for all three status replies together (the
                ``ReceiptPrinter`` contract allows a second for ``status()``).
        """
        self.host = host
        self.port = port
        self.timeout = timeout
        self.status_timeout = status_timeout

    def _connect(self) -> Any:
        """A python-escpos ``Network`` printer on a fresh connection; unreachable -> offline.

        The socket is opened here rather than by ``Network.open()``: python-escpos 3.1 drops
        the socket without closing it when the connection is refused (a leaked descriptor and
        a ResourceWarning on every failed attempt of a kiosk that retries all day).
        """
        printer_module = _import_escpos()
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise errors.PrinterOffline(f"printer {self.host}:{self.port} unreachable") from exc
        net = printer_module.Network(self.host, self.port, timeout=self.timeout)
        net.device = sock
        return net

    def _read_status(self, sock: socket.socket) -> PrinterStatus:
        deadline = time.monotonic() + self.status_timeout
        replies: list[int] = []
        for request in (DLE_EOT_PRINTER, DLE_EOT_OFFLINE_CAUSE, DLE_EOT_PAPER):
            reply = _query(sock, request, deadline)
            if reply is None:
                # Stop here: a late reply would otherwise be taken as the next query's answer.
                return PrinterStatus(known=False)
            replies.append(reply)
        sock.settimeout(self.timeout)
        return decode_status(*replies)

    def status(self) -> PrinterStatus:
        """Read the real-time status; ``known`` is False when the printer did not answer.

        Raises:
            devices.errors.DeviceUnavailable: python-escpos cannot be imported.
        """
        try:
            net = self._connect()
        except errors.PrinterOffline:
            return PrinterStatus(known=False)
        try:
            return self._read_status(net.device)
        except OSError:
            return PrinterStatus(known=False)
        finally:
            net.close()

    def print_job(self, job: PrintJob) -> None:
        """Print ``job`` once, after checking on the same connection that the printer is ready.

        Raises:
            devices.errors.PrinterOffline: Unreachable, offline, or no status reply (an
                unknown status is never taken as "paper OK").
            devices.errors.PaperOut: The printer reports paper end.
            devices.errors.CoverOpen: The cover is open.
            devices.errors.PrinterError: Sending the job failed.
        """
        data = render_job(job)  # before connecting: a rendering bug must not leave bytes half-sent
        net = self._connect()
        try:
            sock: socket.socket = net.device
            try:
                state = self._read_status(sock)
            except OSError as exc:
                raise errors.PrinterOffline("connection lost while reading status") from exc
            _raise_unless_ready(state)
            try:
                net._raw(data)  # python-escpos Network: sendall on the socket
                _finish(sock, self.timeout)
            except OSError as exc:
                raise errors.PrinterError(f"sending job {job.job_id} failed") from exc
        finally:
            net.close()
        logger.info("printed job %s (%d bytes)", job.job_id, len(data))


def _raise_unless_ready(state: PrinterStatus) -> None:
    if not state.known:
        raise errors.PrinterOffline("printer did not report its status")
    if state.paper_end:
        raise errors.PaperOut("printer reports paper end")
    if state.cover_open:
        raise errors.CoverOpen("printer cover is open")
    if not state.online:
        raise errors.PrinterOffline("printer reports itself offline")


def _finish(sock: socket.socket, timeout: float) -> None:
    """Half-close and wait briefly for the printer to close, so no queued byte is reset away."""
    sock.shutdown(socket.SHUT_WR)
    deadline = time.monotonic() + min(timeout, 1.0)
    while (remaining := deadline - time.monotonic()) > 0:
        sock.settimeout(remaining)
        try:
            if not sock.recv(64):
                return
        except TimeoutError:
            return
