"""The pinyin input method: common words first, syllables split, ü typed as v, nonsense
harmless, only GB2312 characters, a table read once (from any thread) and kept up to date."""

from __future__ import annotations

import importlib.util
import logging
import subprocess
import sys
import threading
import time
import tracemalloc
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import generated
from tools import build_ime_table
from ui.widgets import pinyin_ime
from ui.widgets.pinyin_ime import PinyinIme

FIRST_PAGE = 8  # candidates on the keyboard's first page (its MAX_CANDIDATES_PER_PAGE)


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


@pytest.mark.parametrize(
    ("letters", "word"),
    [
        ("shenqing", "申请"),
        ("cuowu", "错误"),
        ("jilu", "记录"),
        ("fakuan", "罚款"),
        ("yijing", "已经"),
        ("xinyong", "信用"),
        ("women", "我们"),
        ("meiyou", "没有"),
        ("bushi", "不是"),
        ("yinhang", "银行"),
        ("haishi", "还是"),
        ("buzhidao", "不知道"),  # not in jieba's dictionary: added by the build script
        ("weixin", "微信"),  # likewise, and before 威信
    ],
)
def test_everyday_words_come_first(ime: PinyinIme, letters: str, word: str) -> None:
    """Ranked by real word counts: 申请 was missing while the table had phrase counts only."""
    first = ime.lookup(letters)[0]
    assert (first.text, first.consumed) == (word, len(letters))


def test_words_that_sound_alike_are_all_on_the_first_page(ime: PinyinIme) -> None:
    assert {"异议", "意义"} <= set(ime.candidates("yiyi")[:FIRST_PAGE])
    assert "缴清" in ime.candidates("jiaoqing")[:FIRST_PAGE]
    assert "意淫" not in ime.candidates("yiyi")  # never suggested, however it is typed


@pytest.mark.parametrize(
    ("letters", "word"),
    [("yuqi", "逾期"), ("tongzhi", "通知"), ("shoudao", "收到"), ("fuyi", "复议")],
)
def test_the_kiosks_own_words_come_before_their_homophones(
    ime: PinyinIme, letters: str, word: str
) -> None:
    """预期, 统治, 受到, 服役 are commoner in news and novels, not in a credit dispute."""
    assert ime.candidates(letters)[0] == word


def test_words_are_filed_under_the_readings_their_characters_have_there(
    ime: PinyinIme,
) -> None:
    assert ime.candidates("huankuan")[0] == "还款"  # pypinyin's phrase data says hai'kuan
    assert "最长" in ime.candidates("zuichang")[:FIRST_PAGE]  # 长: chang here, not zhang
    assert ime.candidates("zhendi")[:1] != ["真的"]  # a particle: 真的 is zhen'de only


def test_a_sentence_guess_comes_first_when_the_letters_make_several_words(
    ime: PinyinIme,
) -> None:
    first = ime.lookup("wobushi")[0]
    assert (first.text, first.consumed) in {("我不是", 7), ("我", 2)}
    assert ime.candidates("wode")[0] == "我的"  # not the rare word 卧得
    assert ime.candidates("xinyongbaogao")[0] == "信用报告"
    assert ime.candidates("shenqingfuyi")[0] == "申请复议"


def test_no_sentence_is_guessed_while_the_last_syllable_is_unfinished(ime: PinyinIme) -> None:
    assert ime.candidates("xinyo")[0] == "信用"  # not 新 + 哟
    assert ime.candidates("wobush")[0] != "我不是"


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


def test_letters_without_a_whole_word_are_also_converted_a_syllable_at_a_time(
    ime: PinyinIme,
) -> None:
    found = [(candidate.text, candidate.consumed) for candidate in ime.lookup("woyao")]
    assert found[0] == ("我要", 5)  # the sentence guess
    assert found[1] == ("我", 2)  # then the first syllable's characters
    assert ime.candidates("yao")[0] == "要"


