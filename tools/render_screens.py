"""Render every resident screen to PNG, offscreen: normal and large text, landscape and
portrait, Chinese and English. For the README and docs, and for looking at the screens.

    python -m tools.render_screens                 # all of them into out/screens/
    python -m tools.render_screens --out DIR
    python -m tools.render_screens face-consent face-looking   # only these states
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

import cv2
import numpy as np
import numpy.typing as npt

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from kiosk import errors
from kiosk.flow import controller, runtime, session
from kiosk.platform import models
from kiosk.platform import report as report_model
from simulators import camera_server, platform_server, residents
from tests.support import fakes
from ui import main_window, theme
from ui.screens import idle, report, second_factor

ROOT = Path(__file__).resolve().parent.parent
ANIMATION_FRAME = 0.62  # of the idle animation's loop: the card lies on the reader
PREVIEW_TURN_DEGREES = 20.0  # the demo resident halfway into a turn to her own left
# Where the camera simulator's 640x480 frame is cut (x, y, width, height) to show the demo
# resident at a kiosk's distance: her face (at 247, 59, 84x106 on the simulator's wall) in
# the face page's oval.
PREVIEW_CROP = (142, 6, 296, 222)
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
    ("face-choice.png", "choose-factor-face", False, (1920, 1080), "zh"),
    ("face-consent.png", "face-consent", False, (1920, 1080), "zh"),
    ("face-check.png", "face-looking", False, (1920, 1080), "zh"),
    ("face-retry.png", "face-retry", True, (1920, 1080), "zh"),
    ("face-check-portrait.png", "face-looking", True, (1080, 1920), "zh"),
    ("face-consent-english.png", "face-consent", False, (1920, 1080), "en"),
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


def _face_policy() -> models.FacePolicy:
    """The face check as the demo platform offers it, its notice word for word."""
    policy = platform_server.FACE_POLICY
    notice = policy["notice"]
    return models.FacePolicy(
        min_scores={name: rule["min_score"] for name, rule in policy["models"].items()},
        liveness=tuple(policy["liveness"]),
        attempts=policy["attempts"],
        notice=models.FaceNotice(notice["version"], notice["title"], notice["body"]),
    )


def preview_frame() -> npt.NDArray[np.uint8]:
    """What the camera would see: the demo resident (simulators/images/astronaut.png) on the
    camera simulator's wall, her head turned towards her own left, unmirrored."""
    wall = camera_server.SceneRenderer(seed=0).pose("astronaut", PREVIEW_TURN_DEGREES)
    x, y, width, height = PREVIEW_CROP
    near = cv2.resize(
        wall[y : y + height, x : x + width], camera_server.FRAME_SIZE, interpolation=cv2.INTER_CUBIC
    )
    return np.asarray(near, dtype=np.uint8)


def _face_states(factor: S.SessionState) -> Iterator[tuple[str, S.SessionState]]:
    """The face check's pages: offered on the choice page, its notice, a turn, a retry."""
    identity = factor.resident.identity
    assert identity is not None
    offered = dataclasses.replace(
        factor,
        resident=dataclasses.replace(
            factor.resident,
            identity=dataclasses.replace(
                identity,
                second_factors=(*identity.second_factors, "face"),
                face_policy=_face_policy(),
            ),
            face_offered=True,
            face_attempts_left=3,
        ),
    )
    yield "choose-factor-face", offered
    face = dataclasses.replace(
        offered, step=dataclasses.replace(offered.step, factor=S.Factor.FACE)
    )
    yield "face-consent", face
    yield (
        "face-looking",
        dataclasses.replace(
            face,
            step=dataclasses.replace(
                face.step,
                pending=S.Pending.FACE,
                face_stage=S.FaceStage.LOOKING,
                face_prompt="turn_left",
            ),
        ),
    )
    rejected = errors.to_user_message(errors.PlatformRejected("face_rejected", attempts_left=2))
    yield (
        "face-retry",
        dataclasses.replace(
            face,
            resident=dataclasses.replace(face.resident, face_attempts_left=2),
            step=dataclasses.replace(
                face.step, face_stage=S.FaceStage.RETRY, face_failure="score", message=rejected
            ),
        ),
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
    yield from _face_states(factor)
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
        "sms-too-soon",
        dataclasses.replace(
            factor,
            resident=dataclasses.replace(factor.resident, resend_waits=1),
            step=dataclasses.replace(
                factor.step,
                factor=S.Factor.SMS,
                resend_after_s=45,
            ),
        ),
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
    window = main_window.KioskWindow(family)
    window.attach(ctl)
    frame = preview_frame()
    window.set_face_preview(lambda: frame)  # polled only while the face page's camera is on
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
    if state.step.factor is S.Factor.FACE:
        screen = window.current_screen()
        assert isinstance(screen, second_factor.SecondFactorScreen)
        screen.face_page.poll_preview()  # the picture now, not at the preview timer's next turn
    deadline = time.monotonic() + 3
    while True:  # layouts, queued shows and the keyboard's table (a background load) settle
        app.processEvents()
        if keyboard is None or keyboard.candidates() or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    for _ in range(3):  # a layout that follows a text's height settles over a few passes
        app.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(path))
    window.show_state(S.SessionState())  # nothing of the sample lingers into the next picture


def main() -> None:
    """Render the screens named on the command line (all by default)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "screens")
    parser.add_argument("--docs", action="store_true", help="the README's pictures only")
    parser.add_argument("names", nargs="*", help="the states to render (default: all)")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    window = _window(app)
    by_name = dict(states())
    unknown = sorted(set(args.names) - set(by_name))
    if unknown:
        parser.error(f"no such state: {', '.join(unknown)} (known: {', '.join(by_name)})")
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
        if args.names and name not in args.names:
            continue
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
