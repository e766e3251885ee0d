"""A4 printing through CUPS's `lp`: the right queue gets the whole PDF; refusals are typed."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from devices import errors
from devices.a4_printer import CupsA4Printer

FAKE_LP = """#!/bin/sh
# Stands in for CUPS's lp: keeps its arguments and the document it was given.
printf '%s\\n' "$@" > "{out}/args"
cat > "{out}/document"
[ "$2" = "no-such-queue" ] && {{ echo "lp: The printer or class does not exist." >&2; exit 1; }}
exit 0
"""


@pytest.fixture
def fake_lp(tmp_path: Path) -> Path:
    lp = tmp_path / "lp"
    lp.write_text(FAKE_LP.format(out=tmp_path), encoding="utf-8")
    lp.chmod(lp.stat().st_mode | stat.S_IXUSR)
    return lp


def test_the_pdf_goes_whole_to_the_configured_queue(fake_lp: Path) -> None:
    pdf = b"%PDF-1.4\n" + os.urandom(4096)
    CupsA4Printer("hall-a4", lp_command=str(fake_lp)).print_pdf(pdf, title="个人公共信用报告 R1")
    args = (fake_lp.parent / "args").read_text(encoding="utf-8").split("\n")
    assert args[:4] == ["-d", "hall-a4", "-t", "个人公共信用报告 R1"]
    assert (fake_lp.parent / "document").read_bytes() == pdf


def test_a_refused_job_is_a_printer_error_with_cups_reason(fake_lp: Path) -> None:
    with pytest.raises(errors.PrinterError, match="does not exist"):
        CupsA4Printer("no-such-queue", lp_command=str(fake_lp)).print_pdf(b"%PDF", title="t")


def test_no_lp_means_the_printer_is_offline(tmp_path: Path) -> None:
    with pytest.raises(errors.PrinterOffline):
        CupsA4Printer("q", lp_command=str(tmp_path / "missing")).print_pdf(b"%PDF", title="t")


class RecordingPrinter:
    def __init__(self) -> None:
        self.jobs: list[object] = []

    def status(self) -> object:
        raise AssertionError("not used")

    def print_job(self, job: object, on_started: Callable[[], None] | None = None) -> None:
        if on_started is not None:
            on_started()
        self.jobs.append(job)


class RecordingPlatform:
    def __init__(self) -> None:
        self.prints: list[tuple[str, object]] = []

    def record_print(self, token: str, report_id: str, **kwargs: object) -> None:
        self.prints.append((report_id, kwargs["kind"]))


def test_a_hall_with_an_a4_printer_gets_the_full_report_after_the_receipt(
    fake_lp: Path,
) -> None:
    import dataclasses

    from kiosk.flow import session
    from tests.helpers import make_controller
    from tests.test_session import REPORT

    receipt_printer = RecordingPrinter()
    platform = RecordingPlatform()
    ctl, _ = make_controller(reader=None, platform=platform)
    ctl._services = dataclasses.replace(
        ctl._services,
        printer=receipt_printer,  # type: ignore[arg-type]
        a4_printer=CupsA4Printer("hall-a4", lp_command=str(fake_lp)),
    )
    # Both copies are recorded with the platform before either is printed.
    assert ctl._record_print("token", REPORT.report_id) == session.PrintRecorded(a4=True)
    assert platform.prints == [(REPORT.report_id, "receipt"), (REPORT.report_id, "a4")]
    assert receipt_printer.jobs == []
    stages: list[session.Event] = []
    assert ctl._print(REPORT, False, True, stages.append) == session.Printed()
    assert len(receipt_printer.jobs) == 1
    assert (fake_lp.parent / "document").read_bytes().startswith(b"%PDF-")
    # The screen hears that the receipt went out, then that the A4 report follows.
    assert stages == [
        session.PrintProgress(session.PrintStage.RECEIPT),
        session.PrintProgress(session.PrintStage.A4),
    ]


def test_an_a4_failure_does_not_undo_the_receipt(fake_lp: Path) -> None:
    import dataclasses

    from kiosk.flow import session
    from tests.helpers import make_controller
    from tests.test_session import REPORT

    receipt_printer = RecordingPrinter()
    ctl, _ = make_controller(reader=None, platform=RecordingPlatform())
    ctl._services = dataclasses.replace(
        ctl._services,
        printer=receipt_printer,  # type: ignore[arg-type]
        a4_printer=CupsA4Printer("no-such-queue", lp_command=str(fake_lp)),
    )
    assert ctl._print(REPORT, False, True, lambda _: None) == session.Printed()
    assert len(receipt_printer.jobs) == 1


def test_an_a4_copy_the_platform_refuses_to_record_is_not_printed(fake_lp: Path) -> None:
    import dataclasses

    from kiosk import errors
    from kiosk.flow import session
    from tests.helpers import make_controller
    from tests.test_session import REPORT

    class RefusesA4(RecordingPlatform):
        def record_print(self, token: str, report_id: str, **kwargs: object) -> None:
            if kwargs["kind"] == "a4":
                raise errors.PlatformRejected("invalid_request", status=400)
            super().record_print(token, report_id, **kwargs)

    platform = RefusesA4()
    ctl, _ = make_controller(reader=None, platform=platform)
    ctl._services = dataclasses.replace(
        ctl._services, a4_printer=CupsA4Printer("hall-a4", lp_command=str(fake_lp))
    )
    assert ctl._record_print("token", REPORT.report_id) == session.PrintRecorded(a4=False)
    assert platform.prints == [(REPORT.report_id, "receipt")]
