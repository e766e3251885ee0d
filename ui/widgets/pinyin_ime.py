"""Pinyin input for the on-screen keyboard: typed letters -> ranked Chinese candidates.

Pure Python and read-only: the table ``assets/ime/pinyin_table.txt`` (made by
``tools/build_ime_table.py`` from pypinyin's readings and jieba's word counts) is read once, on
first use, and nothing is ever written (no learning file: residents' words must not outlive
the session).

Letters are read as syllables ("xinyong" -> xin'yong; "v" is ü, so "lv" -> 绿); the last one
may be unfinished ("xiny" already offers 信用). Candidates come in this order: a guess at the
sentence when the letters make several words ("wobushi" -> 我不是), dictionary words for all
the letters, words for the leading syllables, then characters of the first syllable. Each
says how many letters it replaces; the rest stay in the composition.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
from collections.abc import Iterable
from pathlib import Path

from kiosk import assets

log = logging.getLogger(__name__)

TABLE_PATH = assets.ASSETS_DIR / "ime" / "pinyin_table.txt"
SEPARATOR = "'"  # between the syllables of a table key, and of ``spell``'s display
LONGEST_SYLLABLE = 6  # "zhuang", "chuang", "shuang"
MAX_READINGS = 8  # ways to split ambiguous letters considered ("xian": xian; "xinan": 2 ways)
# Common misspellings of ü that other input methods also accept.
SYLLABLE_ALIASES = {"lue": "lve", "nue": "nve"}
# The sentence guess: the split of the syllables into table words and characters whose
# scores, taken as counts out of COUNT_TOTAL, make the likeliest text ("wode": 我 and 的 are
# likelier together than the rare word 卧得). Each piece costs a further PIECE_FACTOR, so that
# fewer, longer pieces win ("meishi": 美食 rather than 没 and 是).
COUNT_TOTAL = 60_000_000  # about the sum of jieba's counts, which the scores are
PIECE_FACTOR = 0.1
PIECE_COST = math.log(COUNT_TOTAL / PIECE_FACTOR)
LONGEST_WORD = 5  # syllables: the table's longest words


@dataclasses.dataclass(frozen=True, slots=True)
class Candidate:
    """A choice for the letters typed: ``text`` replaces the first ``consumed`` letters."""

    text: str
    consumed: int


@dataclasses.dataclass(frozen=True, slots=True)
class _Word:
    text: str
    score: int
    exact: bool  # the last syllable was typed whole (not merely begun)
    reading: tuple[str, ...]  # the syllables it was found for


class _Table:
    """The table file: for each key, its candidates with their scores.

    A key is one syllable (its GB2312 characters) or syllables joined by ``SEPARATOR`` (words).
    The file lists the syllables first, then the words sorted by key, as
    ``tools/build_ime_table.py`` writes it. The few hundred syllable lines are split at once;
    a word's line is found by bisecting the text of the rest, which is kept as one string.
    Loading splits none of the 90,000 lines of words and the table takes about the memory of
    its file.
    """

    def __init__(
        self, syllable_lines: dict[str, str], text: str = "", words_start: int = 0
    ) -> None:
        self._syllable_lines = syllable_lines
        self._text = text  # the file's text: its lines of words start at words_start
        self._words_start = words_start
        self.syllables = frozenset(syllable_lines)
        # Every beginning of a syllable ("z", "zh", "zhu"...) -> the syllables it can become.
        starts: dict[str, list[str]] = {}
        for syllable in sorted(self.syllables):
            for end in range(1, len(syllable) + 1):
                starts.setdefault(syllable[:end], []).append(syllable)
        self.completions = {start: tuple(found) for start, found in starts.items()}

    @classmethod
    def parse(cls, text: str) -> _Table:
        """Read the file's text; raises ValueError if a line is not ``key<TAB>items``.

        Lines starting with "#" at the top are comments. The text is kept, not copied.
        """
        start = 0
        while text.startswith("#", start):
            start = text.find("\n", start) + 1 or len(text)
        lines = text.count("\n", start) + (start < len(text) and not text.endswith("\n"))
        if text.count("\t", start) != lines:
            raise ValueError("a pinyin table line is not 'key<TAB>items'")
        first_word = text.find(SEPARATOR, start)
        words_start = text.rfind("\n", 0, first_word) + 1 if first_word >= 0 else len(text)
        syllable_lines: dict[str, str] = {}
        for line in text[start:words_start].splitlines():
            key, _, items = line.partition("\t")
            if not key or not items:
                raise ValueError(f"pinyin table line {line!r} is not 'key<TAB>items'")
            syllable_lines[key] = items
        return cls(syllable_lines, text, words_start)

    def _items(self, key: str) -> str | None:
        """The items of ``key``'s line, or None if there is none."""
        if SEPARATOR not in key:
            return self._syllable_lines.get(key)
        text = self._text
        low, high = self._words_start, len(text)  # line starts: the line sought is in between
        while low < high:
            newline = text.rfind("\n", low, (low + high) // 2)
            start = newline + 1 if newline >= 0 else low  # the line around the middle
            tab = text.find("\t", start)
            end = text.find("\n", tab) % (len(text) + 1)  # -1 (the last line unended): the end
            found = text[start:tab]
            if found == key:
                return text[tab + 1 : end]
            if found < key:
                low = end + 1
            else:
                high = start
        return None

    def entries(self, syllables: Iterable[str]) -> list[tuple[str, int]]:
        """Candidates of exactly these complete syllables, best first."""
        items = self._items(SEPARATOR.join(syllables))
        if items is None:
            return []
        entries = []
        for item in items.split(" "):
            text, _, score = item.rpartition(":")
            entries.append((text, int(score)))
        return entries

    def best(self, syllables: Iterable[str]) -> tuple[str, int] | None:
        """The first candidate of exactly these complete syllables, if any."""
        items = self._items(SEPARATOR.join(syllables))
        if items is None:
            return None
        text, _, score = items.partition(" ")[0].rpartition(":")
        return text, int(score)

    def is_syllable(self, letters: str) -> bool:
        """Whether ``letters`` are one whole syllable."""
        return letters in self.syllables or letters in SYLLABLE_ALIASES

    def can_begin_syllable(self, letters: str) -> bool:
        """Whether ``letters`` are a syllable or the beginning of one."""
        return letters in self.completions or letters in SYLLABLE_ALIASES


class PinyinIme:
    """Candidate lookup. Cheap to create; the table is read on first use or by ``load``."""

    def __init__(self, table_path: Path = TABLE_PATH) -> None:
        self._table_path = table_path
        self._table: _Table | None = None
        self._lock = threading.Lock()  # held while reading the table
        self._loader: threading.Thread | None = None
        self._loader_lock = threading.Lock()  # never held long: the GUI thread takes it

    @property
    def loaded(self) -> bool:
        """Whether the table has been read (a lookup will not wait for the disk)."""
        return self._table is not None

    def load(self) -> None:
        """Read the table if not done yet. Safe from any thread; later calls return at once.

        A missing or damaged table is logged and leaves the input method without candidates
        (the keyboard still types letters) rather than failing every keystroke.
        """
        with self._lock:
            if self._table is not None:
                return
            try:
                with self._table_path.open(encoding="utf-8") as table_file:
                    self._table = _Table.parse(table_file.read())
            except (OSError, UnicodeDecodeError, ValueError):
                log.exception("pinyin table %s unreadable: no Chinese candidates", self._table_path)
                self._table = _Table({})

    def load_in_background(self) -> None:
        """Start reading the table on a background thread (one at most), unless it is read.

        Returns at once; ``loaded`` tells when the table is there.
        """
        with self._loader_lock:
            if self._table is None and self._loader is None:
                self._loader = threading.Thread(target=self.load, name="pinyin-table", daemon=True)
                self._loader.start()

    def candidates(self, letters: str, limit: int = 60) -> list[str]:
        """Texts of ``lookup``: the best first, at most ``limit``."""
        return [candidate.text for candidate in self.lookup(letters, limit)]

    def lookup(self, letters: str, limit: int = 60) -> list[Candidate]:
        """Candidates for ``letters`` (a-z, "v" for ü), best first, at most ``limit``.

        Letters that make no pinyin give an empty list; if only their beginning does
        ("wovvv"), the candidates are for that beginning.
        """
        reading = self._read(letters)
        if reading is None:
            return []
        table, best, words, sentence = reading
        found: dict[str, Candidate] = {}

        def offer(texts: Iterable[str], consumed: int) -> None:
            for text in texts:
                found.setdefault(text, Candidate(text, consumed))

        if sentence is not None:
            offer([sentence], len(letters))
        offer((word.text for word in words), _length(best))
        # Words for the leading syllables: 信用 for "xinyongbaogao", the rest stays.
        for count in range(len(best) - 1, 1, -1):
            leading = best[:count]
            offer((text for text, _ in table.entries(map(_key, leading))), _length(leading))
        offer(_characters(table, best[0]), len(best[0]))
        return list(found.values())[:limit]

    def spell(self, letters: str) -> str:
        """``letters`` as syllables for display: "xinyong" -> "xin'yong", "wovvv" -> "wo'vvv"."""
        reading = self._read(letters)
        if reading is None:
            return letters
        _, best, _, _ = reading
        tail = letters[_length(best) :]
        return SEPARATOR.join([*best, tail] if tail else best)

    def _read(self, letters: str) -> tuple[_Table, tuple[str, ...], list[_Word], str | None] | None:
        """The table, the best split of ``letters`` into syllables, the words for all of it
        and the sentence guess (None unless the letters are whole syllables of several pieces).

        None for letters that are no pinyin at all. The best split is the one that gave the
        best word ("xinan": xi'nan, 西南), else the one with the longest first syllable.
        """
        letters = letters.lower()
        if not letters or not letters.isascii() or not letters.isalpha():
            return None
        table = self._loaded_table()
        readings, whole = _readings(table, letters)
        if not readings:
            return None
        words: list[_Word] = []
        sentence = None
        if len(readings[0]) > 1:
            # Every split of the letters (fan'gan and fang'an), ranked together.
            words = [word for reading in readings for word in _words(table, reading, whole)]
            words.sort(key=lambda word: (not word.exact, -word.score))
            guess = _sentence(table, readings) if whole else None
            # Offered if likelier than every word (信用 stays first for "xinyo", not 新哟).
            top = max((word.score for word in words), default=0)
            if guess is not None and (not words or guess[0] > math.log(max(top, 1)) - PIECE_COST):
                sentence = guess[1]
        return table, words[0].reading if words else readings[0], words, sentence

    def _loaded_table(self) -> _Table:
        self.load()
        assert self._table is not None  # load() always sets it
        return self._table


def _key(syllable: str) -> str:
    return SYLLABLE_ALIASES.get(syllable, syllable)


def _length(syllables: Iterable[str]) -> int:
    return sum(len(syllable) for syllable in syllables)


def _readings(table: _Table, letters: str) -> tuple[list[tuple[str, ...]], bool]:
    """Ways to read ``letters`` as syllables, and whether they read all of the letters.

    If all the letters cannot be read, the longest beginning that makes whole syllables is.
    """
    readings = _split(table, letters, partial_last=True)
    if readings:
        return readings, True
    for end in range(len(letters) - 1, 0, -1):
        readings = _split(table, letters[:end], partial_last=False)
        if readings:
            return readings, False
    return [], False


def _split(table: _Table, letters: str, *, partial_last: bool) -> list[tuple[str, ...]]:
    """The splits of ``letters`` into the fewest syllables, longest first syllable first.

    Every syllable is whole, except that with ``partial_last`` the last may be begun only.
    """
    size = len(letters)
    unreadable = size + 1  # more syllables than letters: no way
    # fewest[i]: the fewest syllables that read letters[i:].
    fewest = [unreadable] * size + [0]

    def fits(start: int, end: int) -> bool:
        piece = letters[start:end]
        if end == size and partial_last:
            return table.can_begin_syllable(piece)
        return table.is_syllable(piece)

    def ends(start: int) -> range:
        return range(min(size, start + LONGEST_SYLLABLE), start, -1)  # longest piece first

    for start in range(size - 1, -1, -1):
        fewest[start] = min(
            (fewest[end] + 1 for end in ends(start) if fits(start, end)), default=unreadable
        )

    readings: list[tuple[str, ...]] = []

    def collect(start: int, taken: tuple[str, ...]) -> None:
        if start == size:
            readings.append(taken)
            return
        for end in ends(start):
            fewest_way = fewest[end] == fewest[start] - 1
            if fewest_way and fits(start, end) and len(readings) < MAX_READINGS:
                collect(end, (*taken, letters[start:end]))

    if fewest[0] < unreadable:
        collect(0, ())
    return readings


def _words(table: _Table, reading: tuple[str, ...], partial_last: bool) -> list[_Word]:
    """Dictionary words for the syllables of ``reading``; the last may be begun only."""
    *leading, last = (_key(syllable) for syllable in reading)
    endings = _completions(table, last) if partial_last else (last,)
    return [
        _Word(text, score, ending == last, reading)
        for ending in endings
        for text, score in table.entries([*leading, ending])
    ]


def _sentence(table: _Table, readings: Iterable[tuple[str, ...]]) -> tuple[float, str] | None:
    """The likeliest text of several pieces for ``readings``, and its log likelihood.

    Pieces are table words and characters. None if the likeliest is a single word (it is a
    candidate anyway) or the last syllable is unfinished in every reading.
    """
    best: tuple[float, str, int] | None = None
    for reading in readings:
        if not table.is_syllable(reading[-1]):
            continue  # what it becomes is still being typed
        keys = [_key(syllable) for syllable in reading]
        # ends[i]: the likeliest (log likelihood, text, pieces) for the first i syllables.
        ends: list[tuple[float, str, int] | None] = [(0.0, "", 0)] + [None] * len(keys)
        for end in range(1, len(keys) + 1):
            for start in range(max(0, end - LONGEST_WORD), end):
                before = ends[start]
                piece = table.best(keys[start:end]) if before is not None else None
                if before is None or piece is None:
                    continue
                likelihood = before[0] + math.log(max(piece[1], 1)) - PIECE_COST
                current = ends[end]
                if current is None or likelihood > current[0]:
                    ends[end] = (likelihood, before[1] + piece[0], before[2] + 1)
        found = ends[-1]
        if found is not None and (best is None or found[0] > best[0]):
            best = found
    return (best[0], best[1]) if best is not None and best[2] > 1 else None


def _characters(table: _Table, syllable: str) -> list[str]:
    """Characters of ``syllable``: its own if it is whole, else those of all it can begin."""
    if table.is_syllable(syllable):
        return [text for text, _ in table.entries([_key(syllable)])]
    scored = [
        (score, text)
        for ending in _completions(table, syllable)
        for text, score in table.entries([ending])
    ]
    scored.sort(key=lambda item: -item[0])
    return [text for _, text in scored]


def _completions(table: _Table, begun: str) -> tuple[str, ...]:
    """The syllables that typed ``begun`` can become, itself first if it is one."""
    found = table.completions.get(begun, ())
    whole = (begun,) if table.is_syllable(begun) else ()
    return whole + tuple(syllable for syllable in found if syllable != begun)


_shared = PinyinIme()


def shared_ime() -> PinyinIme:
    """The process's input method: every keyboard shares one table, read once."""
    return _shared
