"""ESC/POS receipt printers over TCP (port 9100), serial and USB, using python-escpos.

Chinese text goes out one of two ways (``text_mode``):

- ``"native"``: the explicit way (ecosystem-notes §7): ``ESC @``, ``FS &`` once, then each
  line's GB18030 bytes through ``_raw``. python-escpos ``text()`` is never used because it picks
  single-byte code pages for lines without hanzi and turns ``：`` or ``——`` into garbage on a
  printer in Chinese mode. Compact and fast, for printers with a Chinese font.
- ``"raster"``: each line that is not plain ASCII is drawn with the bundled CJK font into a
  1-bit image and sent as ``GS v 0`` through python-escpos ``image()``, for printers without a
  Chinese font. ASCII-only lines (rules, ids) still go as text: every printer has ASCII.

Sizes use ``GS !``, which enlarges Chinese too (``ESC !`` does not on many Chinese printers).
python-escpos is imported lazily (about 180 ms) inside functions.

``render_job`` turns a ``PrintJob`` into bytes without any connection, so every connection
shares it and tests can inspect it. Every connection reads the DLE EOT status before the job
and again right after it, on the same link.
"""

from __future__ import annotations

import abc
import copy
import functools
import logging
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from PIL import Image, ImageDraw, ImageFont

from devices import errors
from devices.receipt_printer import (
    MISSING_GLYPH,
    Align,
    Cut,
    Feed,
    PrinterStatus,
    PrintJob,
    QrCode,
    Rule,
    TextLine,
    cell_width,
    printable_text,
    raise_unless_ready,
)

__all__ = [
    "MISSING_GLYPH",
    "EscposReceiptPrinter",
    "SerialEscposPrinter",
    "TextMode",
    "UsbEscposPrinter",
    "decode_status",
    "encode_text",
    "printable_text",
    "render_job",
]

logger = logging.getLogger(__name__)

TextMode = Literal["native", "raster"]

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

_QR_EC_LEVEL_M = 1  # python-escpos QR_ECLEVEL_M; M survives a smudged thermal print

# Raster text geometry: the printer's own font A is 12x24 dots a half-width cell with 30-dot
# line spacing; raster lines use the same cells so a line measured in columns fits the paper.
CELL_DOTS = 12
CHAR_DOTS = 24
LINE_DOTS = 30
_INK_THRESHOLD = 150  # grey level below which a dot is printed (antialiased edges -> solid)


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


def _dummy(paper_dots: int) -> Any:
    """A python-escpos ``Dummy`` whose profile knows the paper width.

    ``image()`` prints a warning on stdout when the profile's width is "Unknown" (the default
    profile's) and refuses images wider than a known width: both are fixed by giving this
    instance its own copy of the profile data with the real width.
    """
    dummy = _import_escpos().Dummy()
    data = copy.deepcopy(dummy.profile.profile_data)
    data.setdefault("media", {}).setdefault("width", {})["pixels"] = paper_dots
    dummy.profile.profile_data = data
    return dummy


