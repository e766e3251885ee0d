"""What the flow needs from the world, as small protocols: any object with these methods will do.

The composition root (``kiosk.app.composition``) hands the controller real adapters; tests
hand it fakes. The flow never names a concrete adapter.
"""

from __future__ import annotations

from typing import Protocol


class A4Printer(Protocol):
    """A printer for the full report on A4 paper, where a hall has one.

    ``devices.a4_printer.CupsA4Printer`` sends the PDF to a CUPS queue.
    """

    def print_pdf(self, pdf: bytes, *, title: str) -> None:
        """Print ``pdf`` as one job named ``title``.

        Raises:
            devices.errors.PrinterOffline: The printer or its spooler cannot be reached.
            devices.errors.PrinterError: The job was refused.
        """
        ...
