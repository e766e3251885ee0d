"""Logging: one line per event, a rotating file, personal data masked before it is written.

Code never logs names, ID numbers or phone numbers on purpose (it logs masked values).
``MaskingFilter`` is the safety net: whatever reaches a handler is scrubbed of anything
shaped like an ID number, a mobile number or a bearer token.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

from kiosk.privacy import mask_text

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class MaskingFilter(logging.Filter):
    """Rewrites each record's final message with personal data masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the formatted message and any exception text; always keep the record."""
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True


def one_line(text: str) -> str:
    """Collapse line breaks so every event stays on one line of the file."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


class OneLineFormatter(logging.Formatter):
    """Formats a record, traceback included, as a single line."""

    def format(self, record: logging.LogRecord) -> str:
        """Format normally, then escape line breaks."""
        return one_line(super().format(record))


# syslog priorities: journald reads a "<N>" prefix on each line of a service's stderr.
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3}


class JournalFormatter(OneLineFormatter):
    """One line per event for journald: its priority prefix, no time (the journal adds it)."""

    def format(self, record: logging.LogRecord) -> str:
        """``<priority>logger: message``."""
        priority = _PRIORITY.get(record.levelno, 2 if record.levelno > logging.ERROR else 6)
        return f"<{priority}>{super().format(record)}"


def setup_logging(
    log_dir: Path,
    *,
    level: str = "INFO",
    max_bytes: int = 2_000_000,
    backup_count: int = 5,
    console: bool = False,
    journal: bool | None = None,
) -> Path:
    """Send every logger to a rotating file in ``log_dir`` (created 0700); return its path.

    Under systemd (``JOURNAL_STREAM`` set: stderr goes to the journal) every line goes to the
    journal too, masked the same way, with its level, so operators read it with journalctl
    and forward it with what they already run. ``journal`` forces it on or off.
    """
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = log_dir / "kiosk.log"
    handlers: list[logging.Handler] = [
        logging.handlers.RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
        )
    ]
    if console:
        handlers.append(logging.StreamHandler())
    if journal is None:
        journal = bool(os.environ.get("JOURNAL_STREAM"))
    if journal:
        to_journal = logging.StreamHandler(sys.stderr)
        to_journal.setFormatter(JournalFormatter("%(name)s: %(message)s"))
        handlers.append(to_journal)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    for handler in handlers:
        if handler.formatter is None:
            handler.setFormatter(OneLineFormatter(LOG_FORMAT))
        handler.addFilter(MaskingFilter())
        root.addHandler(handler)
    root.setLevel(level)
    # Third-party chatter that would carry URLs with tokens or flood the file.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    logging.getLogger("PIL").setLevel(logging.WARNING)
    return path
