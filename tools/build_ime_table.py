"""Generate ``assets/ime/pinyin_table.txt``, the table of the on-screen keyboard's pinyin input.

Run ``python -m tools.build_ime_table`` after upgrading pypinyin or jieba, or after changing
this script; ``--check`` only tells whether the committed table is what this script generates
now (exit status 1 if not). The output is deterministic: the same inputs give the same bytes.
Its header records the inputs: the versions of pypinyin and jieba, the digest of jieba's
dictionary and of this script, and the digest of the table's own lines.

Needs, at build time only: pypinyin (a dependency of the kiosk) and jieba (not one:
``.venv/bin/pip install jieba``). The kiosk reads only the generated table.

Data:

- ``pypinyin.pinyin_dict`` (code point -> readings): which GB2312 characters are typed how;
- jieba's ``dict.txt``: about 349,000 words, each with a count (how often it occurred in the
  corpus jieba's dictionary was made from) and a part of speech. It gives the words and their
  ranking;
- ``pypinyin.pinyin``, with pypinyin's phrase dictionary, reads each jieba word (银行 is
  yin'hang, 行长 hang'zhang);
- short lists written here: everyday words jieba lacks (微信), the kiosk's own words ranked up
  (异议, 逾期), words never suggested (insults), one reading pypinyin gets wrong (还款).

Both packages are MIT-licensed (facts in ``assets/ime/README.md``). Why a generated file:
pypinyin's dictionaries cost about 0.7 s and 50 MB to import, jieba's dictionary is 5 MB of
mostly rare words; the kiosk needs only the common GB2312 part, ranked.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import importlib.util
import sys
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path

from tools.generated_file import write_or_check

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "assets" / "ime" / "pinyin_table.txt"
SCRIPT = Path(__file__).resolve()

# Readings that are consonants only (唔 "m", 哽 "ng", 哼 "hng"): as syllables they would split
# "xian" as "xia'n". Those characters have other readings; 嗯 has none and is typed "en",
# as in other input methods.
NO_VOWEL_SYLLABLES = frozenset({"m", "n", "ng", "hm", "hng"})
NO_VOWEL_TYPED_AS = {"n": "en", "ng": "en"}

# Which jieba words become candidates. jieba's counts start at 2; about 150,000 of its words
# have exactly 3 (listed words seen hardly or never: 行驶证, 验证码, but mostly idioms and
# rare compounds), those below are mostly names cut out of novels. Kept: counts from
# MIN_COUNT, and two-character words from LISTED_COUNT (words of more characters are typed as
# shorter words). Names of people (tags nr, nrt, nrfg) need MIN_NAME_COUNT: they are typed a
# character at a time anyway; numbers (tag m: 五十二个) need MIN_NUMBER_COUNT.
MIN_COUNT = 4
LISTED_COUNT = 3
MIN_NAME_COUNT = 100
NAME_TAGS = frozenset({"nr", "nrt", "nrfg"})
MIN_NUMBER_COUNT = 50
NUMBER_TAGS = frozenset({"m"})
MAX_WORD_LENGTH = 5
MAX_WORDS_PER_KEY = 30  # nearly 4 pages of candidates for one set of syllables
# A character's score: how often it stands alone (jieba's count of it as a word) plus how
# often it occurs inside the kept words with that reading, divided by INSIDE_DIVISOR.
# Standing alone is what a single syllable is typed for: 找 before 照 for "zhao", 啊 before
# 阿 for "a", while 是 的 我 了 come first either way. The score is also what the input
# method's sentence guess takes as the character's count (我的 for "wode").
INSIDE_DIVISOR = 2

# Everyday words that jieba's dictionary (news and novels from before mobile payments) lacks
# or hardly counted, with the count each is given (at least: a larger jieba count stays).
# Written for this project; a count puts the word among jieba's words of that frequency, so
# 微信 comes before 威信 (521) for "weixin".
ADDED_WORDS = {
    "微信": 1_000,
    "支付宝": 500,
    "二维码": 300,
    "验证码": 300,
    "扫码": 200,
    "网银": 200,
    "网贷": 200,
    "车贷": 200,
    "线上": 200,
    "淘宝": 200,
    "不知道": 5_000,
    "不清楚": 1_000,
    "不知情": 200,
    "没收到": 200,
    "行驶证": 200,
    "身份证号": 200,
    "社保卡": 200,
    "医保卡": 200,
    "欠费": 200,
    "退费": 200,
    "补缴": 200,
    "罚息": 100,
    "年费": 100,
    "划扣": 100,
    "未还": 100,
    "已还清": 100,
    "已缴清": 100,
}
# The kiosk's own words: residents explaining a dispute over their credit record write them
# far more often than the news and novels jieba counted. Each counts at least DOMAIN_COUNT,
# more than its homophones: 信用 before 信仰 (1,910) for "xiny", 异议 before 意义 (8,729),
# 通知 before 统治 (11,085), 收到 before 受到 (11,428).
DOMAIN_WORDS = frozenset(
    {"信用", "征信", "异议", "复议", "申诉", "逾期", "还清", "缴清", "通知", "收到"}
)
DOMAIN_COUNT = 20_000
# Insults, vulgar and sexual words: a government kiosk must not suggest them (意淫 would be
# among the first candidates for "yiyi", 淫威 for "yinwei", 遗精 for "yijing"). Their
# characters stay typeable one by one. Legal words (强奸) and complaints' words (骚扰) stay;
# every word with 淫 goes (卖淫 and 淫秽 included: no resident needs them suggested here).
UNSUGGESTED_WORDS = frozenset(
    {
        "婊子", "骚货", "王八", "王八蛋", "王八羔子", "杂种", "贱骨头", "撒骚放屁",
        "他妈的", "鸡巴", "狗日", "那狗日", "狗娘养的", "草泥马", "尼玛", "操蛋", "屁眼",
        "奶子", "贱人", "贱货", "下贱", "犯贱", "混蛋", "浑蛋", "傻蛋", "笨蛋", "滚蛋",
        "蠢货", "蠢驴", "蠢材", "蠢才", "蠢猪", "蠢蛋", "畜生", "畜牲", "孽畜", "白痴",
        "傻子", "傻冒", "傻帽儿", "傻狗", "狗屁", "放屁", "臭屁", "屁话", "狗屁不通",
        "混账", "龟儿子", "找死", "滚开", "狗贼", "老不死", "死鬼", "怕死鬼", "废物",
        "闷骚", "鬼畜", "男妓", "奸夫", "遗精", "性交", "做爱", "春药",
    }
)  # fmt: skip
# ...and any word containing one of these.
UNSUGGESTED_PARTS = ("淫", "婊", "屌", "嫖", "裸聊", "他妈", "鸡巴", "狗日", "王八", "杂种")

# Where pypinyin's phrase dictionary is wrong for a word that matters here: 还款 is huán kuǎn
# (pypinyin 0.55.0 says hái kuǎn).
READING_FIXES = {"还款": ("huan", "kuan")}
# A character's reading other than pypinyin's choice, in a word whose reading pypinyin's
# phrase dictionary does not settle, needs this share of the character's settled uses.
MIN_OTHER_READING_SHARE = 0.1
PARTICLES = frozenset("的得了着")

LEVEL_ONE = 1  # GB2312 level one: the 3,755 characters of everyday writing
SEPARATOR = "'"


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


def read_jieba(lines: Iterable[str]) -> dict[str, tuple[int, str]]:
    """jieba's ``dict.txt`` lines ("word count tag") -> word: (count, tag)."""
    words: dict[str, tuple[int, str]] = {}
    for line in lines:
        word, count, tag = line.split()
        words[word] = (int(count), tag)
    return words


