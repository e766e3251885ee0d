"""Generate ``assets/ime/pinyin_table.txt``, the table of the on-screen keyboard's pinyin input.

Run ``python -m tools.build_ime_table`` after upgrading pypinyin; ``--check`` only tells whether
the committed table is what this script generates now (exit status 1 if not). The output is
deterministic: the same pypinyin data always gives the same bytes.

Why a generated file: importing pypinyin's two dictionaries costs about 0.7 s and 50 MB, for
all of its 42,000 characters and 47,000 phrases; the kiosk needs only the GB2312 part of it,
ranked, which loads in a fraction of that (numbers in ``assets/ime/README.md``).

Data: ``pypinyin.pinyin_dict`` (code point -> readings) and ``pypinyin.phrases_dict`` (phrase
-> reading of each character), both MIT-licensed. The ranking is derived here, as described
at ``char_score`` and ``word_score``; pypinyin has no frequencies.
"""

from __future__ import annotations

import argparse
import collections
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "assets" / "ime" / "pinyin_table.txt"

# Readings that are consonants only (唔 "m", 哽 "ng", 哼 "hng"): as syllables they would split
# "xian" as "xia'n". Those characters have other readings; 嗯 has none and is typed "en",
# as in other input methods.
NO_VOWEL_SYLLABLES = frozenset({"m", "n", "ng", "hm", "hng"})
NO_VOWEL_TYPED_AS = {"n": "en", "ng": "en"}

# Grammatical words and pronouns, most frequent first: the commonest characters of any Chinese
# text, yet seldom in the dictionary phrases that the ranking counts (是 is in fewer phrases
# than 石), so they are put first by hand. Written for this project; each is lifted under its
# main reading only (了 as "le", not "liao").
FUNCTION_CHARACTERS = (
    "的一是不了在有我他这个们你地就也都没着她那得它么吗呢吧啊"
    "要会能可以对把被让给从向跟和与或但而因为所如果虽然"
    "已又还很太才再更最什谁哪怎您咱自己些呀哦嗯"
)
# Insults and vulgar words of the phrase dictionary: a government kiosk must not suggest them
# (意淫 would be the third candidate for "yiyi"). Their characters stay typeable one by one.
UNSUGGESTED_WORDS = frozenset(
    {"意淫", "婊子", "骚货", "王八", "王八蛋", "王八羔子", "杂种", "贱骨头", "撒骚放屁"}
)

LEVEL_ONE = 1  # GB2312 level one: the 3,755 characters of everyday writing
FUNCTION = 2


def plain_syllable(reading: str) -> str:
    """``reading`` as typed on a keyboard: "lǜ" -> "lv", "xìn" -> "xin", "ê̄" -> "e"."""
    decomposed = unicodedata.normalize("NFD", reading.lower()).replace("u\u0308", "v")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def gb2312_level(char: str) -> int:
    """1 or 2 for GB2312's two levels of hanzi, 0 if GB2312 cannot encode ``char``."""
    try:
        encoded = char.encode("gb2312")
    except UnicodeEncodeError:
        return 0
    if len(encoded) != 2:
        return 0
    # Rows 16-55 (first byte 0xB0-0xD7) are level one; rows 56-87 and symbols like 〇: two.
    return 1 if 0xB0 <= encoded[0] <= 0xD7 else 2


def typed_readings(readings: str) -> list[str]:
    """The distinct typeable syllables of a comma-separated reading list, main reading first."""
    plain = [plain_syllable(reading) for reading in readings.split(",")]
    syllables: list[str] = []
    for syllable in plain:
        typeable = syllable.isascii() and syllable.isalpha()
        if typeable and syllable not in NO_VOWEL_SYLLABLES and syllable not in syllables:
            syllables.append(syllable)
    if not syllables:  # 嗯: only consonant readings
        syllables = sorted({NO_VOWEL_TYPED_AS[s] for s in plain if s in NO_VOWEL_TYPED_AS})
    return syllables


def gb2312_characters(pinyin_dict: Mapping[int, str]) -> dict[str, list[str]]:
    """Character -> typeable syllables, for the characters GB2312 can encode."""
    characters: dict[str, list[str]] = {}
    for code_point, readings in pinyin_dict.items():
        char = chr(code_point)
        syllables = typed_readings(readings)
        if gb2312_level(char) and syllables:
            characters[char] = syllables
    return characters


def usable_phrases(
    phrases_dict: Mapping[str, Sequence[Sequence[str]]], characters: Mapping[str, list[str]]
) -> dict[str, tuple[str, ...]]:
    """Phrase -> its syllables: the suggestible phrases of GB2312 characters, read as we know."""
    phrases: dict[str, tuple[str, ...]] = {}
    for phrase, readings in phrases_dict.items():
        if len(phrase) < 2 or len(phrase) != len(readings) or phrase in UNSUGGESTED_WORDS:
            continue
        syllables = tuple(plain_syllable(reading[0]) for reading in readings)
        if all(
            char in characters and syllable in characters[char]
            for char, syllable in zip(phrase, syllables, strict=True)
        ):
            phrases[phrase] = syllables
    return phrases


