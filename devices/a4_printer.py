"""A4 printing of the full report through CUPS (`lp`), for halls with an office printer.

The kiosk hands CUPS a finished PDF on standard input; CUPS does the rest (driver, queue,
retries). Only the outcome of the hand-over is known here: CUPS accepts the job or refuses it.
"""

from __future__ import annotations

import logging
import shutil
import subprocess

from devices.errors import PrinterError, PrinterOffline

log = logging.getLogger(__name__)

LP_TIMEOUT_S = 30.0


class CupsA4Printer:
    """Sends PDFs to one CUPS queue with ``lp``.

    Args:
        queue: The CUPS queue (``lpstat -p`` lists them).
        lp_command: The ``lp`` program; found on PATH when empty.
    """

    def __init__(self, queue: str, *, lp_command: str = "") -> None:
        self.queue = queue
        self.lp_command = lp_command

    def print_pdf(self, pdf: bytes, *, title: str) -> None:
        """Queue ``pdf`` for printing (blocking, a few seconds at most).

        Raises:
            devices.errors.PrinterOffline: ``lp`` is missing or did not answer in time.
            devices.errors.PrinterError: CUPS refused the job (unknown queue, disabled...).
        """
        lp = self.lp_command or shutil.which("lp")
        if not lp:
            raise PrinterOffline(
                "the A4 printer needs CUPS's `lp` command (apt install cups-client)"
            )
        try:
            result = subprocess.run(
                [lp, "-d", self.queue, "-t", title, "-o", "media=A4", "-"],
                input=pdf,
                capture_output=True,
                timeout=LP_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise PrinterOffline(f"CUPS did not take the job within {LP_TIMEOUT_S:.0f} s") from None
        except OSError as exc:
            raise PrinterOffline(f"cannot run {lp}: {exc}") from exc
        if result.returncode != 0:
            reason = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            raise PrinterError(f"CUPS refused the job for {self.queue}: {' '.join(reason)}")
        log.info("A4 report queued on %s (%d bytes)", self.queue, len(pdf))