def suggestible(word: str) -> bool:
    """Whether ``word`` may be offered at all (no insult, nothing vulgar)."""
    return word not in UNSUGGESTED_WORDS and not any(part in word for part in UNSUGGESTED_PARTS)


def kept(word: str, count: int, tag: str) -> bool:
    """Whether a jieba word of two or more characters becomes a candidate (see MIN_COUNT)."""
    if not 2 <= len(word) <= MAX_WORD_LENGTH or not suggestible(word):
        return False
    if tag in NAME_TAGS:
        return count >= MIN_NAME_COUNT
    if tag in NUMBER_TAGS:
        return count >= MIN_NUMBER_COUNT
    return count >= MIN_COUNT or (len(word) == 2 and count >= LISTED_COUNT)


Reader = Callable[[str], list[list[str]]]  # word -> the readings of each character


def character_readings(
    word: str, characters: Mapping[str, list[str]], read: Reader
) -> list[tuple[str, ...]] | None:
    """The typed readings pypinyin gives each character of ``word``, its choice first.

    ``read`` is pypinyin's reading of the whole word with every reading of a character that
    its phrase dictionary does not settle (银行 is yin'hang; 绿色 lv or lu, se or shai). Only
    readings of the character's own list are kept; None if a character has none left (乐亭:
    lao'ting, a reading the character list lacks) or is no GB2312 character.
    """
    if word in READING_FIXES:
        return [(syllable,) for syllable in READING_FIXES[word]]
    if not all(char in characters for char in word):
        return None
    found = read(word)
    if len(found) != len(word):
        return None
    readings: list[tuple[str, ...]] = []
    for char, options in zip(word, found, strict=True):
        typed = [NO_VOWEL_TYPED_AS.get(option, option) for option in options]
        known = tuple(dict.fromkeys(s for s in typed if s in characters[char]))
        if not known:
            return None
        readings.append(known)
    return readings


