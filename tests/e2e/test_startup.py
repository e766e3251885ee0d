"""Start-up stays fast: the expensive libraries load when first used, not when the kiosk starts."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pytestqt.qtbot import QtBot

# Building the whole UI and every service must not import these (measured on this kind of
# machine: escpos.printer ~180 ms, reportlab.platypus ~90 ms, jsonschema ~60 ms, OpenCV with
# numpy ~100 ms and ~30 MB: the face check loads them in the idle screen's warm-up).
LAZY = ("escpos", "reportlab", "jsonschema", "cv2", "numpy")

PROBE = """
import sys
from kiosk import config
from kiosk.app import composition
from kiosk.platform import credentials
from ui import app
# With a camera configured: the face check's service is built, its engine not loaded.
cfg = config.KioskConfig(camera=config.CameraConfig(source="http://127.0.0.1:9/stream.mjpg"))
creds = credentials.TerminalCredentials("T1", bytes(32))
kiosk = app.KioskApp(cfg, composition.build_kiosk(cfg, creds))
kiosk.window.show()
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[1:]))
print(",".join(loaded))
"""


def test_building_the_kiosk_imports_no_printer_or_pdf_library() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *LAZY],
        capture_output=True,
        text=True,
        check=True,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip() == ""


# What the first report and receipt need beyond start-up, and jwt's signature crypto (loaded
# at start-up already: it must stay loaded).
WARMED = (
    "jsonschema",
    "jsonschema.validators",
    "escpos.printer",
    "cryptography.hazmat.primitives.asymmetric.ed25519",
    "cryptography.hazmat.primitives.asymmetric.ec",
)

WARM_PROBE = """
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from kiosk import config
from kiosk.app import composition
from kiosk.platform import credentials
from kiosk.app import warmup
from ui import app
from ui.screens import idle

order = []
def loaded():
    return ",".join(name for name in sys.argv[1:] if name in sys.modules)

report_check = warmup.warm_report_check
def recorded_report_check():
    order.append("warm-up runs")
    report_check()
warmup.warm_report_check = recorded_report_check

cfg = config.KioskConfig()
creds = credentials.TerminalCredentials("T1", bytes(32))
kiosk = app.KioskApp(cfg, composition.build_kiosk(cfg, creds))

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "painted" not in order:
            order.append("painted")
        return False

painted = FirstPaint()
kiosk.window.screen_of(idle.IdleScreen).installEventFilter(painted)
kiosk.window.show()
order.append("shown: " + loaded())
deadline = time.monotonic() + 30

def poll():
    warm_up = getattr(kiosk, "warm_up", None)
    if (warm_up is not None and warm_up.done.is_set()) or time.monotonic() > deadline:
        order.append("done: " + loaded())
        kiosk.qt_app.exit(0)

timer = QTimer()
timer.timeout.connect(poll)
timer.start(20)
kiosk.qt_app.exec()
print("|".join(order))
"""


def test_after_the_first_paint_the_report_and_receipt_libraries_are_loaded() -> None:
    result = subprocess.run(
        [sys.executable, "-c", WARM_PROBE, *WARMED],
        capture_output=True,
        text=True,
        check=True,
        env={
            "QT_QPA_PLATFORM": "offscreen",
            "PATH": "/usr/bin:/bin",
            # conftest's kept folder: escpos would otherwise leave a new temp dir each run
            "ESCPOS_CAPABILITIES_PICKLE_DIR": os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"],
        },
    )
    at_start = ",".join(WARMED[3:])  # jwt's crypto is there from the start
    assert result.stdout.strip().split("|") == [
        f"shown: {at_start}",
        "painted",
        "warm-up runs",
        f"done: {','.join(WARMED)}",
    ]


def test_the_warm_up_report_passes_the_schema() -> None:
    from kiosk.app import warmup
    from kiosk.platform import report_schema

    report_schema.validate_report_payload(warmup.SAMPLE_REPORT)


@pytest.mark.expect_log("ui.warmup")
def test_a_failing_warm_up_step_is_logged_and_the_rest_still_run(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    from PySide6.QtWidgets import QWidget

    from ui import warmup

    ran: list[str] = []

    def broken() -> None:
        raise ImportError("no such library")

    widget = QWidget()
    qtbot.addWidget(widget)
    warm_up = warmup.WarmUp(widget, [("broken", broken), ("next", lambda: ran.append("next"))])
    assert not warm_up.done.is_set()
    widget.show()
    qtbot.wait_until(warm_up.done.is_set, timeout=10_000)
    assert ran == ["next"]
    assert "warm-up of the broken failed" in caplog.text


PINYIN_PROBE = """
import sys
from kiosk.voice import speech
before = "pypinyin" in sys.modules
speech.warm_up()
print(before, "pypinyin" in sys.modules)
"""


def test_where_prompts_are_spoken_the_warm_up_loads_their_pinyin() -> None:
    """pypinyin's dictionaries load in the warm-up, not in the first large-text session
    (their import held the GIL for 0.2 s there and froze the window)."""
    from kiosk.app import warmup
    from kiosk.voice import speech
    from tests.support import fakes

    speaker = speech.EspeakSpeaker("espeak-ng")
    try:
        spoken = [name for name, _ in warmup.steps_for(fakes.services(), speaker)]
    finally:
        speaker.close()
    silent = [name for name, _ in warmup.steps_for(fakes.services(), speech.NullSpeaker())]
    assert "spoken prompts' pinyin" in spoken
    assert "spoken prompts' pinyin" not in silent
    result = subprocess.run(
        [sys.executable, "-c", PINYIN_PROBE], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True"]