def test_a_word_for_the_leading_syllables_leaves_the_rest(ime: PinyinIme) -> None:
    second = ime.lookup("xinyongbaogao")[1]  # after the sentence guess 信用报告
    assert (second.text, second.consumed) == ("信用", len("xinyong"))


def test_ambiguous_letters_offer_the_split_that_makes_a_word(ime: PinyinIme) -> None:
    # "xinan" reads as xin'an or xi'nan; only the second is a word.
    assert ime.candidates("xinan")[0] == "西南"
    assert ime.spell("xinan") == "xi'nan"


def test_v_types_u_umlaut(ime: PinyinIme) -> None:
    assert "绿" in ime.candidates("lv")[:FIRST_PAGE]  # after 律 率 旅, commoner in writing
    assert ime.candidates("nv")[0] == "女"
    assert "略" in ime.candidates("lve")[:3]
    assert "略" in ime.candidates("lue")[:3]  # the spelling most people type


def test_a_character_read_only_as_a_consonant_is_typed_as_others_type_it(
    ime: PinyinIme,
) -> None:
    assert "嗯" in ime.candidates("en")[:2]  # pypinyin reads it "ń"/"ňg" only
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


def table_rows() -> list[tuple[str, str]]:
    text = pinyin_ime.TABLE_PATH.read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if not line.startswith("#")]
    return [(key, items) for key, items in rows]


def test_every_candidate_in_the_table_is_gb2312() -> None:
    rows = table_rows()
    assert len(rows) > 30_000
    for key, items in rows:
        assert key.replace("'", "").isalpha() and key.isascii(), key
        for item in items.split(" "):
            candidate, _, score = item.rpartition(":")
            assert is_gb2312(candidate) and score.isdigit(), (key, item)


def test_no_insult_or_vulgar_word_is_in_the_table() -> None:
    for key, items in table_rows():
        if "'" in key:
            for item in items.split(" "):
                word = item.rpartition(":")[0]
                assert build_ime_table.suggestible(word), (key, word)


def test_the_table_lists_syllables_then_words_sorted_as_the_lookup_needs() -> None:
    keys = [key for key, _ in table_rows()]
    syllables = [key for key in keys if "'" not in key]
    assert keys[: len(syllables)] == sorted(syllables)
    assert keys[len(syllables) :] == sorted(keys[len(syllables) :])  # it bisects them


def test_the_lookup_finds_the_words_of_every_part_of_the_table(ime: PinyinIme) -> None:
    rows = [(key, items) for key, items in table_rows() if "'" in key]
    for key, items in [*rows[::97], rows[0], rows[-1]]:
        text, _, score = items.split(" ")[0].rpartition(":")
        assert ime._loaded_table().entries(key.split("'"))[0] == (text, int(score))


def test_a_small_table_without_a_header_is_read_too(tmp_path: Path) -> None:
    table = tmp_path / "table.txt"
    table.write_text("men\t们:5 门:4\nwo\t我:9\nwo'men\t我们:7", encoding="utf-8")  # no end
    ime = PinyinIme(table)
    assert ime.candidates("women") == ["我们", "我"]
    assert ime.candidates("woma") == ["我"]


def test_the_committed_table_comes_from_this_script_and_is_untouched() -> None:
    """Runs without jieba: the table's header names its inputs. If this fails after a change
    to tools/build_ime_table.py or a pypinyin upgrade: python -m tools.build_ime_table."""
    text = pinyin_ime.TABLE_PATH.read_text(encoding="utf-8")
    fields = build_ime_table.header_fields(text)
    assert fields["script_sha256"] == build_ime_table.script_digest(), "script changed"
    assert fields["body_sha256"] == build_ime_table.body_digest(text), "table edited by hand"
    assert fields["pypinyin"] == metadata.version("pypinyin"), "pypinyin upgraded"
    assert fields["jieba"] and len(fields["jieba_dict_sha256"]) == 64