def word_keys(
    word: str,
    readings: Sequence[tuple[str, ...]],
    settled: Mapping[tuple[str, str], int],
) -> list[tuple[tuple[str, ...], float]]:
    """The syllables ``word`` is filed under, each with the share of its count it gets.

    pypinyin's choice gets the whole count. Where its phrase dictionary did not settle a
    character (最长: zhang or chang?), another reading gets the share that reading has among
    the settled occurrences of the character (``settled``: count by character and reading),
    if that is at least MIN_OTHER_READING_SHARE: 最长 is also zui'chang, with 0.42 of the count.
    The particles 的 得 了 着 ending a word keep their particle reading (真的 is not zhen'di).
    """
    keys: list[tuple[tuple[str, ...], float]] = [((), 1.0)]
    for position, (char, options) in enumerate(zip(word, readings, strict=True)):
        shares = {options[0]: 1.0}
        particle = position == len(word) - 1 and char in PARTICLES
        uses = {option: settled.get((char, option), 0) for option in options}
        total = sum(uses.values())
        if len(options) > 1 and total and not particle:
            for option in options[1:]:
                if (share := uses[option] / total) >= MIN_OTHER_READING_SHARE:
                    shares[option] = share
        keys = [
            ((*syllables, option), weight * share)
            for syllables, weight in keys
            for option, share in shares.items()
            if weight * share >= MIN_OTHER_READING_SHARE
        ]
    return keys


def ranked(entries: Mapping[str, int], limit: int | None = None) -> str:
    """``text:score`` items, best first (ties: GB2312 level one first, then code point order)."""
    order = sorted(entries.items(), key=lambda item: (-item[1], _level_rank(item[0]), item[0]))
    return " ".join(f"{text}:{score}" for text, score in order[:limit])


def _level_rank(text: str) -> int:
    return 0 if all(gb2312_level(char) == LEVEL_ONE for char in text) else 1


def build_body(
    pinyin_dict: Mapping[int, str], jieba_words: Mapping[str, tuple[int, str]], read: Reader
) -> list[str]:
    """The table's lines (without the header): characters, then words, sorted by key."""
    characters = gb2312_characters(pinyin_dict)
    counts = {word: count for word, (count, tag) in jieba_words.items() if kept(word, count, tag)}
    for word, count in ADDED_WORDS.items():
        counts[word] = max(count, counts.get(word, 0))
    for word in DOMAIN_WORDS:
        counts[word] = max(DOMAIN_COUNT, counts.get(word, 0))

    readings: dict[str, list[tuple[str, ...]]] = {}
    settled: collections.Counter[tuple[str, str]] = collections.Counter()
    for word, count in counts.items():
        found = character_readings(word, characters, read)
        if found is not None:
            readings[word] = found
            for char, options in zip(word, found, strict=True):
                if len(options) == 1:
                    settled[char, options[0]] += count

    by_syllables: dict[str, dict[str, int]] = collections.defaultdict(dict)
    inside: collections.Counter[tuple[str, str]] = collections.Counter()
    for word, found in readings.items():
        keys = word_keys(word, found, settled)
        for syllables, share in keys:
            if (count := round(counts[word] * share)) > 0:
                by_syllables[SEPARATOR.join(syllables)][word] = count
        for pair in zip(word, keys[0][0], strict=True):  # pypinyin's choice only
            inside[pair] += counts[word]

    by_syllable: dict[str, dict[str, int]] = collections.defaultdict(dict)
    for char, char_readings in characters.items():
        alone = jieba_words.get(char, (0, ""))[0]
        for syllable in char_readings:
            # Standing alone, a character is counted under its main reading (了 as "le").
            standalone = alone if syllable == char_readings[0] else 0
            by_syllable[syllable][char] = standalone + inside[char, syllable] // INSIDE_DIVISOR

    lines = [f"{key}\t{ranked(by_syllable[key])}" for key in sorted(by_syllable)]
    lines += [
        f"{key}\t{ranked(by_syllables[key], MAX_WORDS_PER_KEY)}" for key in sorted(by_syllables)
    ]
    return lines


