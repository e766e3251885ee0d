"""Receipt printer interface and the device-independent print job it accepts.

A ``PrintJob`` is a list of elements (styled lines, QR codes, rules, feeds, a cut). The core
lays out a receipt as a ``PrintJob``; each printer back-end renders it to its own protocol.
``ReceiptPrinter`` methods block: call them from a worker thread, never the GUI thread.
"""

from __future__ import annotations

import dataclasses
import enum
import unicodedata
from collections.abc import Callable
from typing import Protocol

from devices import errors

# A character outside GBK (4 bytes in GB18030) is not in most printers' fonts and would print
# as garbage or desynchronise the double-byte decoder. It is replaced by "□" (WHITE SQUARE,
# in GBK), the usual Chinese typesetting mark for a missing glyph: unlike "?" it cannot be read
# as punctuation of the text.
MISSING_GLYPH = "□"


# Control and format characters (and line/paragraph separators) print as nothing.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def printable_text(text: str) -> str:
    """Make ``text`` safe for a receipt printer in Chinese (GBK) mode.

    Control and format characters are dropped so data from the platform can never inject a
    printer command; private-use and unassigned characters become ``MISSING_GLYPH``;
    characters outside GBK become their NFKC form when that is in GBK (compatibility
    ideographs, some symbols), else ``MISSING_GLYPH``. Layouts apply it *before* measuring a
    line, so the replacement's width is counted, not the original's.
    """
    out: list[str] = []
    for char in text:
        if unicodedata.category(char) in _INVISIBLE:
            continue
        if not char.isprintable():
            # Private-use and unassigned code points: GB18030 maps some into its user-defined
            # area, but no printer has a glyph there.
            out.append(MISSING_GLYPH)
            continue
        if _in_gbk(char):
            out.append(char)
            continue
        folded = unicodedata.normalize("NFKC", char)
        out.append(folded if folded and all(_in_gbk(c) for c in folded) else MISSING_GLYPH)
    return "".join(out)


def _in_gbk(char: str) -> bool:
    try:
        return len(char.encode("gb18030")) <= 2
    except UnicodeEncodeError:  # lone surrogates
        return False


def cell_width(char: str) -> int:
    """Half-width cells one printable character takes on paper.

    A printer in Chinese mode prints every double-byte (GBK) code as a full-width 24x24 glyph,
    "—", "①" and "é" included, whatever Unicode's East Asian Width says; only ASCII is
    half-width. Apply ``printable_text`` first: other characters are counted as they would be
    replaced.
    """
    return 1 if ord(char) < 0x80 else 2


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

    def print_job(self, job: PrintJob, on_started: Callable[[], None] | None = None) -> None:
        """Print ``job`` once (blocking); ``on_started()`` once the printer said it is ready
        and the job starts going out (the screen moves from "checking" to "printing").

        Raises:
            devices.errors.PrinterOffline: The printer cannot be reached.
            devices.errors.PaperOut: The printer ran out of paper.
            devices.errors.CoverOpen: The cover is open.
            devices.errors.PrinterError: Any other printer failure.
        """
        ...


def raise_unless_ready(state: PrinterStatus, *, during_job: bool = False) -> None:
    """Raise the typed error of a printer that reported it cannot print; an unknown status
    (``known`` False) raises nothing: whether to print then is the printer's own setting.

    Raises:
        devices.errors.PaperOut: Paper end.
        devices.errors.CoverOpen: The cover is open.
        devices.errors.PrinterOffline: The printer reports itself offline.
    """
    if not state.known:
        return
    when = " during the job" if during_job else ""
    if state.paper_end:
        raise errors.PaperOut(f"printer reports paper end{when}")
    if state.cover_open:
        raise errors.CoverOpen(f"printer cover is open{when}")
    if not state.online:
        raise errors.PrinterOffline("printer reports itself offline")
