"""The ESC/POS back-end over real TCP, against the virtual printer (and a mute server)."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from devices import errors
from devices.escpos_printer import (
    DLE_EOT_OFFLINE_CAUSE,
    DLE_EOT_PAPER,
    DLE_EOT_PRINTER,
    EscposReceiptPrinter,
    decode_status,
    printable_text,
    render_job,
)
from devices.receipt_printer import Align, Cut, PrinterStatus, PrintJob, QrCode, TextLine
from kiosk.receipt import build_receipt
from kiosk.report import parse_report
from simulators.virtual_printer import MARGIN, VirtualPrinter
from tests.test_receipt import PRINTED_AT, VERIFY_URL, _payload

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
        parse_report(_payload()),
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
    virtual_printer: VirtualPrinter, state: dict[str, object], expected: PrinterStatus
) -> None:
    virtual_printer.set_state(**state)  # type: ignore[arg-type]
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
    virtual_printer: VirtualPrinter, state: dict[str, object], error: type[Exception]
) -> None:
    virtual_printer.set_state(**state)  # type: ignore[arg-type]
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
