"""The Qt binding itself must survive a long-running kiosk.

PySide6-Essentials 6.12.0 drops a reference to ``None`` on every call of a method that returns
nothing; on CPython 3.11 (Debian 12's Python) the process aborts with ``none_dealloc`` after a
few thousand such calls, i.e. seconds into an animation. pyproject.toml keeps that release out;
this test fails if an upgrade brings the bug (or a like one) back.
"""

from __future__ import annotations

import subprocess
import sys

CALLS = 200_000  # far beyond None's reference count at start-up (about 5,000)


def test_void_qt_calls_do_not_leak_references_to_none() -> None:
    script = (
        "import sys\n"
        "from PySide6.QtGui import QColor\n"
        "colour = QColor()\n"
        "before = sys.getrefcount(None)\n"
        f"for _ in range({CALLS}):\n"
        "    colour.setRed(5)\n"
        "print(sys.getrefcount(None) - before)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"the interpreter aborted: {result.stderr[-400:]}"
    assert abs(int(result.stdout.strip())) < 100
