"""Logs: one line per event, personal data masked even when code slips up."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import privacy
from kiosk.app import logging_setup
from simulators.residents import ZHANG_WEI


@pytest.fixture
def log_file(tmp_path: Path, restore_logging: None) -> Path:
    return logging_setup.setup_logging(
        tmp_path / "logs", max_bytes=2000, backup_count=2, journal=False
    )


def test_id_numbers_phones_and_tokens_never_reach_the_file(log_file: Path) -> None:
    log = logging.getLogger("kiosk.test")
    log.info("card of %s, phone %s", ZHANG_WEI.id_number, ZHANG_WEI.phone)
    log.info("header Authorization: Bearer abc.def-ghi")
    try:
        raise ValueError(f"bad holder {ZHANG_WEI.id_number}")
    except ValueError:
        log.exception("card read failed")
    text = log_file.read_text(encoding="utf-8")
    assert ZHANG_WEI.id_number not in text
    assert ZHANG_WEI.phone is not None
    assert ZHANG_WEI.phone not in text
    assert ZHANG_WEI.id_masked in text
    assert "138****1234" in text
    assert "abc.def-ghi" not in text


JOURNAL_PROBE = """
import logging, sys
from pathlib import Path
from kiosk.app import logging_setup
logging_setup.setup_logging(Path(sys.argv[1]))
log = logging.getLogger("kiosk.test")
log.info("card of %s", sys.argv[2])
log.warning("printer: paper low")
try:
    raise RuntimeError("first\\nsecond")
except RuntimeError:
    log.exception("boom")
"""


def test_under_systemd_each_event_goes_to_the_journal_masked_with_its_level(
    tmp_path: Path,
) -> None:
    """systemd sets JOURNAL_STREAM when stderr is the journal: journald reads one "<N>"
    priority per line; the file keeps its copy."""
    env = {**os.environ, "JOURNAL_STREAM": "8:12345"}
    result = subprocess.run(
        [sys.executable, "-c", JOURNAL_PROBE, str(tmp_path / "logs"), ZHANG_WEI.id_number],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stderr.splitlines()
    assert lines[0] == f"<6>kiosk.test: card of {ZHANG_WEI.id_masked}"
    assert lines[1] == "<4>kiosk.test: printer: paper low"
    assert lines[2].startswith("<3>kiosk.test: boom") and "Traceback" in lines[2]
    assert len(lines) == 3
    assert ZHANG_WEI.id_number not in result.stderr
    assert ZHANG_WEI.id_masked in (tmp_path / "logs" / "kiosk.log").read_text(encoding="utf-8")


def test_each_event_is_one_line_even_with_a_traceback(log_file: Path) -> None:
    log = logging.getLogger("kiosk.test")
    try:
        raise RuntimeError("first\nsecond")
    except RuntimeError:
        log.exception("boom")
    lines = log_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert "Traceback" in lines[0]


def test_the_file_rotates_and_keeps_a_bounded_number(log_file: Path) -> None:
    log = logging.getLogger("kiosk.test")
    for i in range(200):
        log.info("event %d %s", i, "x" * 40)
    files = sorted(p.name for p in log_file.parent.iterdir())
    assert files == ["kiosk.log", "kiosk.log.1", "kiosk.log.2"]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("11010519491231002X", "1101**********002X"),
        ("tel 13912345678.", "tel 139****5678."),
        ("order 123456789012345678901 stays", "order 123456789012345678901 stays"),
    ],
)
def test_mask_text(text: str, masked: str) -> None:
    assert privacy.mask_text(text) == masked
