"""The ESC/POS back-end over real TCP, against the virtual printer (and a mute server)."""

from __future__ import annotations

import datetime as dt
import os
import select
import socket
import threading
import tty
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from devices import errors
from devices.escpos_printer import (
    DLE_EOT_OFFLINE_CAUSE,
    DLE_EOT_PAPER,
    DLE_EOT_PRINTER,
    EscposReceiptPrinter,
    SerialEscposPrinter,
    TextMode,
    UsbEscposPrinter,
    decode_status,
    printable_text,
    render_job,
)
from devices.receipt_printer import Align, Cut, PrinterStatus, PrintJob, QrCode, TextLine
from kiosk.app import composition
from kiosk.assets import CJK_FONT
from kiosk.config import PrinterConfig
from kiosk.flow import session
from kiosk.flow.runtime import Lane
from kiosk.platform.report import parse_report
from kiosk.printing.receipt import build_receipt
from simulators.virtual_printer import MARGIN, VirtualPrinter
from tests.support import fakes
from tests.support.kiosk import make_controller
from tests.support.paper import PRINTED_AT, VERIFY_URL, decode_escpos, receipt_payload

STATUS_QUERIES = DLE_EOT_PRINTER + DLE_EOT_OFFLINE_CAUSE + DLE_EOT_PAPER


def _printer(vp: VirtualPrinter) -> EscposReceiptPrinter:
    return EscposReceiptPrinter("127.0.0.1", vp.port, timeout=5.0)


def _small_job() -> PrintJob:
    return PrintJob(
        job_id="job-1",
        elements=(
            TextLine("个人公共信用报告", align=Align.CENTER, bold=True, scale=2),
            TextLine("状态：有效——已缴纳①"),
            TextLine("plain ASCII: 12345"),
            QrCode("https://credit.example.gov.cn/v1/verify/K7Q2-9XMP"),
            TextLine("核验码：K7Q2-9XMP", align=Align.CENTER),
            Cut(),
        ),
    )


def test_render_job_uses_chinese_mode_gs_size_and_native_qr() -> None:
    data = render_job(_small_job())
    assert data.startswith(b"\x1b@\x1c&")  # ESC @, FS & once
    assert data.count(b"\x1c&") == 1
    assert "状态：有效——已缴纳①\n".encode("gb18030") in data
    assert b"\x1ba\x01\x1bE\x01\x1d!\x11" + "个人".encode("gb18030") in data  # GS ! 0x11
    assert b"\x1bt" not in data  # no single-byte code page switch, ever
    assert b"\x1d(k" in data  # native QR
    assert b"\x1ba\x01\x1d(k" in data  # centred first
    assert data.endswith(b"\x1bd\x06\x1dV\x00\x1c.")  # cut, then leave Chinese mode


def test_text_outside_gbk_and_control_characters_are_neutralised() -> None:
    assert printable_text("张𠀀三") == "张□三"  # U+20000 is 4-byte GB18030
    assert printable_text("a\x1b@b\x1d") == "a@b"  # no command injection from report data
    assert printable_text("⼀") == "一"  # KANGXI RADICAL ONE folds (NFKC) to a GBK character


def test_receipt_with_chinese_round_trips_over_tcp(virtual_printer: VirtualPrinter) -> None:
    job = build_receipt(
        parse_report(receipt_payload()),
        terminal_id="ZJ-JK-0007",
        verify_url=VERIFY_URL,
        printed_at=PRINTED_AT,
    )
    _printer(virtual_printer).print_job(job)
    [printed] = virtual_printer.wait_for_jobs(1, timeout=5)
    sent = [e.text for e in job.elements if isinstance(e, TextLine)]
    assert [line for line in printed.lines if not set(line) <= {"-", "="}] == sent
    assert printed.qr_payloads == [VERIFY_URL]
    assert printed.cut
    assert printed.unknown_commands == 0
    assert printed.raw.startswith(STATUS_QUERIES)  # status checked before the job


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({}, PrinterStatus(known=True, online=True)),
        ({"paper": "near_end"}, PrinterStatus(known=True, online=True, paper_near_end=True)),
        (
            {"paper": "end"},
            PrinterStatus(known=True, online=False, paper_end=True, paper_near_end=True),
        ),
        ({"cover_open": True}, PrinterStatus(known=True, online=False, cover_open=True)),
        ({"online": False}, PrinterStatus(known=True, online=False)),
    ],
)
def test_status(
    virtual_printer: VirtualPrinter, state: dict[str, Any], expected: PrinterStatus
) -> None:
    virtual_printer.set_state(**state)
    assert _printer(virtual_printer).status() == expected
    assert virtual_printer.jobs == []


