"""Receipt printer interface and the device-independent print job it accepts.

A ``PrintJob`` is a list of elements (styled lines, QR codes, rules, feeds, a cut). The core
lays out a receipt as a ``PrintJob``; each printer back-end renders it to its own protocol.
``ReceiptPrinter`` methods block: call them from a worker thread, never the GUI thread.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Protocol


class Align(enum.Enum):
    """Horizontal alignment of a line."""

    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclasses.dataclass(frozen=True)
class TextLine:
    """One line of text; ``scale`` 2 doubles width and height (large print)."""

    text: str
    align: Align = Align.LEFT
    bold: bool = False
    scale: int = 1


@dataclasses.dataclass(frozen=True)
class QrCode:
    """A QR code of ``data``, centred; ``module_size`` in printer dots (1..16)."""

    data: str
    module_size: int = 6


@dataclasses.dataclass(frozen=True)
class Rule:
    """A horizontal rule across the paper, drawn with ``char``."""

    char: str = "-"


@dataclasses.dataclass(frozen=True)
class Feed:
    """Blank lines."""

    lines: int = 1


@dataclasses.dataclass(frozen=True)
class Cut:
    """Feed past the cutter and cut the paper."""


PrintElement = TextLine | QrCode | Rule | Feed | Cut


@dataclasses.dataclass(frozen=True)
class PrintJob:
    """A whole receipt. ``job_id`` identifies it in logs (no personal data in it)."""

    job_id: str
    elements: tuple[PrintElement, ...]
    columns: int = 48


@dataclasses.dataclass(frozen=True)
class PrinterStatus:
    """Real-time status read from the printer (DLE EOT).

    ``known`` is False when the connection cannot report status or the printer did not
    answer: an unknown status is never taken as "paper OK".
    """

    known: bool
    online: bool = False
    cover_open: bool = False
    paper_end: bool = False
    paper_near_end: bool = False

    @property
    def ready(self) -> bool:
        """True when the printer answered and can print now."""
        return self.known and self.online and not self.cover_open and not self.paper_end


class ReceiptPrinter(Protocol):
    """A receipt printer."""

    def status(self) -> PrinterStatus:
        """Read the real-time status (blocking, a second at most)."""
        ...

    def print_job(self, job: PrintJob) -> None:
        """Print ``job`` once (blocking).

        Raises:
            devices.errors.PrinterOffline: The printer cannot be reached.
            devices.errors.PaperOut: The printer ran out of paper.
            devices.errors.CoverOpen: The cover is open.
            devices.errors.PrinterError: Any other printer failure.
        """
        ...
