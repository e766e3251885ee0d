"""A virtual ESC/POS network printer: raw TCP like port 9100, with a rendered paper roll.

It keeps every byte received, answers DLE EOT real-time status from a settable state (bytes as
in ecosystem-notes §7), splits the stream into jobs at each cut and decodes the subset of
ESC/POS the kiosk sends into text lines, QR payloads and a PNG that looks like the printed
receipt. Unknown commands are skipped and counted; a malformed stream never stops the server.

Paper model: 80 mm roll, 576 printable dots (48 columns of 12-dot half-width cells, Chinese
characters 24 dots) with 32 blank dots each side, so the PNG is 640 px = 80 mm at 203 dpi.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import select
import socket
import threading
import time
import types
from pathlib import Path
from typing import Literal

import qrcode
from PIL import Image, ImageDraw, ImageFont

from kiosk.assets import CJK_FONT

logger = logging.getLogger(__name__)

PaperState = Literal["ok", "near_end", "end"]
FaultKind = Literal["paper_end", "drop"]

ESC, FS, GS, DLE = 0x1B, 0x1C, 0x1D, 0x10
CELL = 12  # dots of a half-width character cell (font A)
CHAR_HEIGHT = 24  # dots of a character at scale 1
LINE_GAP = 6  # default line spacing (30 dots) minus the character height
MARGIN = 32  # blank paper either side of the print area
TOP_MARGIN = 40
_QR_EC = {
    48: qrcode.constants.ERROR_CORRECT_L,
    49: qrcode.constants.ERROR_CORRECT_M,
    50: qrcode.constants.ERROR_CORRECT_Q,
    51: qrcode.constants.ERROR_CORRECT_H,
}

# ESC/GS/FS commands with a fixed number of parameter bytes that are consumed and ignored.
_ESC_IGNORED = {
    ord(c): n
    for c, n in {
        "!": 1,
        "-": 1,
        "2": 0,
        "3": 1,
        "M": 1,
        "G": 1,
        "V": 1,
        "{": 1,
        "t": 1,
        "J": 1,
        "p": 3,
        "R": 1,
        " ": 1,
        "c": 2,
        "U": 1,
    }.items()
}
_GS_IGNORED = {
    ord(c): n
    for c, n in {
        "B": 1,
        "H": 1,
        "h": 1,
        "w": 1,
        "f": 1,
        "L": 2,
        "W": 2,
        "a": 1,
        "b": 1,
        "r": 1,
        "I": 1,
        "P": 2,
    }.items()
}
_FS_IGNORED = {ord(c): n for c, n in {"!": 1, "-": 1, "W": 1, "C": 1, "S": 2}.items()}


@dataclasses.dataclass(frozen=True)
class _Text:
    text: str
    align: int
    bold: bool
    width: int
    height: int


@dataclasses.dataclass(frozen=True)
class _Qr:
    data: str
    module_size: int
    ec: int
    align: int


@dataclasses.dataclass(frozen=True)
class _Raster:
    image: Image.Image
    align: int


@dataclasses.dataclass(frozen=True)
class _FeedDots:
    dots: int


_Block = _Text | _Qr | _Raster | _FeedDots


@dataclasses.dataclass
class PrintedJob:
    """One job: everything between two cuts (or up to the end of a connection).

    Attributes:
        raw: The bytes of the job as received, status queries included.
        lines: Decoded text lines, one per LF, in order.
        qr_payloads: Data of each QR code printed.
        cut: True when the job ended with a cut (False if the connection closed first).
        unknown_commands: Commands the decoder did not understand and skipped.
    """

    raw: bytes = b""
    lines: list[str] = dataclasses.field(default_factory=list)
    qr_payloads: list[str] = dataclasses.field(default_factory=list)
    cut: bool = False
    unknown_commands: int = 0
    blocks: list[_Block] = dataclasses.field(default_factory=list, repr=False)

    @property
    def has_content(self) -> bool:
        """Whether anything would appear on paper (a status query alone prints nothing)."""
        return bool(self.blocks)


@dataclasses.dataclass
class _State:
    paper: PaperState = "ok"
    cover_open: bool = False
    online: bool = True

    def reply(self, n: int) -> bytes:
        """The DLE EOT ``n`` reply byte (ecosystem-notes §7 table); no reply for a bad ``n``."""
        if n == 1:
            stopped = not self.online or self.cover_open or self.paper == "end"
            return bytes([0x12 | (0x08 if stopped else 0)])
        if n == 2:
            bits = (0x04 if self.cover_open else 0) | (0x20 if self.paper == "end" else 0)
            return bytes([0x12 | bits])
        if n == 3:
            return b"\x12"
        if n == 4:
            bits = {"ok": 0, "near_end": 0x0C, "end": 0x6C}[self.paper]
            return bytes([0x12 | bits])
        return b""


class _IncompleteError(Exception):
    """The buffer ends inside a command: wait for more bytes."""


class _Decoder:
    """Incremental decoder of one connection's byte stream."""

    def __init__(self, printer: VirtualPrinter) -> None:
        self.printer = printer
        self.buf = b""
        self.job = PrintedJob()
        self.job_start = 0  # offset in buf where the current job's raw bytes start
        self.line = bytearray()
        self._reset()
        self.chinese = False  # power-on default of the strictest printers: FS & is required
        self.qr_data = b""
        self.qr_size = 3
        self.qr_ec = 48
        self.stopped = False  # paper ran out: only real-time commands are still answered

    def _reset(self) -> None:
        self.align = 0
        self.bold = False
        self.width = 1
        self.height = 1

    def feed(self, data: bytes) -> bytes:
        """Decode as much of ``data`` as is complete; return the status replies to send."""
        self.buf += data
        replies = b""
        pos = 0
        while pos < len(self.buf):
            try:
                pos, reply = self._step(pos)
            except _IncompleteError:
                break
            replies += reply
        self.job.raw += self.buf[self.job_start : pos]
        self.buf = self.buf[pos:]
        self.job_start = 0
        return replies

    def close(self) -> None:
        """The connection ended: keep a job that printed something but was never cut."""
        self._flush_line()
        self.job.raw += self.buf
        if self.job.has_content:
            self.printer._add_job(self.job)

    def _need(self, pos: int, n: int) -> bytes:
        if pos + n > len(self.buf):
            raise _IncompleteError
        return self.buf[pos : pos + n]

    def _step(self, pos: int) -> tuple[int, bytes]:
        """Decode the command or character at ``pos``; return the next position and a reply."""
        b = self.buf[pos]
        if self.stopped and b != DLE:
            return pos + 1, b""  # no paper: the printer drops what it cannot print
        if b == ESC:
            return self._esc(pos, self._need(pos + 1, 1)[0]), b""
        if b == GS:
            return self._gs(pos, self._need(pos + 1, 1)[0]), b""
        if b == FS:
            return self._fs(pos, self._need(pos + 1, 1)[0]), b""
        if b == DLE:
            return self._dle(pos)
        if b in (0x0A, 0x0C):
            self._flush_line(force=True)
        elif b == 0x09:
            self.line += b"    "
        elif b == 0x0D:
            pass
        elif b < 0x20:
            self.job.unknown_commands += 1
        else:
            return self._char(pos), b""
        return pos + 1, b""

    def _char(self, pos: int) -> int:
        b = self.buf[pos]
        if not self.chinese or b < 0x81 or b == 0xFF:
            self.line.append(b)
            return pos + 1
        second = self._need(pos + 1, 1)[0]
        n = 4 if 0x30 <= second <= 0x39 else 2
        self.line += self._need(pos, n)
        return pos + n

    def _flush_line(self, *, force: bool = False) -> None:
        if not self.line and not force:
            return
        encoding = "gb18030" if self.chinese else "cp437"
        text = bytes(self.line).decode(encoding, errors="replace")
        self.line.clear()
        self.job.lines.append(text)
        self.job.blocks.append(_Text(text, self.align, self.bold, self.width, self.height))

    def _esc(self, pos: int, cmd: int) -> int:
        if cmd == ord("@"):
            self._flush_line()
            self._reset()
            return pos + 2
        if cmd == ord("a"):
            self.align = self._need(pos + 2, 1)[0] % 48 % 3
            return pos + 3
        if cmd == ord("E"):
            self.bold = bool(self._need(pos + 2, 1)[0] & 1)
            return pos + 3
        if cmd == ord("d"):
            n = self._need(pos + 2, 1)[0]
            self._flush_line()
            self.job.blocks.append(_FeedDots(n * (CHAR_HEIGHT + LINE_GAP)))
            return pos + 3
        if cmd in _ESC_IGNORED:
            return pos + 2 + len(self._need(pos + 2, _ESC_IGNORED[cmd]))
        self.job.unknown_commands += 1
        return pos + 2

    def _fs(self, pos: int, cmd: int) -> int:
        if cmd == ord("&"):
            self.chinese = True
            return pos + 2
        if cmd == ord("."):
            self._flush_line()
            self.chinese = False
            return pos + 2
        if cmd in _FS_IGNORED:
            return pos + 2 + len(self._need(pos + 2, _FS_IGNORED[cmd]))
        self.job.unknown_commands += 1
        return pos + 2

    def _gs(self, pos: int, cmd: int) -> int:
        if cmd == ord("!"):
            n = self._need(pos + 2, 1)[0]
            self.width, self.height = (n >> 4 & 7) + 1, (n & 7) + 1
            return pos + 3
        if cmd == ord("V"):
            m = self._need(pos + 2, 1)[0]
            end = pos + 4 if m in (65, 66) else pos + 3
            self._need(pos, end - pos)
            self._cut(end)
            return end
        if cmd == ord("("):
            head = self._need(pos + 2, 3)
            length = head[1] | head[2] << 8
            body = self._need(pos + 5, length)
            if head[0] == ord("k"):
                self._two_d(body)
            elif head[0] != ord("L"):  # GS ( L graphics: known, not rendered
                self.job.unknown_commands += 1
            return pos + 5 + length
        if cmd == ord("v"):
            return self._raster(pos)
        if cmd == ord("k"):
            return self._barcode(pos)
        if cmd in _GS_IGNORED:
            return pos + 2 + len(self._need(pos + 2, _GS_IGNORED[cmd]))
        self.job.unknown_commands += 1
        return pos + 2

    def _dle(self, pos: int) -> tuple[int, bytes]:
        cmd = self._need(pos + 1, 1)[0]
        if cmd == 0x04:  # DLE EOT n: real-time status, answered at once
            n = self._need(pos + 2, 1)[0]
            return pos + 3, self.printer._status_reply(n)
        if cmd == 0x05:  # DLE ENQ n: real-time request, no reply
            return pos + 2 + len(self._need(pos + 2, 1)), b""
        if cmd == 0x14:  # DLE DC4 fn m t
            return pos + 2 + len(self._need(pos + 2, 3)), b""
        self.job.unknown_commands += 1
        return pos + 1, b""

    def _two_d(self, body: bytes) -> None:
        if len(body) < 2 or body[0] != 49:  # only cn=49 (QR)
            self.job.unknown_commands += 1
            return
        fn, args = body[1], body[2:]
        if fn == 67 and args:
            self.qr_size = max(1, min(args[0], 16))
        elif fn == 69 and args:
            self.qr_ec = args[0]
        elif fn == 80:
            self.qr_data = args[1:]  # after m = '0'
        elif fn == 81:
            self._flush_line()
            data = self.qr_data.decode("utf-8", errors="replace")
            self.job.qr_payloads.append(data)
            self.job.blocks.append(_Qr(data, self.qr_size, self.qr_ec, self.align))
        elif fn != 65:  # 65 selects the model: QR model 2 is the only one rendered
            self.job.unknown_commands += 1

    def _raster(self, pos: int) -> int:
        head = self._need(pos + 2, 6)  # '0' m xL xH yL yH
        m, x_bytes, rows = head[1], head[2] | head[3] << 8, head[4] | head[5] << 8
        data = self._need(pos + 8, x_bytes * rows)
        if head[0] != 48 or x_bytes == 0 or rows == 0:
            self.job.unknown_commands += 1
            return pos + 8 + len(data)
        self._flush_line()
        # ESC/POS raster: 1 bit per dot, most significant bit first, 1 = black.
        image = Image.frombytes("1", (x_bytes * 8, rows), data).point(lambda v: 255 - v)
        scale_x, scale_y = (2 if m & 1 else 1), (2 if m & 2 else 1)
        if scale_x != 1 or scale_y != 1:
            image = image.resize((image.width * scale_x, image.height * scale_y))
        self.job.blocks.append(_Raster(image.convert("L"), self.align))
        return pos + 8 + len(data)

    def _barcode(self, pos: int) -> int:
        m = self._need(pos + 2, 1)[0]
        if m <= 6:  # NUL-terminated data
            end = self.buf.find(b"\x00", pos + 3)
            if end < 0:
                raise _IncompleteError
            nxt = end + 1
        else:
            n = self._need(pos + 3, 1)[0]
            nxt = pos + 4 + len(self._need(pos + 4, n))
        self.job.unknown_commands += 1  # barcodes are not rendered
        return nxt

    def _cut(self, end: int) -> None:
        self._flush_line()
        self.job.raw += self.buf[self.job_start : end]
        self.job.cut = True
        self.printer._add_job(self.job)
        self.job = PrintedJob()
        self.job_start = end


