"""The pinyin input method: common words first, syllables split, ü typed as v, nonsense
harmless, only GB2312 characters, a table read once (from any thread) and kept up to date."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk import pinyin_ime
from kiosk.pinyin_ime import PinyinIme


@pytest.fixture(scope="module")
def ime() -> PinyinIme:
    ime = PinyinIme()
    ime.load()
    return ime


def is_gb2312(text: str) -> bool:
    try:
        encoded = text.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(encoded) == 2 * len(text)  # no ASCII slipped in either


def test_a_common_character_comes_first(ime: PinyinIme) -> None:
    assert ime.candidates("wo")[0] == "我"
    assert ime.candidates("ni")[0] == "你"
    assert ime.candidates("de")[0] == "的"


def test_the_commonest_readings_of_shi_are_on_the_first_page(ime: PinyinIme) -> None:
    first_page = ime.candidates("shi")[:8]
    assert first_page[0] == "是"
    assert {"是", "时", "事"} <= set(first_page)


def test_a_whole_word_comes_first(ime: PinyinIme) -> None:
    assert ime.candidates("xinyong")[0] == "信用"
    assert ime.candidates("zhongguo")[0] == "中国"
    assert ime.candidates("keyi")[0] == "可以"


def test_a_word_replaces_all_the_letters_a_character_only_its_syllable(ime: PinyinIme) -> None:
    found = {candidate.text: candidate.consumed for candidate in ime.lookup("xinyong")}
    assert found["信用"] == len("xinyong")
    assert found["信"] == len("xin")
    assert "用" not in found  # the second syllable's characters come after 信 is chosen


def test_the_last_syllable_may_be_unfinished(ime: PinyinIme) -> None:
    assert ime.candidates("xiny")[0] == "信用"
    assert ime.candidates("xinyo")[0] == "信用"  # "yo" is a syllable, and begins "yong"
    assert ime.lookup("xiny")[0].consumed == 4


def test_a_single_unfinished_syllable_offers_what_it_can_become(ime: PinyinIme) -> None:
    first_page = ime.candidates("zh")[:8]
    assert "这" in first_page and "中" in first_page
    assert all(candidate.consumed == 2 for candidate in ime.lookup("zh"))


def test_letters_without_a_whole_word_are_converted_a_syllable_at_a_time(
    ime: PinyinIme,
) -> None:
    first = ime.lookup("woyao")[0]
    assert (first.text, first.consumed) == ("我", 2)
    assert ime.candidates("yao")[0] == "要"


def test_a_word_for_the_leading_syllables_leaves_the_rest(ime: PinyinIme) -> None:
    first = ime.lookup("xinyongbaogao")[0]
    assert (first.text, first.consumed) == ("信用", len("xinyong"))


def test_ambiguous_letters_offer_the_split_that_makes_a_word(ime: PinyinIme) -> None:
    # "xinan" reads as xin'an or xi'nan; only the second is a word.
    assert ime.candidates("xinan")[0] == "西南"
    assert ime.spell("xinan") == "xi'nan"


def test_v_types_u_umlaut(ime: PinyinIme) -> None:
    assert "绿" in ime.candidates("lv")[:3]
    assert ime.candidates("nv")[0] == "女"
    assert "略" in ime.candidates("lve")[:3]
    assert "略" in ime.candidates("lue")[:3]  # the spelling most people type


def test_a_character_read_only_as_a_consonant_is_typed_as_others_type_it(
    ime: PinyinIme,
) -> None:
    assert ime.candidates("en")[0] == "嗯"  # pypinyin reads it "ń"/"ňg" only
    assert ime.spell("xian") == "xian"  # and "n" is no syllable of its own: not xia'n


def test_letters_are_spelled_as_syllables(ime: PinyinIme) -> None:
    assert ime.spell("xinyong") == "xin'yong"
    assert ime.spell("xiny") == "xin'y"
    assert ime.spell("xian") == "xian"  # one syllable, not xi'an
    assert ime.spell("wo") == "wo"


@pytest.mark.parametrize("letters", ["", "vvv", "iii", "qqqq", "u", "xin yong", "123", "信用"])
def test_nonsense_gives_no_candidates(ime: PinyinIme, letters: str) -> None:
    assert ime.lookup(letters) == []


def test_only_the_readable_beginning_of_the_letters_is_converted(ime: PinyinIme) -> None:
    found = ime.lookup("wovvv")
    assert found and found[0].text == "我"
    assert {candidate.consumed for candidate in found} == {2}
    assert ime.spell("wovvv") == "wo'vvv"


def test_upper_case_letters_are_read_as_lower_case(ime: PinyinIme) -> None:
    assert ime.candidates("XinYong") == ime.candidates("xinyong")


def test_the_limit_is_kept(ime: PinyinIme) -> None:
    assert len(ime.candidates("shi", limit=5)) == 5
    assert len(ime.candidates("shi", limit=200)) > 60  # plenty of characters to page through


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", max_size=14))
def test_any_letters_give_gb2312_candidates_that_consume_some_of_them(letters: str) -> None:
    ime = pinyin_ime.shared_ime()
    for candidate in ime.lookup(letters):
        assert is_gb2312(candidate.text), candidate
        assert 1 <= candidate.consumed <= len(letters)
    texts = ime.candidates(letters)
    assert len(texts) == len(set(texts))  # each candidate once


def test_every_candidate_in_the_table_is_gb2312() -> None:
    text = pinyin_ime.TABLE_PATH.read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if not line.startswith("#")]
    assert len(rows) > 30_000
    for key, items in rows:
        assert key.replace("'", "").isalpha() and key.isascii(), key
        for item in items.split(" "):
            candidate, _, score = item.rpartition(":")
            assert is_gb2312(candidate) and score.isdigit(), (key, item)


def test_the_committed_table_is_what_the_script_generates() -> None:
    """After a pypinyin upgrade or a ranking change: python -m tools.build_ime_table."""
    from tools import build_ime_table

    assert build_ime_table.generate() == pinyin_ime.TABLE_PATH.read_text(encoding="utf-8")


def test_the_table_is_read_on_first_use_only() -> None:
    ime = PinyinIme()
    assert not ime.loaded
    assert ime.candidates("wo")[0] == "我"
    assert ime.loaded


def test_lookups_from_many_threads_read_the_table_once(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    original = Path.open

    def counting_open(path: Path, *args: Any, **kwargs: Any) -> Any:
        if path == pinyin_ime.TABLE_PATH:
            reads.append(threading.current_thread().name)
        return original(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counting_open)
    ime = PinyinIme()
    results: list[list[str]] = []
    threads = [
        threading.Thread(target=lambda: results.append(ime.candidates("xinyong"))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reads) == 1
    assert len(results) == 8 and all(result[0] == "信用" for result in results)


def test_loading_in_the_background_returns_at_once_and_finishes() -> None:
    ime = PinyinIme()
    ime.load_in_background()
    ime.load_in_background()  # a second call starts no second reader
    deadline = time.monotonic() + 10
    while not ime.loaded and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ime.loaded
    assert ime.candidates("wo")[0] == "我"


def test_a_missing_table_leaves_no_candidates_and_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ime = PinyinIme(tmp_path / "missing.txt")
    with caplog.at_level(logging.ERROR, logger="kiosk.pinyin_ime"):
        assert ime.candidates("wo") == []
    assert "missing.txt" in caplog.text
    assert ime.loaded  # not tried again at every key


def test_a_damaged_table_leaves_no_candidates(tmp_path: Path) -> None:
    damaged = tmp_path / "table.txt"
    damaged.write_text("wo 我:1\n", encoding="utf-8")  # no tab
    assert PinyinIme(damaged).candidates("wo") == []


def test_reading_the_table_does_not_import_pypinyin() -> None:
    """pypinyin's own dictionaries cost 0.7 s and 50 MB: the kiosk reads the small table."""
    probe = (
        "import sys\n"
        "from kiosk.pinyin_ime import PinyinIme\n"
        "assert PinyinIme().candidates('wo')[0] == '我'\n"
        "print(sorted(name for name in sys.modules if name.startswith('pypinyin')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
