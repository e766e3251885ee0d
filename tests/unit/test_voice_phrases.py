"""The spoken prompts' pinyin with the kiosk's own few words of pypinyin's phrase dictionary
(assets/voice/pinyin_phrases.json) reads every text of the kiosk as the whole dictionary does.

Each side runs in a process of its own: pypinyin decides what it loads when it is first
imported, once per process.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import subprocess
import sys

import pytest

from tests.support import generated
from tools import build_voice_phrases

READ_TEXTS = """
import json, os, sys
if sys.argv[1] == "whole":
    import pypinyin  # imported first, as a build tool does: the whole phrase dictionary
from kiosk.voice import speech
texts = json.load(sys.stdin)
readings = [speech.chinese_to_pinyin(text) for text in texts]
from pypinyin.constants import PHRASES_DICT
print(json.dumps({
    "readings": readings,
    "phrases": len(PHRASES_DICT),
    "phrase_module": "pypinyin.phrases_dict" in sys.modules,
    "env_left": sorted(name for name in os.environ if name.startswith("PYPINYIN")),
}))
"""


@dataclasses.dataclass(frozen=True)
class Read:
    readings: list[str]
    phrases: int  # words in pypinyin's phrase dictionary, as loaded
    phrase_module: bool  # pypinyin's own phrase dictionary was read
    env_left: list[str]  # pypinyin's settings left in the environment


def read_texts(texts: list[str], dictionary: str) -> Read:
    done = subprocess.run(
        [sys.executable, "-c", READ_TEXTS, dictionary],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=build_voice_phrases.ROOT,
    )
    return Read(**json.loads(done.stdout))


@pytest.fixture(scope="module")
def kiosk_texts() -> list[str]:
    """Every text of the kiosk, with numbers the table was not made with in its placeholders."""
    numbers = random.Random(20261207)
    texts = []
    for text in build_voice_phrases.catalogue_texts():
        if re.search(r"%[0-9n]", text):
            for _ in range(12):
                number = str(numbers.choice([numbers.randrange(10), numbers.randrange(10**6)]))
                texts.append(re.sub(r"%[0-9n]", number, text))
        else:
            texts.append(text)
    return texts


def test_the_kiosk_reads_its_texts_as_the_whole_dictionary_does(kiosk_texts: list[str]) -> None:
    lean = read_texts(kiosk_texts, "kiosk")
    whole = read_texts(kiosk_texts, "whole")
    assert whole.phrases > 10_000
    differ = [
        (text, mine, theirs)
        for text, mine, theirs in zip(kiosk_texts, lean.readings, whole.readings, strict=True)
        if mine != theirs
    ]
    assert differ == [], "python -m tools.build_voice_phrases, then see its SAMPLE_NUMBERS"
    # A word read otherwise than its characters alone (重 alone is zhong4).
    assert any("chong2 xin1" in reading for reading in lean.readings)


def test_the_kiosk_loads_no_phrase_dictionary_and_leaves_no_setting_behind() -> None:
    lean = read_texts(["您好，请插入身份证"], "kiosk")
    assert not lean.phrase_module  # its 2.5 MB of JSON is never read
    assert 0 < lean.phrases < 1_000
    assert lean.env_left == []  # espeak-ng and other children see the hall's environment


def test_the_committed_phrases_are_what_the_script_generates() -> None:
    """After changing a text or upgrading pypinyin: python -m tools.build_voice_phrases."""
    generated.assert_current("tools.build_voice_phrases")
