"""Start-up stays fast: the expensive libraries load when first used, not when the kiosk starts."""

from __future__ import annotations

import subprocess
import sys

# Building the whole UI and every service must not import these (measured on this kind of
# machine: escpos.printer ~180 ms, reportlab.platypus ~90 ms, jsonschema ~60 ms).
LAZY = ("escpos", "reportlab", "jsonschema")

PROBE = """
import sys
from kiosk import config, wiring, credentials
from ui import app
cfg = config.KioskConfig()
creds = credentials.TerminalCredentials("T1", bytes(32))
kiosk = app.KioskApp(cfg, wiring.build_services(cfg, creds))
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