@pytest.mark.parametrize(
    ("state", "error"),
    [
        ({"paper": "end"}, errors.PaperOut),
        ({"cover_open": True}, errors.CoverOpen),
        ({"online": False}, errors.PrinterOffline),
    ],
)
def test_not_ready_raises_before_any_job_byte(
    virtual_printer: VirtualPrinter, state: dict[str, Any], error: type[Exception]
) -> None:
    virtual_printer.set_state(**state)
    with pytest.raises(error):
        _printer(virtual_printer).print_job(_small_job())
    virtual_printer.stop()  # joins the connection threads: every received byte is in
    assert virtual_printer.received == STATUS_QUERIES
    assert virtual_printer.jobs == []


def test_near_end_still_prints(virtual_printer: VirtualPrinter) -> None:
    virtual_printer.set_state(paper="near_end")
    _printer(virtual_printer).print_job(_small_job())
    assert virtual_printer.wait_for_jobs(1)[0].lines[0] == "个人公共信用报告"


@pytest.fixture
def mute_server() -> Iterator[int]:
    """A TCP server that accepts and reads but never answers (no DLE EOT support)."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    conns: list[socket.socket] = []

    def serve() -> None:
        server.settimeout(0.05)
        while not stop.is_set():
            try:
                conns.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for conn in conns:
        conn.close()
    server.close()


def test_no_reply_is_unknown_never_paper_ok(mute_server: int) -> None:
    printer = EscposReceiptPrinter("127.0.0.1", mute_server, status_timeout=0.3)
    state = printer.status()
    assert state == PrinterStatus(known=False)
    assert not state.ready
    with pytest.raises(errors.PrinterOffline):
        printer.print_job(_small_job())


def test_malformed_reply_is_unknown() -> None:
    assert decode_status(0x12, 0x12, 0x00) == PrinterStatus(known=False)
    assert decode_status(0x12, 0xFF, 0x12) == PrinterStatus(known=False)


def test_unreachable_printer() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    printer = EscposReceiptPrinter("127.0.0.1", port, timeout=1.0)
    assert printer.status() == PrinterStatus(known=False)
    with pytest.raises(errors.PrinterOffline):
        printer.print_job(_small_job())


def test_png_is_a_real_receipt(virtual_printer: VirtualPrinter, tmp_path: Path) -> None:
    _printer(virtual_printer).print_job(_small_job())
    [printed] = virtual_printer.wait_for_jobs(1)
    path = virtual_printer.render_png(printed, tmp_path / "receipt.png")
    with Image.open(path) as image:
        assert image.width == virtual_printer.paper_width_dots + 2 * MARGIN
        assert image.height > 300  # title, four lines and a QR code
        gray = image.convert("L")
        assert gray.getpixel((2, 2)) == 255  # white paper
        dark = sum(gray.histogram()[:64])
        assert 0.02 < dark / (image.width * image.height) < 0.5  # ink, but not a black sheet


def test_unknown_commands_are_skipped_and_counted() -> None:
    with VirtualPrinter(port=0) as vp, socket.create_connection(("127.0.0.1", vp.port)) as s:
        s.sendall(b"\x1b@\x1c&\x1b\x99\x1d\x98\x07" + "好".encode("gb18030") + b"\n\x1dV\x00")
        [printed] = vp.wait_for_jobs(1)
    assert printed.lines == ["好"]
    assert printed.unknown_commands == 3  # ESC 0x99, GS 0x98, BEL


def test_two_cuts_are_two_jobs(virtual_printer: VirtualPrinter) -> None:
    with socket.create_connection(("127.0.0.1", virtual_printer.port)) as s:
        s.sendall(b"\x1c&" + "一\n".encode("gb18030") + b"\x1dV\x00")
        s.sendall(b"\x1dV\x42\x00" + b"two\n")  # GS V 66 0: cut with feed; then an uncut tail
    jobs = virtual_printer.wait_for_jobs(3)
    assert [j.lines for j in jobs] == [["一"], [], ["two"]]
    assert [j.cut for j in jobs] == [True, True, False]


def test_print_time_is_not_shifted() -> None:
    # Guard for the shared fixture: the receipt uses the given time verbatim.
    assert PRINTED_AT.utcoffset() == dt.timedelta(hours=8)


def _receipt(**kwargs: Any) -> PrintJob:
    return build_receipt(
        parse_report(receipt_payload()),
        terminal_id="ZJ-JK-0007",
        verify_url=VERIFY_URL,
        printed_at=PRINTED_AT,
        **kwargs,
    )


@pytest.mark.parametrize("large", [False, True])
def test_render_job_decoded_independently(large: bool) -> None:
    job = _receipt(large_print=large)
    lines, qrs, cut = decode_escpos(render_job(job))
    expected = [
        (0x11 if e.scale == 2 else 0x00, e.bold, e.text)
        for e in job.elements
        if isinstance(e, TextLine)
    ]
    assert [line for line in lines if not set(line[2]) <= {"-", "="}] == expected
    assert lines[0] == (0x11, True, "个人公共信用报告")  # the title is always large
    assert qrs == [VERIFY_URL]
    assert cut


def test_raster_mode_sends_images_and_no_chinese_mode() -> None:
    job = _receipt()
    data = render_job(job, text_mode="raster", font_path=CJK_FONT)
    lines, qrs, cut = decode_escpos(data)
    # A printer without a Chinese font may not know FS &: raster mode never sends it.
    assert data.startswith(b"\x1b@") and not data.startswith(b"\x1b@\x1c&")
    assert not data.endswith(b"\x1c.")
    texts = [e.text for e in job.elements if isinstance(e, TextLine)]
    assert len(lines) - sum(set(t) <= {"-", "="} for _, _, t in lines) == len(texts)
    body = [x for x in lines if not set(x[2]) <= {"-", "="}]
    for (_, _, decoded), sent in zip(body, texts, strict=True):
        # ASCII lines stay text; every other line is a picture at most the paper wide
        if sent.isascii():
            assert decoded == sent
        else:
            assert decoded.startswith("<raster ")
            assert int(decoded.split()[1].split("x")[0]) <= 576
    assert qrs == [VERIFY_URL]
    assert cut
    assert len(data) > 5 * len(render_job(job))  # the price of pictures


def test_raster_needs_a_font() -> None:
    with pytest.raises(ValueError, match="font"):
        render_job(_small_job(), text_mode="raster")
    with pytest.raises(ValueError, match="font"):
        EscposReceiptPrinter("127.0.0.1", text_mode="raster")


def _qr_from_png(path: Path) -> list[str]:
    import zxingcpp

    with Image.open(path) as image:
        return [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]


@pytest.mark.parametrize("mode", ["native", "raster"])
@pytest.mark.parametrize("columns", [32, 48])
def test_rendered_png_has_a_readable_qr_and_the_text(
    tmp_path: Path, mode: TextMode, columns: int
) -> None:
    with VirtualPrinter(port=0, paper_width_dots=columns * 12) as vp:
        printer = EscposReceiptPrinter("127.0.0.1", vp.port, text_mode=mode, font_path=CJK_FONT)
        job = _receipt(columns=columns, large_print=columns == 32)
        printer.print_job(job)
        [printed] = vp.wait_for_jobs(1)
        png = vp.render_png(printed, tmp_path / f"receipt-{mode}-{columns}.png")
    assert printed.cut
    assert printed.unknown_commands == 0
    assert _qr_from_png(png) == [VERIFY_URL]
    if mode == "native":
        assert "核验码：K7Q2-9XMP" in "".join(printed.lines)
        assert all(_cells_width(line) <= columns for line in printed.lines)
    with Image.open(png) as image:
        assert image.width == columns * 12 + 2 * MARGIN


def _cells_width(line: str) -> int:
    return sum(1 if c.isascii() else 2 for c in line)


# ------------------------------------------------------------------ faults during the job
def test_paper_end_during_the_job_is_reported_and_not_resent(
    virtual_printer: VirtualPrinter,
) -> None:
    virtual_printer.fail_after(300, "paper_end")
    printer = _printer(virtual_printer)
    with pytest.raises(errors.PaperOut, match="during the job"):
        printer.print_job(_receipt())
    virtual_printer.stop()
    [partial] = virtual_printer.jobs
    assert not partial.cut  # half a receipt came out
    assert virtual_printer.connections == 1  # and nothing was sent again


def test_connection_dropped_during_the_job_is_a_printer_error(
    virtual_printer: VirtualPrinter,
) -> None:
    virtual_printer.fail_after(300, "drop")
    with pytest.raises(errors.PrinterError) as caught:
        _printer(virtual_printer).print_job(_receipt())
    assert not isinstance(caught.value, errors.PaperOut)
    virtual_printer.stop()
    assert virtual_printer.connections == 1
    assert all(not job.cut for job in virtual_printer.jobs)


@pytest.mark.expect_log("kiosk.flow.controller")
def test_controller_never_reprints_by_itself(virtual_printer: VirtualPrinter) -> None:
    """Paper runs out mid-job; refilled, the printer gets nothing until the resident asks."""
    platform = fakes.Platform()
    harness = make_controller(fakes.services(platform=platform, printer=_printer(virtual_printer)))
    harness.to_report(parse_report(receipt_payload()))
    ctl = harness.controller
    ctl.handle(session.PrintRequested())
    assert harness.held.run_next() is Lane.PRINT  # the printer says it is ready
    assert harness.held.run_next() is Lane.NET  # the copy is recorded
    # The paper runs out in the job's own connection, after the status check and the record.
    virtual_printer.fail_after(300, "paper_end")
    assert harness.held.run_next() is Lane.PRINT
    assert ctl.state.phase is session.Phase.REPORT
    assert ctl.state.step.message is not None and ctl.state.step.message.key == "paper_out"
    # Recorded before the paper came out: the platform may count a copy that failed, never
    # miss one that was printed.
    assert len(platform.prints) == 1

    virtual_printer.set_state("ok")  # staff refill the paper
    assert harness.held.pending == []  # nothing waits to print by itself
    assert virtual_printer.connections == 2  # the status check and the job: no second job

    ctl.handle(session.PrintRequested())  # the resident presses 重新打印
    harness.held.run_pending()
    assert ctl.state.phase is session.Phase.DONE
    jobs = virtual_printer.wait_for_jobs(2)
    assert [j.cut for j in jobs] == [False, True]
    assert len(platform.prints) == 2


# ------------------------------------------------------------------ serial and USB
@pytest.fixture
def serial_printer_pty(virtual_printer: VirtualPrinter) -> Iterator[str]:
    """A pty pair: the virtual printer serves the master, the kiosk opens the slave path."""
    master, slave = os.openpty()
    tty.setraw(master)
    virtual_printer.attach_serial(master)
    yield os.ttyname(slave)
    virtual_printer.stop()
    os.close(slave)
    os.close(master)


def test_serial_printer_prints_and_reads_status(
    virtual_printer: VirtualPrinter, serial_printer_pty: str
) -> None:
    printer = SerialEscposPrinter(serial_printer_pty, 115200)
    assert printer.status() == PrinterStatus(known=True, online=True)
    printer.print_job(_receipt())
    [printed] = virtual_printer.wait_for_jobs(1)
    assert printed.qr_payloads == [VERIFY_URL]
    assert printed.cut
    assert printed.raw.startswith(STATUS_QUERIES)
    virtual_printer.set_state(paper="end")
    with pytest.raises(errors.PaperOut):
        printer.print_job(_receipt())


def test_serial_without_replies_prints_unchecked_but_never_says_ok(tmp_path: Path) -> None:
    master, slave = os.openpty()
    tty.setraw(master)
    try:
        printer = SerialEscposPrinter(os.ttyname(slave), status_timeout=0.2)
        assert printer.status() == PrinterStatus(known=False)  # a mute line: unknown
        printer.print_job(_small_job())  # printed without a pre-check
        received = b""
        while select.select([master], [], [], 0.2)[0]:
            received += os.read(master, 65536)
        assert received.startswith(DLE_EOT_PRINTER)
        assert b"\x1dV\x00" in received
    finally:
        os.close(slave)
        os.close(master)


def test_serial_device_missing_is_offline(tmp_path: Path) -> None:
    printer = SerialEscposPrinter(str(tmp_path / "ttyUSB9"))
    assert printer.status() == PrinterStatus(known=False)
    with pytest.raises(errors.PrinterOffline):
        printer.print_job(_small_job())


def test_usb_printer_not_plugged_in_is_offline() -> None:
    printer = UsbEscposPrinter(0xFFFE, 0xFFFD)  # no such device on any test machine
    assert printer.status() == PrinterStatus(known=False)
    with pytest.raises(errors.PrinterOffline, match="fffe:fffd"):
        printer.print_job(_small_job())


@pytest.mark.parametrize(("vendor", "product"), [(0, 1), (1, 0x10000), (-1, 5)])
def test_usb_ids_out_of_range_are_refused(vendor: int, product: int) -> None:
    with pytest.raises(ValueError, match="USB"):
        UsbEscposPrinter(vendor, product)


@pytest.mark.parametrize(
    ("settings", "kind"),
    [
        ({"connection": "network", "text_mode": "raster"}, EscposReceiptPrinter),
        ({"connection": "serial", "serial_device": "/dev/ttyS9"}, SerialEscposPrinter),
        (
            {"connection": "usb", "usb_vendor_id": 0x0416, "usb_product_id": 0x5011},
            UsbEscposPrinter,
        ),
    ],
)
def test_wiring_builds_each_connection(settings: dict[str, Any], kind: type[object]) -> None:
    built = composition.build_printer(PrinterConfig(**settings))
    assert isinstance(built, kind)
    assert getattr(built, "text_mode", None) == settings.get("text_mode", "native")
    assert composition.build_printer(PrinterConfig(connection="none")) is None
