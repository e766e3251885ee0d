"""A4 printing through CUPS's `lp`: the right queue gets the whole PDF; refusals are typed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from devices import errors
from devices.a4_printer import CupsA4Printer
from kiosk.flow import session
from kiosk.flow.runtime import Lane
from tests.support import fakes
from tests.support.journey import REPORT
from tests.support.kiosk import Harness, make_controller

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


def _printing_at_report(
    a4_printer: CupsA4Printer, platform: fakes.Platform
) -> tuple[Harness, fakes.RecordingPrinter, list[session.PrintStage]]:
    """A resident on the report screen of a hall with a receipt and an A4 printer, who
    has just pressed print; the stages the screen was told of are collected."""
    receipt_printer = fakes.RecordingPrinter()
    harness = make_controller(
        fakes.services(platform=platform, printer=receipt_printer, a4_printer=a4_printer)
    )
    harness.to_report(REPORT)
    stages: list[session.PrintStage] = []
    harness.controller.add_listener(
        lambda state: (
            stages.append(state.step.print_stage)
            if not stages or stages[-1] is not state.step.print_stage
            else None
        )
    )
    harness.feed(session.PrintRequested())
    return harness, receipt_printer, stages


def test_a_hall_with_an_a4_printer_gets_the_full_report_after_the_receipt(
    fake_lp: Path,
) -> None:
    platform = fakes.Platform()
    harness, receipt_printer, stages = _printing_at_report(
        CupsA4Printer("hall-a4", lp_command=str(fake_lp)), platform
    )
    assert harness.held.run_next() is Lane.PRINT  # paper and cover first
    assert harness.held.run_next() is Lane.NET
    # Both copies are recorded with the platform before either is printed.
    assert [(p.report_id, p.kind) for p in platform.prints] == [
        (REPORT.report_id, "receipt"),
        (REPORT.report_id, "a4"),
    ]
    assert receipt_printer.jobs == []
    assert harness.held.run_next() is Lane.PRINT
    assert len(receipt_printer.jobs) == 1
    assert (fake_lp.parent / "document").read_bytes().startswith(b"%PDF-")
    assert harness.controller.state.phase is session.Phase.DONE
    # The screen heard that the receipt went out, then that the A4 report follows.
    assert stages[-2:] == [session.PrintStage.RECEIPT, session.PrintStage.A4]


@pytest.mark.expect_log("kiosk.flow.controller")
def test_an_a4_failure_does_not_undo_the_receipt(fake_lp: Path) -> None:
    harness, receipt_printer, _ = _printing_at_report(
        CupsA4Printer("no-such-queue", lp_command=str(fake_lp)), fakes.Platform()
    )
    harness.held.run_pending()
    assert len(receipt_printer.jobs) == 1
    assert harness.controller.state.phase is session.Phase.DONE
    assert harness.controller.state.step.message is None


@pytest.mark.expect_log("kiosk.flow.controller")
def test_an_a4_copy_the_platform_refuses_to_record_is_not_printed(fake_lp: Path) -> None:
    platform = fakes.Platform(refuse_prints=frozenset({"a4"}))
    harness, receipt_printer, _ = _printing_at_report(
        CupsA4Printer("hall-a4", lp_command=str(fake_lp)), platform
    )
    harness.held.run_pending()
    assert [(p.report_id, p.kind) for p in platform.prints] == [(REPORT.report_id, "receipt")]
    assert len(receipt_printer.jobs) == 1
    assert not (fake_lp.parent / "document").exists()
    assert harness.controller.state.phase is session.Phase.DONE
