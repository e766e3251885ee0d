"""Start-up stays fast: the expensive libraries load when first used, not when the kiosk starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

# Building the whole UI and every service must not import these (measured on this kind of
# machine: escpos.printer ~180 ms, reportlab.platypus ~90 ms, jsonschema ~60 ms, OpenCV with
# numpy ~100 ms and ~30 MB: the face check loads them in the idle screen's warm-up).
MEMORY_KEYRING = "simulators.memory_keyring.MemoryKeyring"

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


# What the idle screen's first paint must not wait for: the platform client and its HTTP and
# crypto libraries, the keyring, the composition root with the devices, the session's screens.
NOT_BEFORE_FIRST_PAINT = (
    "requests",
    "cryptography",
    "keyring",
    "kiosk.platform.client",
    "kiosk.app.composition",
    "kiosk.flow.controller",
    "ui.session_screens",
    "ui.app",
)

TWO_STEP_PROBE = """
import json, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
from kiosk import config
from kiosk.platform import credentials
from ui import startup

folder, watched = sys.argv[1], sys.argv[2:]
cfg = config.KioskConfig(paths=config.PathsConfig(data_dir=folder, log_dir=folder))
start = startup.Start(cfg, credentials.TerminalCredentials("T1", bytes(32)))
found = {}

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "at_first_paint" not in found:
            found["at_first_paint"] = [name for name in watched if name in sys.modules]
        return False

watch = FirstPaint()
start.window.idle_screen.installEventFilter(watch)
start.window.elder_button.click()  # before the kiosk is built: nothing happens
start.show(fullscreen=False)
deadline = time.monotonic() + 60

def poll():
    if start.kiosk is None and start.failure is None and time.monotonic() < deadline:
        return
    timer.stop()
    found["failure"] = repr(start.failure)
    found["screens"] = len(start.window.screens)
    start.window.elder_button.click()  # now the controller hears it
    found["elder_mode"] = start.kiosk.controller.state.resident.elder_mode
    print(json.dumps(found), flush=True)
    start.kiosk.stop()
    QApplication.exit(0)

timer = QTimer()
timer.timeout.connect(poll)
timer.start(20)
QApplication.exec()
"""


def test_the_idle_screen_paints_first_and_the_whole_kiosk_follows(tmp_path: Path) -> None:
    from kiosk.flow import session

    result = subprocess.run(
        [sys.executable, "-c", TWO_STEP_PROBE, str(tmp_path), *NOT_BEFORE_FIRST_PAINT],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={
            "QT_QPA_PLATFORM": "offscreen",
            "PATH": "/usr/bin:/bin",
            "PYTHON_KEYRING_BACKEND": MEMORY_KEYRING,
            "ESCPOS_CAPABILITIES_PICKLE_DIR": os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"],
        },
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["at_first_paint"] == []
    assert found["failure"] == "None"
    assert found["screens"] == len(set(session.Phase))
    assert found["elder_mode"] is True  # one press: the one after the kiosk was built


@pytest.mark.parametrize(
    ("problem", "said"),
    [
        # Found before the window opens.
        ("data folder is a file", "the data folder"),
        # Found while the kiosk is built behind its painted idle screen: the outbox's
        # database cannot be opened.
        ("outbox is a folder", "outbox.sqlite3 cannot be read or written"),
    ],
)
def test_a_kiosk_that_cannot_be_built_says_why_and_exits(
    tmp_path: Path, problem: str, said: str
) -> None:
    from kiosk import config as kiosk_config
    from kiosk.platform import credentials

    data = tmp_path / "data"
    if problem == "data folder is a file":
        data.write_text("a file where the data folder should be", encoding="utf-8")
    else:
        (data / "outbox.sqlite3").mkdir(parents=True)
    cfg = kiosk_config.KioskConfig(
        paths=kiosk_config.PathsConfig(data_dir=str(data), log_dir=str(tmp_path))
    )
    config_file = tmp_path / "kiosk.toml"
    config_file.write_text(kiosk_config.to_toml(cfg), encoding="utf-8")
    creds_dir = tmp_path / "credentials"
    creds_dir.mkdir()
    (creds_dir / credentials.SYSTEMD_CREDENTIAL).write_text(
        credentials.encode(credentials.TerminalCredentials("T1", bytes(32))), encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-m", "kiosk.app.cli", "run", "--config", str(config_file)],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "QT_QPA_PLATFORM": "offscreen",
            "PATH": "/usr/bin:/bin",
            "CREDENTIALS_DIRECTORY": str(creds_dir),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        },
        check=False,
    )
    assert done.returncode == 2, done.stderr
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith("kiosk run: ") and said in message, done.stderr
    assert "Traceback" not in done.stderr
