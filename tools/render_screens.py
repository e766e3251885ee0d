"""Render every resident screen to PNG, offscreen: normal and large text, landscape and
portrait, Chinese and English. For the README and docs, and for looking at the screens.

    python -m tools.render_screens                 # all of them into out/screens/
    python -m tools.render_screens --out DIR
    python -m tools.render_screens --docs          # the README's pictures into docs/images/

Each screen is shown by handing the window a ``SessionState`` (the same way the controller
does), with a synthetic resident from the simulators' fixtures; no device or network is used.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from kiosk import errors
from kiosk.flow import controller, runtime, session
from kiosk.platform import models
from kiosk.platform import report as report_model
from simulators import residents
from tests.support import fakes
from ui import main_window, theme
from ui.screens import idle, report

ROOT = Path(__file__).resolve().parent.parent
ANIMATION_FRAME = 0.62  # of the idle animation's loop: the card lies on the reader
S = session
NEGATIVE = frozenset({"admin_penalty", "dishonest_debtor", "serious_dishonesty"})
POSITIVE = frozenset({"honors", "redlist", "tax", "social_insurance", "commitments"})

# The README's pictures: (file name, state name, large text, size, language).
DOCS = [
    ("idle.png", "idle", False, (1920, 1080), "zh"),
    ("consent.png", "consent", False, (1920, 1080), "zh"),
    ("sms-code.png", "sms-wrong-code", False, (1920, 1080), "zh"),
    ("staff-confirm.png", "staff-form", True, (1920, 1080), "zh"),
    ("report.png", "report", False, (1920, 1080), "zh"),
    ("report-large-text.png", "report", True, (1920, 1080), "zh"),
    ("repair-guide.png", "guide", True, (1920, 1080), "zh"),
    ("dispute.png", "dispute-typing", False, (1920, 1080), "zh"),
    ("share.png", "share", False, (1920, 1080), "zh"),
    ("done.png", "done", True, (1920, 1080), "zh"),
    ("report-english.png", "report", False, (1920, 1080), "en"),
    ("report-portrait.png", "report", False, (1080, 1920), "zh"),
    ("sms-portrait-large-text.png", "sms-sent", True, (1080, 1920), "zh"),
]


def sample_report(resident: residents.Resident = residents.ZHANG_WEI) -> report_model.Report:
    """A verified-looking report for ``resident`` (rendering only; nothing is signed)."""
    sections = resident.sections()
    negative = sum(
        1
        for section in sections
        for record in section["records"]
        if section["code"] in NEGATIVE or "repair" in record
    )
    positive = sum(len(s["records"]) for s in sections if s["code"] in POSITIVE)
    return report_model.parse_report(
        {
            "report_id": "R2026120600017",
            "verification_code": "K7Q2-9XMP",
            "generated_at": "2026-12-06T10:00:00+08:00",
            "valid_until": "2027-01-05T10:00:00+08:00",
            "subject": {"name": resident.name, "id_masked": resident.id_masked},
            "summary": {
                "negative_count": negative,
                "positive_count": positive,
                "status": "has_negative" if negative else "no_negative",
            },
            "sections": sections,
        }
    )


def _guide() -> models.RepairGuide:
    data = residents.REPAIR_GUIDES["repair-admin-penalty"]
    return models.RepairGuide(
        guide_id="repair-admin-penalty",
        title=data["title"],
        steps=tuple(data["steps"]),
        where=data["where"],
        documents=tuple(data["documents"]),
        hall_window=data["hall_window"],
        hours=data["hours"],
    )


def states() -> Iterator[tuple[str, S.SessionState]]:
    """Every screen worth a picture, by name."""
    resident = residents.ZHANG_WEI
    identity = models.IdentitySession(
        session_id="s-1",
        expires_at=dt.datetime(2026, 12, 6, 3, tzinfo=dt.UTC),
        name=resident.name,
        id_masked=resident.id_masked,
        second_factors=("sms_otp", "staff_assist"),
        phone_masked=resident.phone_masked,
    )
    shown = sample_report()
    wrong = errors.to_user_message(errors.PlatformRejected("wrong_code", attempts_left=4))
    paper = errors.to_user_message(errors.PlatformRejected("locked"))
    base = S.SessionState()
    yield "idle", base
    yield (
        "idle-offline",
        dataclasses.replace(base, hall=dataclasses.replace(base.hall, online=False)),
    )
    yield (
        "idle-out-of-service",
        dataclasses.replace(base, hall=dataclasses.replace(base.hall, out_of_service=True)),
    )
    yield (
        "consent",
        dataclasses.replace(
            base, phase=S.Phase.CONSENT, step=dataclasses.replace(base.step, limit_s=60)
        ),
    )
    yield (
        "reading",
        dataclasses.replace(
            base,
            phase=S.Phase.READING_CARD,
            step=dataclasses.replace(base.step, pending=S.Pending.CARD),
        ),
    )
    yield (
        "verifying",
        dataclasses.replace(
            base,
            phase=S.Phase.VERIFYING,
            step=dataclasses.replace(base.step, pending=S.Pending.VERIFY),
        ),
    )
    factor = dataclasses.replace(
        base,
        phase=S.Phase.SECOND_FACTOR,
        resident=dataclasses.replace(base.resident, identity=identity),
    )
    yield "choose-factor", factor
    sms = dataclasses.replace(
        factor,
        resident=dataclasses.replace(factor.resident, otp_sends=1),
        step=dataclasses.replace(
            factor.step, factor=S.Factor.SMS, otp_sent=True, resend_after_s=60
        ),
    )
    yield "sms-sent", sms
    yield (
        "sms-wrong-code",
        dataclasses.replace(sms, step=dataclasses.replace(sms.step, message=wrong)),
    )
    yield (
        "staff-form",
        dataclasses.replace(
            factor,
            hall=dataclasses.replace(factor.hall, staff_called=True, staff_call=1),
            step=dataclasses.replace(factor.step, factor=S.Factor.STAFF),
        ),
    )
    on_report = dataclasses.replace(
        base,
        phase=S.Phase.REPORT,
        resident=dataclasses.replace(
            base.resident, identity=identity, report=shown, access_token="t"
        ),
    )
    yield "report", on_report
    yield (
        "guide",
        dataclasses.replace(
            on_report,
            step=dataclasses.replace(
                on_report.step, view=S.ReportView.GUIDE, view_record="P-1", guide=_guide()
            ),
        ),
    )
    yield (
        "dispute",
        dataclasses.replace(
            on_report,
            step=dataclasses.replace(on_report.step, view=S.ReportView.DISPUTE, view_record="P-1"),
        ),
    )
    yield (
        "dispute-typing",
        dataclasses.replace(
            on_report,
            step=dataclasses.replace(on_report.step, view=S.ReportView.DISPUTE, view_record="P-1"),
        ),
    )
    link = models.ShareLink(
        "https://platform.example.invalid/v1/share/3f9c2a7e5b1d4c8a",
        dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10),
    )
    yield (
        "share",
        dataclasses.replace(
            on_report, step=dataclasses.replace(on_report.step, view=S.ReportView.SHARE, share=link)
        ),
    )
    yield (
        "printing",
        dataclasses.replace(
            on_report,
            phase=S.Phase.PRINTING,
            step=dataclasses.replace(on_report.step, pending=S.Pending.PRINT),
        ),
    )
    yield (
        "printing-recorded-throttled",
        dataclasses.replace(
            on_report,
            phase=S.Phase.PRINTING,
            step=dataclasses.replace(
                on_report.step,
                pending=S.Pending.PRINT,
                print_stage=S.PrintStage.RECORDING,
                platform_busy=True,
            ),
        ),
    )
    yield (
        "verifying-throttled",
        dataclasses.replace(
            base,
            phase=S.Phase.VERIFYING,
            step=dataclasses.replace(base.step, pending=S.Pending.VERIFY, platform_busy=True),
        ),
    )
    yield (
        "done",
        dataclasses.replace(
            base,
            phase=S.Phase.DONE,
            timer=7,
            resident=dataclasses.replace(base.resident, printed=True),
            step=dataclasses.replace(base.step, limit_s=15),
        ),
    )
    yield (
        "error",
        dataclasses.replace(
            base, phase=S.Phase.ERROR, step=dataclasses.replace(base.step, message=paper)
        ),
    )
    yield (
        "still-there",
        dataclasses.replace(on_report, step=dataclasses.replace(on_report.step, still_there_s=20)),
    )


def _window(app: QApplication) -> main_window.KioskWindow:
    dispatcher = runtime.QueueDispatcher()
    # The screens are only drawn from the states below: the controller never runs an effect.
    services = fakes.services()
    ctl = controller.SessionController(
        services,
        rules=S.Rules(),
        dispatcher=dispatcher,
        clock=runtime.ManualClock(),
        runner=runtime.TaskRunner(dispatcher),
    )
    family = theme.register_fonts()
    window = main_window.KioskWindow(ctl, family)
    app.processEvents()
    return window


def render(
    window: main_window.KioskWindow,
    state: S.SessionState,
    path: Path,
    size: tuple[int, int],
    name: str,
) -> None:
    """Show ``state`` at ``size`` and save the window as ``path``."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    window.resize(*size)
    window.show()
    window.show_state(state)
    keyboard = None
    if state.phase is S.Phase.IDLE:
        screen = window.current_screen()
        assert isinstance(screen, idle.IdleScreen)
        screen.animation.set_progress(ANIMATION_FRAME)  # the card on the reader, being read
    if name == "dispute-typing":
        screen = window.current_screen()
        assert isinstance(screen, report.ReportScreen)
        page = screen.dispute_page
        page.reason_buttons["already_done"].setChecked(True)
        page.words_button.click()
        keyboard = page.keyboard
        keyboard.set_text("罚款已于2024年6月缴清，")
        for letter in "shenqing":
            keyboard.buttons[letter].click()
    deadline = time.monotonic() + 3
    while True:  # layouts, queued shows and the keyboard's table (a background load) settle
        app.processEvents()
        if keyboard is None or keyboard.candidates() or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    app.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(path))
    window.show_state(S.SessionState())  # nothing of the sample lingers into the next picture