def render_job(
    job: PrintJob, *, text_mode: TextMode = "native", font_path: Path | None = None
) -> bytes:
    """ESC/POS bytes of ``job``.

    Every text line sets its own alignment, bold and size, so a line never inherits a style
    from the one before, even if an element in between is skipped.

    Args:
        job: The job; ``job.columns`` (32 or 48) gives the paper width (12 dots a column).
        text_mode: ``"native"`` GB18030 text in Chinese mode, or ``"raster"`` images.
        font_path: A TrueType font with CJK glyphs; required for ``"raster"``.

    Raises:
        devices.errors.DeviceUnavailable: python-escpos cannot be imported.
        ValueError: ``"raster"`` without a font.
    """
    raster = text_mode == "raster"
    if raster and font_path is None:
        raise ValueError("raster text needs a font")
    paper_dots = job.columns * CELL_DOTS
    dummy = _dummy(paper_dots)
    # Raster mode never enters Chinese mode: the printer it is for may not know FS &.
    dummy._raw(ESC_INIT if raster else ESC_INIT + FS_CHINESE_ON)
    for element in job.elements:
        if isinstance(element, TextLine | Rule):
            if isinstance(element, Rule):
                char = printable_text(element.char)[:1] or "-"
                line = TextLine(char * (job.columns // cell_width(char)))
            else:
                line = TextLine(
                    printable_text(element.text),
                    align=element.align,
                    bold=element.bold,
                    scale=min(max(element.scale, 1), 8),
                )
            if raster and not line.text.isascii():
                assert font_path is not None
                _raster_line(dummy, line, font_path, paper_dots)
            else:
                _text_line(dummy, line)
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
    if not raster:
        dummy._raw(FS_CHINESE_OFF)
    return bytes(dummy.output)


def _text_line(dummy: Any, line: TextLine) -> None:
    scale = line.scale
    size = ((scale - 1) << 4) | (scale - 1)
    dummy._raw(
        b"\x1ba"
        + bytes([_ALIGN[line.align]])
        + b"\x1bE"
        + bytes([1 if line.bold else 0])
        + b"\x1d!"
        + bytes([size])
        + line.text.encode("gb18030")
        + LF
    )


def _raster_line(dummy: Any, line: TextLine, font_path: Path, paper_dots: int) -> None:
    """Send one line as a ``GS v 0`` image, aligned by ``ESC a`` like a text line."""
    image = render_text_image(line.text, font_path, scale=line.scale, bold=line.bold)
    if image.width > paper_dots:  # only a line laid out for wider paper; the printer crops too
        image = image.crop((0, 0, paper_dots, image.height))
    dummy._raw(b"\x1ba" + bytes([_ALIGN[line.align]]))
    dummy.image(image, impl="bitImageRaster")


@functools.lru_cache(maxsize=8)
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


@functools.lru_cache(maxsize=8192)
def _glyph(font_path: Path, char: str, scale: int, bold: bool) -> Image.Image:
    """One character drawn centred in its printer cell; cached, as receipts repeat glyphs.

    Drawing a glyph costs ~0.2 ms (FreeType render plus advance width): a 500-record receipt
    draws ~60,000 of them, but only a few hundred distinct ones.
    """
    width, height = cell_width(char) * CELL_DOTS * scale, LINE_DOTS * scale
    cell = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(cell)
    font = _font(font_path, CHAR_DOTS * scale)
    left = (width - draw.textlength(char, font=font)) / 2
    top = (height - CHAR_DOTS * scale) // 2
    draw.text((left, top), char, font=font, fill=0)
    if bold:
        draw.text((left + scale, top), char, font=font, fill=0)
    return cell


def render_text_image(text: str, font_path: Path, *, scale: int = 1, bold: bool = False) -> Any:
    """Draw ``text`` as the printer would print it: one glyph per 12- or 24-dot cell.

    Args:
        text: Printable text (after ``printable_text``).
        font_path: The CJK TrueType font.
        scale: 1 normal, 2 large print (cells and glyphs doubled, drawn at that size).
        bold: Double-strike one dot to the right, as thermal printers embolden.

    Returns:
        A mode "1" PIL image, 30 dots a line times ``scale`` high, its width a multiple of 8.
    """
    widths = [cell_width(c) * CELL_DOTS * scale for c in text]
    width = max(8, (sum(widths) + 7) // 8 * 8)
    canvas = Image.new("L", (width, LINE_DOTS * scale), 255)
    x = 0
    for char, w in zip(text, widths, strict=True):
        canvas.paste(_glyph(font_path, char, scale, bold), (x, 0))
        x += w
    return canvas.point(lambda v: 255 if v > _INK_THRESHOLD else 0, mode="1")


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


class LinkLost(OSError):
    """The printer closed the connection (EOF where a status reply was expected)."""


class _Link(abc.ABC):
    """One open connection to a printer: bytes out, status bytes back."""

    @abc.abstractmethod
    def write(self, data: bytes) -> None:
        """Send ``data`` (OSError on failure)."""

    @abc.abstractmethod
    def read_byte(self, timeout: float) -> int | None:
        """One reply byte, or None when none came in ``timeout`` (``LinkLost`` at EOF)."""

    def finish(self) -> None:
        """Make sure everything written reaches the printer before ``close``."""
        return None  # USB writes are synchronous: nothing is queued

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection."""


class _EscposPrinter(abc.ABC):
    """Shared status and job logic of every connection (``ReceiptPrinter``).

    Each call opens its own connection and closes it: many network printers serve one client
    at a time, and a USB or serial port held open blocks ``kiosk diag``.
    """

    def __init__(
        self,
        *,
        text_mode: TextMode,
        font_path: Path | None,
        timeout: float,
        status_timeout: float,
        print_when_status_unknown: bool,
    ) -> None:
        if text_mode not in ("native", "raster"):
            raise ValueError(f"unknown text mode {text_mode!r}")
        if text_mode == "raster" and font_path is None:
            raise ValueError("raster text needs a font")
        self.text_mode: TextMode = text_mode
        self.font_path = font_path
        self.timeout = timeout
        self.status_timeout = status_timeout
        self.print_when_status_unknown = print_when_status_unknown

    @abc.abstractmethod
    def _open(self) -> _Link:
        """Open a connection; ``PrinterOffline`` when the printer cannot be reached."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where the printer is, for messages and logs (no personal data)."""

    def _read_status(self, link: _Link, requests: tuple[bytes, ...] = ()) -> tuple[int, ...] | None:
        deadline = time.monotonic() + self.status_timeout
        replies: list[int] = []
        for request in requests or (DLE_EOT_PRINTER, DLE_EOT_OFFLINE_CAUSE, DLE_EOT_PAPER):
            link.write(request)
            remaining = deadline - time.monotonic()
            reply = link.read_byte(remaining) if remaining > 0 else None
            if reply is None:
                # Stop here: a late reply would otherwise be taken as the next query's answer.
                return None
            replies.append(reply)
        return tuple(replies)

    def _status(self, link: _Link) -> PrinterStatus:
        replies = self._read_status(link)
        return PrinterStatus(known=False) if replies is None else decode_status(*replies)

    def status(self) -> PrinterStatus:
        """Read the real-time status; ``known`` is False when the printer did not answer.

        Raises:
            devices.errors.DeviceUnavailable: python-escpos cannot be imported.
        """
        try:
            link = self._open()
        except errors.PrinterOffline:
            return PrinterStatus(known=False)
        try:
            return self._status(link)
        except OSError:
            return PrinterStatus(known=False)
        finally:
            link.close()

    def print_job(self, job: PrintJob, on_started: Callable[[], None] | None = None) -> None:
        """Print ``job`` once: status check, the job, then a status check again;
        ``on_started()`` between the check and the job.

        The check after the job catches a printer that ran out of paper, opened or dropped
        the connection while the job went out; the job is then reported, never resent.

        Raises:
            devices.errors.PrinterOffline: Unreachable, offline, or no status reply on a
                connection that must answer (an unknown status is never "paper OK").
            devices.errors.PaperOut: Paper end, before the job or during it.
            devices.errors.CoverOpen: The cover is open, before the job or during it.
            devices.errors.PrinterError: The connection failed while the job went out.
        """
        # Rendered before connecting: a rendering bug must not leave bytes half-sent.
        data = render_job(job, text_mode=self.text_mode, font_path=self.font_path)
        link = self._open()
        try:
            try:
                before = self._status(link)
            except OSError as exc:
                raise errors.PrinterOffline("connection lost while reading status") from exc
            if before.known:
                raise_unless_ready(before)
            elif not self.print_when_status_unknown:
                raise errors.PrinterOffline("printer did not report its status")
            else:
                logger.info("%s: status unknown, printing without a check", self.describe())
            if on_started is not None:
                on_started()
            try:
                link.write(data)
                after = self._status(link) if before.known else PrinterStatus(known=False)
                link.finish()
            except OSError as exc:
                raise errors.PrinterError(f"job {job.job_id} interrupted") from exc
            if after.known and (after.paper_end or after.cover_open):
                raise_unless_ready(after, during_job=True)
            if before.known and not after.known:
                logger.warning("%s: no status after job %s", self.describe(), job.job_id)
        finally:
            link.close()
        logger.info("printed job %s (%d bytes, %s)", job.job_id, len(data), self.text_mode)


# ------------------------------------------------------------------------------- network
class _SocketLink(_Link):
    def __init__(self, net: Any, timeout: float) -> None:
        self.net = net
        self.sock: socket.socket = net.device
        self.timeout = timeout

    def write(self, data: bytes) -> None:
        self.sock.settimeout(self.timeout)
        self.net._raw(data)  # python-escpos Network: sendall on the socket

    def read_byte(self, timeout: float) -> int | None:
        self.sock.settimeout(timeout)
        try:
            reply = self.sock.recv(1)
        except TimeoutError:
            return None
        if not reply:
            raise LinkLost("printer closed the connection")
        return reply[0]

    def finish(self) -> None:
        """Half-close and wait briefly for the printer to close, so no byte is reset away."""
        self.sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + min(self.timeout, 1.0)
        while (remaining := deadline - time.monotonic()) > 0:
            self.sock.settimeout(remaining)
            try:
                if not self.sock.recv(64):
                    return
            except TimeoutError:
                return

    def close(self) -> None:
        self.net.close()


class EscposReceiptPrinter(_EscposPrinter):
    """An ESC/POS printer reached over raw TCP (``ReceiptPrinter``).

    A network printer that accepts the connection but does not answer DLE EOT is refused
    (``PrinterOffline``): on a network an answer is the only proof that a printer, not some
    other listener, is there and has paper.
    """

    def __init__(
        self,
        host: str,
        port: int = 9100,
        *,
        timeout: float = 5.0,
        status_timeout: float = 0.9,
        text_mode: TextMode = "native",
        font_path: Path | None = None,
    ) -> None:
        """Configure the printer address.

        Args:
            host: Printer host name or IP address.
            port: Raw TCP port (9100 on most printers).
            timeout: Seconds for connecting and sending a job.
            status_timeout: Seconds for all three status replies together (the
                ``ReceiptPrinter`` contract allows a second for ``status()``).
            text_mode: ``"native"`` (GB18030) or ``"raster"`` (images of the text).
            font_path: CJK TrueType font for ``"raster"``.
        """
        super().__init__(
            text_mode=text_mode,
            font_path=font_path,
            timeout=timeout,
            status_timeout=status_timeout,
            print_when_status_unknown=False,
        )
        self.host = host
        self.port = port

    def describe(self) -> str:
        """``host:port``."""
        return f"printer {self.host}:{self.port}"

    def _open(self) -> _Link:
        """A python-escpos ``Network`` printer on a fresh connection; unreachable -> offline.

        The socket is opened here rather than by ``Network.open()``: python-escpos 3.1 drops
        the socket without closing it when the connection is refused (a leaked descriptor and
        a ResourceWarning on every failed attempt of a kiosk that retries all day).
        """
        printer_module = _import_escpos()
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise errors.PrinterOffline(f"{self.describe()} unreachable") from exc
        net = printer_module.Network(self.host, self.port, timeout=self.timeout)
        net.device = sock
        return _SocketLink(net, self.timeout)


# -------------------------------------------------------------------------------- serial
class _SerialLink(_Link):
    def __init__(self, printer: Any) -> None:
        self.printer = printer
        self.port = printer.device  # a pyserial Serial

    def write(self, data: bytes) -> None:
        self.printer._raw(data)

    def read_byte(self, timeout: float) -> int | None:
        self.port.timeout = max(timeout, 0.0)
        reply = self.port.read(1)
        return reply[0] if reply else None

    def finish(self) -> None:
        self.port.flush()  # waits until the driver has sent every byte

    def close(self) -> None:
        self.printer.close()


class SerialEscposPrinter(_EscposPrinter):
    """An ESC/POS printer on a serial port (RS-232 or a USB-serial adapter).

    Status is read over the port's receive line. Without a reply (a transmit-only cable, a
    printer with status reporting switched off) the job is printed without a pre-check and
    ``status()`` says "unknown", never "paper OK": the port opening proves a device is
    attached, and refusing would make such printers unusable.
    """

    def __init__(
        self,
        device: str,
        baudrate: int = 19200,
        *,
        timeout: float = 5.0,
        status_timeout: float = 0.9,
        text_mode: TextMode = "native",
        font_path: Path | None = None,
    ) -> None:
        """Configure the port.

        Args:
            device: The serial device (``/dev/ttyUSB0``, ``/dev/ttyS0``).
            baudrate: Line speed set on the printer (9600, 19200, 38400, 115200...).
            timeout: Seconds a write may block.
            status_timeout: Seconds for the status replies together.
            text_mode: ``"native"`` or ``"raster"``.
            font_path: CJK TrueType font for ``"raster"``.
        """
        super().__init__(
            text_mode=text_mode,
            font_path=font_path,
            timeout=timeout,
            status_timeout=status_timeout,
            print_when_status_unknown=True,
        )
        if not device:
            raise ValueError("a serial printer needs a device path")
        if baudrate <= 0:
            raise ValueError(f"bad baud rate {baudrate}")
        self.device = device
        self.baudrate = baudrate

    def describe(self) -> str:
        """The device path."""
        return f"serial printer {self.device}"

    def _open(self) -> _Link:
        printer_module = _import_escpos()
        try:
            printer = printer_module.Serial(
                devfile=self.device, baudrate=self.baudrate, timeout=self.timeout
            )
            printer.open()
        except RuntimeError as exc:  # python-escpos: pyserial is not installed
            raise errors.DeviceUnavailable("pyserial is not installed") from exc
        except Exception as exc:  # escpos DeviceNotFoundError, pyserial's errors
            raise errors.PrinterOffline(f"{self.describe()} cannot be opened") from exc
        return _SerialLink(printer)


# ----------------------------------------------------------------------------------- USB
class _UsbLink(_Link):
    def __init__(self, printer: Any) -> None:
        self.printer = printer

    def write(self, data: bytes) -> None:
        self.printer._raw(data)

    def read_byte(self, timeout: float) -> int | None:
        try:
            reply = self.printer.device.read(self.printer.in_ep, 16, max(int(timeout * 1000), 1))
        except OSError:  # usb.core.USBTimeoutError, or no IN endpoint: no status
            return None
        return int(reply[0]) if len(reply) else None

    def close(self) -> None:
        self.printer.close()


class UsbEscposPrinter(_EscposPrinter):
    """An ESC/POS printer on USB, found by vendor and product id (pyusb, libusb).

    Status is read from the bulk IN endpoint where the printer has one; without a reply the
    job is printed without a pre-check and ``status()`` says "unknown" (as for serial).
    """

    def __init__(
        self,
        vendor_id: int,
        product_id: int,
        *,
        in_ep: int = 0x82,
        out_ep: int = 0x01,
        timeout: float = 5.0,
        status_timeout: float = 0.9,
        text_mode: TextMode = "native",
        font_path: Path | None = None,
    ) -> None:
        """Configure the device ids.

        Args:
            vendor_id: USB vendor id (1..0xFFFF), e.g. 0x0416.
            product_id: USB product id (1..0xFFFF).
            in_ep: Bulk IN endpoint (status replies); python-escpos's default.
            out_ep: Bulk OUT endpoint (the job).
            timeout: Seconds a write may block.
            status_timeout: Seconds for the status replies together.
            text_mode: ``"native"`` or ``"raster"``.
            font_path: CJK TrueType font for ``"raster"``.

        Raises:
            ValueError: An id outside 1..0xFFFF.
        """
        super().__init__(
            text_mode=text_mode,
            font_path=font_path,
            timeout=timeout,
            status_timeout=status_timeout,
            print_when_status_unknown=True,
        )
        for name, value in (("vendor", vendor_id), ("product", product_id)):
            if not 0 < value <= 0xFFFF:
                raise ValueError(f"USB {name} id {value:#x} is not in 0x0001..0xFFFF")
        self.vendor_id = vendor_id
        self.product_id = product_id
        self.in_ep = in_ep
        self.out_ep = out_ep

    def describe(self) -> str:
        """``vendor:product`` in hex."""
        return f"USB printer {self.vendor_id:04x}:{self.product_id:04x}"

    def _open(self) -> _Link:
        printer_module = _import_escpos()
        try:
            printer = printer_module.Usb(
                self.vendor_id,
                self.product_id,
                timeout=int(self.timeout * 1000),
                in_ep=self.in_ep,
                out_ep=self.out_ep,
            )
            printer.open()
        except RuntimeError as exc:  # python-escpos: pyusb is not installed
            raise errors.DeviceUnavailable("pyusb is not installed") from exc
        except Exception as exc:  # escpos DeviceNotFoundError, pyusb NoBackendError
            raise errors.PrinterOffline(f"{self.describe()} not found") from exc
        return _UsbLink(printer)
