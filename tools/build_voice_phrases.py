"""Generate ``assets/voice/pinyin_phrases.json``: the words of pypinyin's phrase dictionary
that the kiosk's own texts contain, for the spoken prompts (``kiosk.voice.speech``).

Run ``python -m tools.build_voice_phrases`` after changing a text of the kiosk (after
``python -m tools.translations``) or upgrading pypinyin; ``--check`` only tells whether the
committed file is what this script generates now (exit status 1 if not).

Why: pypinyin reads a run of Chinese characters by cutting it into the longest words of its
phrase dictionary (about 47,000 words: 40 MB and 0.1 s of loading) and reading each word as
that dictionary says (银行 is yin2 hang2, 行长 hang2 zhang3). The kiosk speaks only its own
texts: every source text of the translation catalogue (``assets/translations/kiosk_en.ts``),
with each ``%1`` replaced by sample numbers, as ``speech.han_runs`` cuts them. The words of
the dictionary found inside those runs cut them the same way, so the kiosk reads its texts
exactly as with the whole dictionary (tests/unit/test_voice_phrases.py compares them).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path

from tools.generated_file import write_or_check

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "assets" / "translations" / "kiosk_en.ts"
OUTPUT = ROOT / "assets" / "voice" / "pinyin_phrases.json"
# The numbers a prompt's %1 stands for: counts, attempts and seconds left, and a few of each
# form the spelling has (ten thousands, a zero in the middle, a fraction, a percentage, a
# masked phone number read digit by digit).
SAMPLE_NUMBERS = [str(n) for n in range(121)] + [
    "200", "250", "999", "1000", "1001", "1010", "2000", "10000", "10005", "12345",
    "100000000", "2.5", "50%", "138****1234", "2024",
]  # fmt: skip
_PLACEHOLDER = re.compile(r"%[0-9n]")
_LONGEST_WORD = 12  # characters: pypinyin's longest phrases are idioms of about this length


def catalogue_texts(catalogue: Path = CATALOGUE) -> list[str]:
    """Every source text of the translation catalogue."""
    return [m.text for m in ET.parse(catalogue).iter("source") if m.text]


def spoken_runs(texts: Iterable[str]) -> list[str]:
    """The runs of Chinese characters pypinyin reads for ``texts`` (numbers spelled out), with
    each placeholder filled by every sample number."""
    from kiosk.voice import speech

    runs: set[str] = set()
    for text in texts:
        variants = (
            [_PLACEHOLDER.sub(n, text) for n in SAMPLE_NUMBERS]
            if _PLACEHOLDER.search(text)
            else [text]
        )
        for variant in variants:
            runs.update(speech.han_runs(variant))
    return sorted(runs)


def _substrings(run: str) -> Iterator[str]:
    for start in range(len(run)):
        for end in range(start + 2, min(len(run), start + _LONGEST_WORD) + 1):
            yield run[start:end]


def full_phrases() -> dict[str, list[list[str]]]:
    """pypinyin's whole phrase dictionary; refuses a pypinyin imported without it."""
    from pypinyin.constants import PHRASES_DICT

    if len(PHRASES_DICT) < 10_000:
        raise SystemExit(
            "pypinyin was imported without its phrase dictionary (as the kiosk imports it): "
            "run this script in a process of its own"
        )
    return PHRASES_DICT


def generate(texts: Iterable[str] | None = None) -> str:
    """The file's text: pypinyin's version and the words, sorted, one per line."""
    dictionary = full_phrases()
    runs = spoken_runs(catalogue_texts() if texts is None else texts)
    words = {
        word: dictionary[word] for run in runs for word in _substrings(run) if word in dictionary
    }
    lines = [f"  {json.dumps(w, ensure_ascii=False)}: {json.dumps(words[w], ensure_ascii=False)}"
             for w in sorted(words)]  # fmt: skip
    header = json.dumps(metadata.version("pypinyin"))
    return '{"pypinyin": ' + header + ', "phrases": {\n' + ",\n".join(lines) + "\n}}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.build_voice_phrases", description=__doc__
    )
    parser.add_argument("--check", action="store_true", help="only compare with the committed file")
    args = parser.parse_args(argv)
    text = generate()
    return write_or_check(
        OUTPUT, text, check=args.check, command="python -m tools.build_voice_phrases"
    )


if __name__ == "__main__":
    sys.exit(main())
