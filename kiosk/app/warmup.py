"""Warm-up once the idle screen is up: what the first resident would otherwise wait for.

Start-up stays lean (``tests/e2e/test_startup.py``): jsonschema and python-escpos load on first
use. Before this warm-up the first resident after a start paid for them: the report's schema
check imported jsonschema (~60 ms on the development VM, against ~2 ms for the check itself)
and the first receipt imported python-escpos (~35 ms with the kept printer cache of ``kiosk
run``, ~200 ms without). After the idle screen's first paint, ``ui.warmup.WarmUp`` runs
these steps on a worker thread, so the first report and receipt cost what later ones do
(docs/benchmarks.md).

The report screen's own first fill and paint were measured too: no slower the first
time, so no widget or font is warmed. The A4 PDF's reportlab (~150 ms, ~28 MB) is not
warmed: only halls with an A4 printer use it, and only after the receipt is out. Where
prompts are spoken, pypinyin is (0.1 s holding the GIL, 0.2 s with its whole phrase
dictionary: loaded by the first large-text prompt, it froze the window mid-session).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from devices import escpos_printer
from devices.receipt_printer import PrintJob, TextLine
from kiosk.face import service as face_service
from kiosk.flow import controller as session_controller
from kiosk.platform import report_schema
from kiosk.voice import speech

Step = tuple[str, Callable[[], object]]

# Passes REPORT_SCHEMA (tests/e2e/test_startup.py checks it) and touches each of its parts (the
# patterns, the enum, a record with a repair), so one check builds all a real report needs.
# Nothing personal in it.
SAMPLE_REPORT: Final[dict[str, Any]] = {
    "report_id": "WARM-UP",
    "verification_code": "WARM-UPXY",
    "generated_at": "2026-01-01T08:00:00+08:00",
    "valid_until": "2026-01-31T08:00:00+08:00",
    "subject": {"name": "-", "id_masked": "-"},
    "summary": {"negative_count": 1, "positive_count": 0, "status": "has_negative"},
    "sections": [
        {
            "code": "warm_up",
            "title": "-",
            "records": [
                {
                    "record_id": "W-1",
                    "date": "2026-01-01",
                    "authority": "-",
                    "title": "-",
                    "status": "in_effect",
                    "detail": None,
                    "repair": {"eligible": True, "guide_id": None, "earliest_date": "2026-01-01"},
                }
            ],
        }
    ],
}


def warm_report_check() -> None:
    """Import jsonschema and build the report validator, by checking a sample report."""
    report_schema.validate_report_payload(SAMPLE_REPORT)


def warm_receipt_layout() -> None:
    """Import python-escpos, through the call that turns a receipt into printer bytes."""
    escpos_printer.render_job(PrintJob("warm-up", (TextLine("warm-up"),)))


def steps_for(
    services: session_controller.Services, speaker: speech.Speaker | None = None
) -> list[Step]:
    """The warm-up steps this kiosk needs: the report always, the receipt with a printer,
    the spoken prompts' pinyin where prompts are spoken."""
    steps: list[Step] = [("report check", warm_report_check)]
    if services.printer is not None:
        steps.append(("receipt layout", warm_receipt_layout))
    if isinstance(services.face, face_service.FaceService):
        # The models (their hashes checked) and a first look through the camera: until
        # both are fine the face check is not offered.
        steps.append(("face check", services.face.warm_up))
    if isinstance(speaker, speech.EspeakSpeaker):
        steps.append(("spoken prompts' pinyin", speech.warm_up))
    return steps