class VirtualPrinter:
    """Threaded TCP ESC/POS printer; use as a context manager or call start()/stop()."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 9100, *, paper_width_dots: int = 576
    ) -> None:
        """Configure; nothing listens until ``start()``.

        Args:
            host: Address to bind.
            port: TCP port; 0 picks a free one (read ``.port`` after ``start()``).
            paper_width_dots: Printable width (576 for 80 mm paper, 384 for 58 mm).
        """
        self.host = host
        self.port = port
        self.paper_width_dots = paper_width_dots
        self._state = _State()
        self._lock = threading.Lock()
        self._jobs_changed = threading.Condition(self._lock)
        self._jobs: list[PrintedJob] = []
        self._received = bytearray()
        self._stop = threading.Event()
        self._server: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._fault: tuple[int, FaultKind] | None = None
        self.connections = 0
        # Seconds each status reply is held back: a printer answering slowly (the soak).
        self.reply_delay_s = 0.0

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> VirtualPrinter:
        """Bind, listen and serve in background threads."""
        server = socket.create_server((self.host, self.port), reuse_port=False)
        server.settimeout(0.05)  # lets the accept loop notice stop()
        self._server = server
        self.port = server.getsockname()[1]
        self._stop.clear()
        thread = threading.Thread(target=self._accept_loop, name="virtual-printer", daemon=True)
        thread.start()
        self._threads.append(thread)
        logger.info("virtual printer listening on %s:%d", self.host, self.port)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the threads; received jobs stay readable."""
        self._stop.set()
        for thread in list(self._threads):
            thread.join(timeout=5)
        self._threads.clear()
        if self._server is not None:
            self._server.close()
            self._server = None

    def __enter__(self) -> VirtualPrinter:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        self.stop()

    # ---------------------------------------------------------------- state and results
    def set_state(
        self, paper: PaperState = "ok", cover_open: bool = False, online: bool = True
    ) -> None:
        """Set what DLE EOT reports from now on."""
        if paper not in ("ok", "near_end", "end"):
            raise ValueError(f"unknown paper state {paper!r}")
        with self._lock:
            self._state = _State(paper, cover_open, online)

    def fail_after(self, n_bytes: int, kind: FaultKind) -> None:
        """Break the first connection that sends ``n_bytes`` (status queries included): a
        short connection before it (the kiosk's status check) leaves the fault armed.

        ``"paper_end"``: the paper runs out; the rest of the job is dropped, status queries
        still get answers (paper end) and the state stays "end" until ``set_state``.
        ``"drop"``: the connection is reset, as when the printer loses power.
        """
        if kind not in ("paper_end", "drop"):
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._fault = (n_bytes, kind)

    def cancel_fault(self) -> None:
        """Forget a ``fail_after`` fault no connection has taken yet."""
        self._take_fault()

    def _take_fault(self) -> tuple[int, FaultKind] | None:
        with self._lock:
            fault, self._fault = self._fault, None
            return fault

    @property
    def jobs(self) -> list[PrintedJob]:
        """Jobs received so far, oldest first (a copy of the list)."""
        with self._lock:
            return list(self._jobs)

    @property
    def received(self) -> bytes:
        """Every byte received on any connection, in arrival order."""
        with self._lock:
            return bytes(self._received)

    def wait_for_jobs(self, n: int, timeout: float = 5.0) -> list[PrintedJob]:
        """Block until at least ``n`` jobs arrived; raise ``TimeoutError`` otherwise."""
        with self._jobs_changed:
            if not self._jobs_changed.wait_for(lambda: len(self._jobs) >= n, timeout):
                raise TimeoutError(f"{len(self._jobs)} of {n} print jobs after {timeout} s")
            return list(self._jobs)

    def render_png(self, job: PrintedJob, path: str | Path) -> Path:
        """Draw ``job`` on white paper as the printer would, and save it as PNG."""
        image = render_image(job, self.paper_width_dots)
        target = Path(path)
        image.save(target, format="PNG")
        return target

    # ---------------------------------------------------------------- internals
    def _add_job(self, job: PrintedJob) -> None:
        with self._jobs_changed:
            self._jobs.append(job)
            self._jobs_changed.notify_all()
        logger.info("virtual printer: job %d, %d bytes", len(self._jobs), len(job.raw))

    def _status_reply(self, n: int) -> bytes:
        if self.reply_delay_s > 0:
            time.sleep(self.reply_delay_s)
        with self._lock:
            return self._state.reply(n)

    def _accept_loop(self) -> None:
        server = self._server
        assert server is not None
        while not self._stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        decoder = _Decoder(self)
        fault = self._take_fault()
        seen = 0
        with conn:
            conn.settimeout(0.05)
            while not self._stop.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not data:
                    break
                if fault is not None and seen + len(data) >= fault[0]:
                    cut_at = max(fault[0] - seen, 0)
                    if fault[1] == "drop":
                        self._accept(decoder, data[:cut_at])
                        # SO_LINGER 0: close with a reset, like a printer losing power.
                        conn.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00" * 2
                        )
                        fault = None
                        break
                    reply = self._accept(decoder, data[:cut_at])
                    self.set_state(paper="end")
                    decoder.stopped = True
                    data, fault = data[cut_at:], None
                    if reply:
                        conn.sendall(reply)
                seen += len(data)
                try:
                    reply = self._accept(decoder, data)
                    if reply:
                        conn.sendall(reply)
                except OSError:
                    break
        if fault is not None:  # not reached on this connection: the next one takes it
            with self._lock:
                if self._fault is None:
                    self._fault = fault
        decoder.close()

    def attach_serial(self, fd: int) -> threading.Thread:
        """Serve the master end of a pty as a serial printer until ``stop()``.

        The kiosk opens the slave end (``os.ttyname``) as its serial device: the bytes cross a
        real tty, with the same decoder and status replies as the TCP server.
        """
        thread = threading.Thread(
            target=self._serve_fd, args=(fd,), name="virtual-printer-serial", daemon=True
        )
        thread.start()
        self._threads.append(thread)
        return thread

    def _serve_fd(self, fd: int) -> None:
        decoder = _Decoder(self)
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: nobody has the slave end open right now
                time.sleep(0.02)
                continue
            reply = self._accept(decoder, data)
            if reply:
                os.write(fd, reply)
        decoder.close()

    def _accept(self, decoder: _Decoder, data: bytes) -> bytes:
        """Record and decode ``data``; return the status replies to send back."""
        if not data:
            return b""
        with self._lock:
            self._received += data
        try:
            return decoder.feed(data)
        except Exception:  # a decoder bug must not kill the printer
            logger.exception("virtual printer: undecodable data skipped")
            decoder.buf = b""
            return b""