def char_score(char: str, syllable: str, main_syllable: str, phrase_uses: int) -> int:
    """How likely ``char`` is meant when ``syllable`` is typed: higher first.

    Tiers first: grammatical characters (under their main reading, in the listed order), then
    GB2312 level one, then level two. Within a tier: the number of dictionary phrases that use
    the character with this very reading (行 ranks as "xing" and as "hang" on its own counts),
    then whether it is the character's main reading.
    """
    if char in FUNCTION_CHARACTERS and syllable == main_syllable:
        tier = FUNCTION
        within = (len(FUNCTION_CHARACTERS) - FUNCTION_CHARACTERS.index(char)) * 2
    else:
        tier = LEVEL_ONE if gb2312_level(char) == 1 else 0
        within = min(phrase_uses, 4_999) * 2 + (syllable == main_syllable)
    return tier * 10_000 + within


def word_score(containing: int, weakest_char_uses: int) -> int:
    """How likely a dictionary word is meant when its syllables are typed: higher first.

    A word that other dictionary phrases are built on is a common one (信用: 信用社,
    信用合作社); among equals, the word whose rarest character is used in more phrases.
    """
    return containing * 1_000 + min(weakest_char_uses, 999)


def count_containing(phrases: Iterable[str]) -> collections.Counter[str]:
    """How many longer phrases contain each phrase (as a run of characters)."""
    known = set(phrases)
    counts: collections.Counter[str] = collections.Counter()
    for phrase in known:
        inner = {
            phrase[start:end]
            for start in range(len(phrase))
            for end in range(start + 2, len(phrase) + 1)
            if end - start < len(phrase)
        }
        counts.update(inner & known)
    return counts


def ranked(entries: Mapping[str, int]) -> str:
    """``text:score`` items, best first (ties in code point order, for a stable file)."""
    order = sorted(entries.items(), key=lambda item: (-item[1], item[0]))
    return " ".join(f"{text}:{score}" for text, score in order)


def build_table(
    pinyin_dict: Mapping[int, str], phrases_dict: Mapping[str, Sequence[Sequence[str]]]
) -> str:
    """The whole table file, from pypinyin's two dictionaries."""
    characters = gb2312_characters(pinyin_dict)
    phrases = usable_phrases(phrases_dict, characters)
    phrase_uses: collections.Counter[tuple[str, str]] = collections.Counter()
    for phrase, syllables in phrases.items():
        phrase_uses.update(zip(phrase, syllables, strict=True))

    by_syllable: dict[str, dict[str, int]] = collections.defaultdict(dict)
    for char, readings in characters.items():
        for syllable in readings:
            uses = phrase_uses[char, syllable]
            by_syllable[syllable][char] = char_score(char, syllable, readings[0], uses)

    containing = count_containing(phrases)
    by_syllables: dict[str, dict[str, int]] = collections.defaultdict(dict)
    for phrase, syllables in phrases.items():
        weakest = min(phrase_uses[pair] for pair in zip(phrase, syllables, strict=True))
        by_syllables["'".join(syllables)][phrase] = word_score(containing[phrase], weakest)

    lines = [
        "# Pinyin input table of kiosk.pinyin_ime, generated by tools/build_ime_table.py from",
        "# the dictionaries of pypinyin (MIT licence, see README.md). Do not edit by hand.",
        "# Line: syllables joined by ', a tab, then candidate:score items, best first.",
        "# One syllable: GB2312 characters; several: dictionary words.",
    ]
    for key in sorted(by_syllable):
        lines.append(f"{key}\t{ranked(by_syllable[key])}")
    for key in sorted(by_syllables):
        lines.append(f"{key}\t{ranked(by_syllables[key])}")
    return "\n".join(lines) + "\n"


def generate() -> str:
    """The table from the installed pypinyin."""
    # Imported here: they take most of a second and 50 MB, which only this script pays.
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict

    return build_table(pinyin_dict, phrases_dict)


def main(argv: list[str] | None = None) -> int:
    """Write the table, or with ``--check`` compare it with the committed one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    table = generate()
    if args.check:
        current = TABLE.read_text(encoding="utf-8") if TABLE.exists() else ""
        if current != table:
            print(f"{TABLE.relative_to(ROOT)} is out of date: run python -m tools.build_ime_table")
            return 1
        print(f"{TABLE.relative_to(ROOT)} is up to date")
        return 0
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text(table, encoding="utf-8", newline="\n")
    print(f"wrote {TABLE.relative_to(ROOT)} ({len(table.encode('utf-8')):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
