"""Update the English translation of the resident screens: ``assets/translations/kiosk_en.ts/.qm``.

Run ``python -m tools.translations`` after changing a screen text: ``pyside6-lupdate`` collects
every ``translate("Context", "中文")`` and ``QT_TRANSLATE_NOOP("Context", "中文")`` of the
Python sources of ``ui/`` and ``kiosk/`` (not tests, not simulators: residents never see
their texts) into the .ts file, keeping the translations already there and dropping texts
that are gone (``-no-obsolete``); new texts come in marked unfinished. Translate them (Qt
Linguist, or by hand in the XML: fill ``<translation>`` and remove ``type="unfinished"``),
then run the command again: ``pyside6-lrelease`` compiles the .ts into the .qm that
``ui.i18n.Languages`` loads, and ``tools.build_voice_phrases`` updates the words the spoken
prompts read their texts with. Unfinished translations are left out of the .qm
(``-nounfinished``): such a text shows in Chinese rather than half-reviewed English.

``--check`` changes nothing and exits with status 1, listing the problems, when a source text
has no finished translation (including a text added since the .ts was last updated), when a
translation loses or adds a placeholder of its source (``%1``, ``%2``, ``%n``: the code fills
them with ``.replace``), or when the .qm is missing or differs from what lrelease makes from
the .ts now (it compiles to a temporary file and compares the bytes).

Determinism: the sources are passed sorted, as paths relative to the repository, so the
``<location>`` lines name files relative to the .ts (``../../ui/screens/report.py``), never
an absolute path. Locations are written ``-locations relative``: each line number is counted
from the previous text of the same file, so inserting a line in a screen changes one
location in the .ts, not every location below it (``absolute`` churned the whole file on
each edit); the file name still tells a translator which screen a text is on, which
``none`` would lose. lupdate sorts contexts, and lrelease makes the same bytes from the
same .ts.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS_DIR = ROOT / "assets" / "translations"
TS_FILE = TRANSLATIONS_DIR / "kiosk_en.ts"
QM_FILE = TRANSLATIONS_DIR / "kiosk_en.qm"
SOURCE_DIRS = ("ui", "kiosk")  # the resident screens and the core texts they show
SOURCE_LANGUAGE = "zh_CN"
TARGET_LANGUAGE = "en"

# The markers the code fills with str.replace: %1..%99 and %n.
PLACEHOLDER = re.compile(r"%(?:\d{1,2}|n)")


@dataclass(frozen=True)
class Message:
    """One source text of the .ts and its translation."""

    context: str
    source: str
    forms: tuple[str, ...]  # the translation; several only for a plural (numerus) message
    finished: bool

    def label(self) -> str:
        """How a problem names the text: ``Context: 中文`` on one line."""
        return f"{self.context}: {self.source!r}"


def _tool(name: str) -> str:
    """A Qt tool of this environment (next to its python), else from PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found: install PySide6 (tools/bootstrap.sh)")
    return found