@pytest.mark.skipif(
    importlib.util.find_spec("jieba") is None,
    reason="jieba (needed to build the table only) is not installed: the header check stands in",
)
def test_the_committed_table_is_what_the_script_generates() -> None:
    """After a pypinyin or jieba upgrade or a ranking change: python -m tools.build_ime_table."""
    generated.assert_current("tools.build_ime_table")


def test_the_table_is_kept_as_text_not_as_ninety_thousand_split_lines() -> None:
    size = pinyin_ime.TABLE_PATH.stat().st_size
    tracemalloc.start()
    try:
        ime = PinyinIme()
        ime.load()
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ime.candidates("wo")[0] == "我"
    assert kept < 2 * size  # about the file's size (4 MB); split into lines it was 17 MB


def test_build_rules_keep_common_words_and_drop_rare_names_numbers_and_insults() -> None:
    kept = build_ime_table.kept
    assert kept("申请", 2869, "v") and kept("缴清", 6, "v")
    assert kept("毛肚", 3, "n")  # two characters: listed words count from 3
    assert not kept("客观因素", 3, "n")  # longer: typed as shorter words
    assert not kept("萧峰喜", 5, "nr") and kept("毛泽东", 7_000, "nr")  # names need 100
    assert not kept("五十二个", 20, "m") and kept("一个", 100_000, "m")
    assert not kept("意淫", 9_000, "v") and not kept("他妈的", 850, "l")


def test_build_files_an_unsettled_reading_under_both_with_shares_of_the_count() -> None:
    settled = {("长", "zhang"): 60, ("长", "chang"): 40}
    keys = dict(build_ime_table.word_keys("最长", [("zui",), ("zhang", "chang")], settled))
    assert keys == {("zui", "zhang"): 1.0, ("zui", "chang"): 0.4}
    particle = build_ime_table.word_keys("真的", [("zhen",), ("de", "di")], {("的", "di"): 9})
    assert particle == [(("zhen", "de"), 1.0)]


def test_build_ranks_by_counts_and_characters_by_standing_alone_first() -> None:
    pinyin_dict = {ord("申"): "shēn", ord("身"): "shēn", ord("请"): "qǐng", ord("情"): "qíng"}
    jieba_words = {
        "身": (50, "n"),
        "请": (40, "v"),
        "申请": (2_000, "v"),
        "神请": (4, "v"),  # a character unknown here: never a candidate
        "申情": (5, "n"),
    }

    def read(word: str) -> list[list[str]]:
        return [[build_ime_table.plain_syllable(pinyin_dict[ord(char)])] for char in word]

    lines = build_ime_table.build_body(pinyin_dict, jieba_words, read)
    assert lines == [
        "qing\t请:1040 情:2",  # 40 alone + (2,000 in 申请) / 2; 情: 5 / 2
        "shen\t申:1002 身:50",
        "shen'qing\t申请:2000 申情:5",
    ]


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


@pytest.mark.expect_log("ui.widgets.pinyin_ime")
def test_a_missing_table_leaves_no_candidates_and_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ime = PinyinIme(tmp_path / "missing.txt")
    with caplog.at_level(logging.ERROR, logger="ui.widgets.pinyin_ime"):
        assert ime.candidates("wo") == []
    assert "missing.txt" in caplog.text
    assert ime.loaded  # not tried again at every key


@pytest.mark.expect_log("ui.widgets.pinyin_ime")
def test_a_damaged_table_leaves_no_candidates(tmp_path: Path) -> None:
    damaged = tmp_path / "table.txt"
    damaged.write_text("wo 我:1\n", encoding="utf-8")  # no tab
    assert PinyinIme(damaged).candidates("wo") == []


def test_reading_the_table_does_not_import_pypinyin() -> None:
    """pypinyin's own dictionaries cost 0.7 s and 50 MB: the kiosk reads the small table."""
    probe = (
        "import sys\n"
        "from ui.widgets.pinyin_ime import PinyinIme\n"
        "assert PinyinIme().candidates('wo')[0] == '我'\n"
        "print(sorted(name for name in sys.modules if name.startswith('pypinyin')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