def main() -> None:
    """Render the screens named on the command line (all by default)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "screens")
    parser.add_argument("--docs", action="store_true", help="the README's pictures only")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    window = _window(app)
    by_name = dict(states())
    if args.docs:
        for file_name, name, elder, size, language in DOCS:
            state = dataclasses.replace(
                by_name[name],
                resident=dataclasses.replace(
                    by_name[name].resident, elder_mode=elder, language=language
                ),
            )
            render(window, state, ROOT / "docs" / "images" / file_name, size, name)
            print(f"docs/images/{file_name}")
        return
    for name, state in by_name.items():
        for elder in (False, True):
            for size in ((1920, 1080), (1080, 1920)):
                for language in ("zh", "en"):
                    if language == "en" and size[0] < size[1]:
                        continue  # English in landscape is enough to see every text
                    variant = dataclasses.replace(
                        state,
                        resident=dataclasses.replace(
                            state.resident, elder_mode=elder, language=language
                        ),
                    )
                    mode = "large" if elder else "normal"
                    shape = "landscape" if size[0] > size[1] else "portrait"
                    path = args.out / f"{name}-{mode}-{shape}-{language}.png"
                    render(window, variant, path, size, name)
        print(f"{name}: {args.out}")


if __name__ == "__main__":
    main()