def _shown(path: Path) -> str:
    """``path`` as a message names it: relative to the repository where it is inside."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def sources() -> list[str]:
    """The Python files lupdate reads, relative to the repository and sorted."""
    files = (path for folder in SOURCE_DIRS for path in (ROOT / folder).rglob("*.py"))
    return sorted(path.relative_to(ROOT).as_posix() for path in files)


def lupdate(ts_file: Path, *, quiet: bool = False) -> None:
    """Collect the source texts into ``ts_file`` (created, or merged keeping translations)."""
    command = [
        _tool("pyside6-lupdate"),
        "-locations",
        "relative",
        "-no-obsolete",
        "-source-language",
        SOURCE_LANGUAGE,
        "-target-language",
        TARGET_LANGUAGE,
        *(["-silent"] if quiet else []),
        *sources(),
        "-ts",
        str(ts_file),
    ]
    subprocess.run(command, cwd=ROOT, check=True)


def lrelease(ts_file: Path, qm_file: Path) -> None:
    """Compile ``ts_file`` into ``qm_file``, without the unfinished translations."""
    command = [
        _tool("pyside6-lrelease"),
        "-silent",
        "-nounfinished",
        str(ts_file),
        "-qm",
        str(qm_file),
    ]
    subprocess.run(command, cwd=ROOT, check=True)


def messages(ts_file: Path | None = None) -> Iterator[Message]:
    """Every message of ``ts_file`` (default: the committed .ts), in file order."""
    root = ET.parse(ts_file or TS_FILE).getroot()
    for context in root.iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            translation = message.find("translation")
            source = message.findtext("source", "")
            if translation is None:
                yield Message(name, source, (), False)
                continue
            forms = tuple(form.text or "" for form in translation.iter("numerusform"))
            forms = forms or (translation.text or "",)
            finished = translation.get("type") is None and all(form.strip() for form in forms)
            yield Message(name, source, forms, finished)


def placeholder_problem(message: Message) -> str | None:
    """Why the translation's placeholders differ from the source's, or None."""
    wanted = collections.Counter(PLACEHOLDER.findall(message.source))
    for form in message.forms:  # each plural form is shown on its own: each needs them all
        got = collections.Counter(PLACEHOLDER.findall(form))
        if form and got != wanted:
            return (
                f"placeholders differ in {message.label()}: "
                f"source {sorted(wanted.elements())}, translation {sorted(got.elements())}"
            )
    return None


def problems() -> list[str]:
    """What ``--check`` reports; empty when the translation is complete and compiled."""
    found: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        # lupdate merges into a copy, so texts added since the last update show as unfinished
        # and the committed .ts is left as it is.
        ts_copy = Path(scratch) / TS_FILE.name
        if TS_FILE.exists():
            shutil.copyfile(TS_FILE, ts_copy)
        else:
            found.append(f"{_shown(TS_FILE)} is missing")
        lupdate(ts_copy, quiet=True)
        for message in messages(ts_copy):
            if not message.finished:
                found.append(f"no finished translation for {message.label()}")
            problem = placeholder_problem(message)
            if problem is not None:
                found.append(problem)
        if TS_FILE.exists():
            qm_now = Path(scratch) / QM_FILE.name
            lrelease(TS_FILE, qm_now)
            if not QM_FILE.exists():
                found.append(f"{_shown(QM_FILE)} is missing")
            elif QM_FILE.read_bytes() != qm_now.read_bytes():
                found.append(f"{_shown(QM_FILE)} is out of date with the .ts")
    return found


def update() -> list[Message]:
    """Update the .ts from the sources and compile the .qm; returns the unfinished messages."""
    TS_FILE.parent.mkdir(parents=True, exist_ok=True)
    lupdate(TS_FILE)
    lrelease(TS_FILE, QM_FILE)
    return [message for message in messages() if not message.finished]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: update (default) or ``--check``."""
    parser = argparse.ArgumentParser(prog="python -m tools.translations", description=__doc__)
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 listing untranslated texts or a stale .qm",
    )
    args = parser.parse_args(argv)
    if args.check:
        found = problems()
        for problem in found:
            print(problem)
        if found:
            print(f"{len(found)} translation problem(s): run python -m tools.translations")
            return 1
        print("translations complete and compiled")
        return 0
    unfinished = update()
    for message in unfinished:
        print(f"to translate: {message.label()}")
    shown = _shown(TS_FILE)
    print(f"{shown}: {len(unfinished)} text(s) to translate" if unfinished else f"{shown}: done")
    # The spoken prompts' words follow the texts (in a process of its own: it needs pypinyin
    # with its whole phrase dictionary).
    return subprocess.run(
        [sys.executable, "-m", "tools.build_voice_phrases"], check=False
    ).returncode


if __name__ == "__main__":
    sys.exit(main())