# -------------------------------------------------------------------- rendering
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(CJK_FONT), size)


def _cells(char: str) -> int:
    # In Chinese mode every double-byte character prints full-width ("—" and "①" too).
    return 1 if char.isascii() else 2


def _text_rows(block: _Text, paper: int) -> list[list[str]]:
    """Split a line as the printer does when it runs past the print area."""
    rows: list[list[str]] = [[]]
    used = 0
    for char in block.text:
        w = _cells(char) * CELL * block.width
        if used + w > paper and rows[-1]:
            rows.append([])
            used = 0
        rows[-1].append(char)
        used += w
    return rows


def _x(align: int, content: int, paper: int) -> int:
    return MARGIN + {0: 0, 1: (paper - content) // 2, 2: paper - content}.get(align, 0)


def _qr_image(block: _Qr) -> Image.Image:
    code = qrcode.QRCode(
        error_correction=_QR_EC.get(block.ec, qrcode.constants.ERROR_CORRECT_M),
        box_size=block.module_size,
        border=0,  # the paper around it is the quiet zone
    )
    code.add_data(block.data)
    code.make(fit=True)
    image: Image.Image = code.make_image(fill_color="black", back_color="white").get_image()
    return image.convert("L")


def _qr_gap(block: _Qr) -> int:
    # Printers leave about two modules of white above and below a native QR code; together
    # with the blank paper at the sides that is enough quiet zone for phone scanners.
    return max(LINE_GAP, 2 * block.module_size)


def render_image(job: PrintedJob, paper_width_dots: int = 576) -> Image.Image:
    """Render ``job`` as a grayscale image of the paper (``paper_width_dots`` + 2 margins)."""
    fonts: dict[int, ImageFont.FreeTypeFont] = {}
    # (height on paper, image or None, text line or None, alignment)
    pieces: list[tuple[int, Image.Image | None, _Text | None, int]] = []
    for block in job.blocks:
        if isinstance(block, _Text):
            for row in _text_rows(block, paper_width_dots):
                line = _Text("".join(row), block.align, block.bold, block.width, block.height)
                pieces.append((CHAR_HEIGHT * block.height + LINE_GAP, None, line, 0))
        elif isinstance(block, _Qr):
            qr_img = _qr_image(block)
            pieces.append((qr_img.height + 2 * _qr_gap(block), qr_img, None, block.align))
        elif isinstance(block, _Raster):
            # A printer advances exactly the image height: raster lines sit like text lines.
            pieces.append((block.image.height, block.image, None, block.align))
        else:
            pieces.append((block.dots, None, None, 0))
    height = TOP_MARGIN + sum(p[0] for p in pieces) + TOP_MARGIN
    paper = Image.new("L", (paper_width_dots + 2 * MARGIN, height), 255)
    draw = ImageDraw.Draw(paper)
    y = TOP_MARGIN
    for piece_height, img, text, align in pieces:
        if text is not None:
            _draw_text(draw, text, y, paper_width_dots, fonts)
        elif img is not None:
            # The printer drops what lies past the print area.
            shown = (
                img.crop((0, 0, paper_width_dots, img.height))
                if (img.width > paper_width_dots)
                else img
            )
            x = _x(align, shown.width, paper_width_dots)
            paper.paste(shown, (x, y + (piece_height - shown.height) // 2))
        y += piece_height
    # The cutter's edge: a light dashed line where the paper was cut.
    if job.cut:
        for x in range(0, paper.width, 12):
            draw.line([(x, height - 2), (x + 6, height - 2)], fill=180)
    return paper


def _draw_text(
    draw: ImageDraw.ImageDraw,
    line: _Text,
    y: int,
    paper: int,
    fonts: dict[int, ImageFont.FreeTypeFont],
) -> None:
    size = CHAR_HEIGHT * line.height
    font = fonts.get(size) or fonts.setdefault(size, _font(size))
    widths = [_cells(c) * CELL * line.width for c in line.text]
    x = _x(line.align, sum(widths), paper)
    for char, w in zip(line.text, widths, strict=True):
        # One glyph per printer cell, centred in it: a thermal printer's font is monospaced,
        # so columns line up like on paper (the TTF's Latin glyphs are proportional).
        glyph_w = draw.textlength(char, font=font)
        cx = x + (w - glyph_w) / 2
        draw.text((cx, y), char, font=font, fill=0)
        if line.bold:
            # Thermal printers embolden by double-striking one dot to the right; a stroke
            # outline instead fills the counters of small Latin glyphs.
            draw.text((cx + line.width, y), char, font=font, fill=0)
        x += w


def _serve_forever(port: int) -> None:  # pragma: no cover - manual use: see the demo
    with VirtualPrinter(port=port) as printer, contextlib.suppress(KeyboardInterrupt):
        print(f"virtual printer on 127.0.0.1:{printer.port}")
        while True:
            time.sleep(1)


if __name__ == "__main__":  # pragma: no cover
    _serve_forever(9100)