def digest(data: bytes) -> str:
    """SHA-256 of ``data``, hex."""
    return hashlib.sha256(data).hexdigest()


def script_digest() -> str:
    """Digest of this script, whose rules make the table (line endings normalised)."""
    return digest(SCRIPT.read_bytes().replace(b"\r\n", b"\n"))


def lines_digest(lines: Iterable[str]) -> str:
    """Digest of a table's lines (without line ends)."""
    return digest("\n".join(lines).encode("utf-8"))


def body_digest(table: str) -> str:
    """Digest of a table's lines that are not comments: what a hand edit would change."""
    return lines_digest(line for line in table.splitlines() if not line.startswith("#"))


def header_fields(table: str) -> dict[str, str]:
    """The ``# name: value`` fields of a table's header (sources, versions, digests)."""
    fields: dict[str, str] = {}
    for line in table.splitlines():
        if not line.startswith("#"):
            break
        name, colon, value = line[1:].partition(":")
        if colon and name.strip().isidentifier():
            fields[name.strip()] = value.strip()
    return fields


def build_table(
    pinyin_dict: Mapping[int, str],
    jieba_words: Mapping[str, tuple[int, str]],
    read: Reader,
    sources: Mapping[str, str],
) -> str:
    """The whole table file: a header naming ``sources`` and digests, then the lines."""
    body = build_body(pinyin_dict, jieba_words, read)
    header = [
        "# Pinyin input table of ui.widgets.pinyin_ime, generated by tools/build_ime_table.py from",
        "# pypinyin's readings and jieba's word counts (both MIT, see README.md). Do not edit.",
        "# Line: syllables joined by ', a tab, then candidate:score items, best first.",
        "# One syllable: GB2312 characters; several: words. Scores: jieba counts (see README).",
        *(f"# {name}: {value}" for name, value in sources.items()),
        f"# script_sha256: {script_digest()}",
        f"# body_sha256: {lines_digest(body)}",
    ]
    return "\n".join(header + body) + "\n"


def jieba_dictionary() -> Path | None:
    """The installed jieba's ``dict.txt``, or None without jieba (it is not imported)."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "dict.txt"


def generate() -> str:
    """The table from the installed pypinyin and jieba; SystemExit if jieba is missing."""
    dictionary = jieba_dictionary()
    if dictionary is None or not dictionary.is_file():
        raise SystemExit(
            "jieba is needed to build the pinyin table (build time only, not by the kiosk):\n"
            "    .venv/bin/pip install jieba"
        )
    # Imported here: they take most of a second and 50 MB, which only this script pays.
    from pypinyin import Style, pinyin
    from pypinyin.pinyin_dict import pinyin_dict

    from tools.build_voice_phrases import full_phrases

    full_phrases()  # not the kiosk's lean pypinyin: the words' readings need the whole dictionary

    def read(word: str) -> list[list[str]]:
        return pinyin(word, style=Style.NORMAL, heteronym=True, errors="ignore")

    raw = dictionary.read_bytes()
    jieba_words = read_jieba(raw.decode("utf-8").splitlines())
    sources = {
        "pypinyin": metadata.version("pypinyin"),
        "jieba": metadata.version("jieba"),
        "jieba_dict_sha256": digest(raw),
    }
    return build_table(pinyin_dict, jieba_words, read, sources)


def main(argv: list[str] | None = None) -> int:
    """Write the table, or with ``--check`` compare it with the committed one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    return write_or_check(
        TABLE, generate(), check=args.check, command="python -m tools.build_ime_table"
    )


if __name__ == "__main__":
    sys.exit(main())
