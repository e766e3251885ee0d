"""The on-screen text keyboard offscreen: pinyin typed and chosen, backspace, English letters,
the length limit, wiping at session end, candidate pages, and a layout that fits landscape
and portrait panels in both text sizes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from ui import theme
from ui.widgets import text_keyboard
from ui.widgets.pinyin_ime import PinyinIme, shared_ime
from ui.widgets.text_keyboard import (
    BACKSPACE,
    CLEAR,
    DONE,
    MODE,
    NEXT_PAGE,
    PREVIOUS_PAGE,
    SPACE,
    TextKeyboard,
)

LANDSCAPE, PORTRAIT = 1900, 1060  # the panel's width less the screen's margins


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[Callable[[bool], None]]:
    """Apply the kiosk's theme (normal or elder) for one test; the app's sheet is restored."""
    before = qapp.styleSheet()
    family = theme.register_fonts()
    yield lambda elder: theme.apply(qapp, family, elder)
    qapp.setStyleSheet(before)


def make_keyboard(qtbot: QtBot, width: int = LANDSCAPE, max_length: int = 200) -> TextKeyboard:
    shared_ime().load()  # here, not in the background: candidates show from the first key
    keyboard = TextKeyboard(max_length=max_length)
    qtbot.add_widget(keyboard)
    keyboard.resize(width, keyboard.sizeHint().height())
    keyboard.show()
    return keyboard


@pytest.fixture
def keyboard(qtbot: QtBot) -> TextKeyboard:
    return make_keyboard(qtbot)


def tap(qtbot: QtBot, keyboard: TextKeyboard, *keys: str) -> None:
    """Touch each key in turn; a string of letters is one touch per letter."""
    for key in keys:
        for one in [key] if key in keyboard.buttons else key:
            qtbot.mouseClick(keyboard.buttons[one], Qt.MouseButton.LeftButton)


def tap_candidate(qtbot: QtBot, keyboard: TextKeyboard, text: str) -> None:
    index = keyboard.candidates().index(text)
    qtbot.mouseClick(keyboard.candidate_buttons[index], Qt.MouseButton.LeftButton)


def test_typing_pinyin_and_choosing_the_first_candidate(
    qtbot: QtBot, keyboard: TextKeyboard
) -> None:
    with qtbot.assert_not_emitted(keyboard.text_changed):
        tap(qtbot, keyboard, *"xinyong")
    assert keyboard.composition() == "xinyong"
    assert keyboard.composition_label.text() == "xin'yong"
    assert keyboard.candidates()[0] == "信用"
    assert keyboard.candidate_buttons[0].text() == "信用"
    with qtbot.wait_signal(keyboard.text_changed) as changed:
        qtbot.mouseClick(keyboard.candidate_buttons[0], Qt.MouseButton.LeftButton)
    assert changed.args == ["信用"]
    assert keyboard.text() == "信用"
    assert keyboard.composition() == ""
    assert keyboard.candidates() == []


def test_a_character_takes_its_syllable_and_the_rest_stays(
    qtbot: QtBot, keyboard: TextKeyboard
) -> None:
    tap(qtbot, keyboard, "woyao")
    tap_candidate(qtbot, keyboard, "我")
    assert (keyboard.text(), keyboard.composition()) == ("我", "yao")
    tap(qtbot, keyboard, SPACE)  # space takes the first candidate
    assert (keyboard.text(), keyboard.composition()) == ("我要", "")


def test_space_types_a_space_and_keeps_letters_that_make_no_pinyin(
    qtbot: QtBot, keyboard: TextKeyboard
) -> None:
    tap(qtbot, keyboard, SPACE)
    assert keyboard.text() == " "
    tap(qtbot, keyboard, "vvv")
    assert keyboard.candidates() == []
    tap(qtbot, keyboard, SPACE)
    assert (keyboard.text(), keyboard.composition()) == (" vvv", "")


def test_backspace_deletes_letters_being_composed_first_then_text(
    qtbot: QtBot, keyboard: TextKeyboard
) -> None:
    tap(qtbot, keyboard, "xin")
    tap_candidate(qtbot, keyboard, "信")
    tap(qtbot, keyboard, "yon")
    assert keyboard.candidates()[0] == "用"
    tap(qtbot, keyboard, BACKSPACE)
    assert (keyboard.text(), keyboard.composition()) == ("信", "yo")
    assert keyboard.candidates()[0] == "哟"  # looked up again for "yo"
    tap(qtbot, keyboard, BACKSPACE, BACKSPACE)
    assert (keyboard.text(), keyboard.composition()) == ("信", "")
    assert keyboard.candidates() == []
    with qtbot.wait_signal(keyboard.text_changed) as changed:
        tap(qtbot, keyboard, BACKSPACE)
    assert changed.args == [""]
    tap(qtbot, keyboard, BACKSPACE)  # nothing left: nothing happens
    assert keyboard.text() == ""


def test_punctuation_and_done_convert_what_is_being_composed_first(
    qtbot: QtBot, keyboard: TextKeyboard
) -> None:
    tap(qtbot, keyboard, "xinyong", "，", "wo", "。", "1")
    assert keyboard.text() == "信用，我。1"
    tap(qtbot, keyboard, "woyao")
    with qtbot.wait_signal(keyboard.done_pressed):
        tap(qtbot, keyboard, DONE)
    assert (keyboard.text(), keyboard.composition()) == ("信用，我。1我要", "")


def test_english_mode_types_letters_as_they_are(qtbot: QtBot, keyboard: TextKeyboard) -> None:
    tap(qtbot, keyboard, MODE)
    assert not keyboard.is_chinese()
    assert keyboard.buttons[MODE].text() == "英"
    tap(qtbot, keyboard, "atm", SPACE, "ok")
    assert keyboard.text() == "atm ok"
    assert keyboard.composition() == ""
    assert keyboard.candidates() == []
    tap(qtbot, keyboard, MODE, "wo", SPACE)
    assert keyboard.is_chinese() and keyboard.buttons[MODE].text() == "中"
    assert keyboard.text() == "atm ok我"


def test_switching_to_english_keeps_the_letters_typed(qtbot: QtBot, keyboard: TextKeyboard) -> None:
    tap(qtbot, keyboard, "atm")
    assert keyboard.composition() == "atm"
    tap(qtbot, keyboard, MODE)
    assert (keyboard.text(), keyboard.composition()) == ("atm", "")


def test_the_text_never_passes_max_length(qtbot: QtBot) -> None:
    keyboard = make_keyboard(qtbot, max_length=3)
    assert keyboard.max_length == 3
    tap(qtbot, keyboard, "xinyong")
    tap_candidate(qtbot, keyboard, "信用")
    tap(qtbot, keyboard, "zhongguo")
    tap_candidate(qtbot, keyboard, "中国")  # only 中 still fits
    assert keyboard.text() == "信用中"
    tap(qtbot, keyboard, "wo")  # full: letters are not even composed
    assert keyboard.composition() == ""
    tap(qtbot, keyboard, MODE, "abc", "1", "，", SPACE)
    assert keyboard.text() == "信用中"
    keyboard.set_text("一二三四五")
    assert keyboard.text() == "一二三"
    keyboard.max_length = 2
    assert keyboard.text() == "一二"


def test_clear_wipes_text_letters_and_mode(qtbot: QtBot, keyboard: TextKeyboard) -> None:
    tap(qtbot, keyboard, "xinyong", SPACE, "wo")
    tap(qtbot, keyboard, NEXT_PAGE)
    tap(qtbot, keyboard, MODE, "abc", MODE, "shi")
    assert keyboard.text() and keyboard.composition() and keyboard.candidates()
    with qtbot.wait_signal(keyboard.text_changed) as changed:
        keyboard.clear()
    assert changed.args == [""]
    assert keyboard.text() == ""
    assert keyboard.composition() == ""
    assert keyboard.candidates() == []
    assert keyboard.composition_label.text().strip() == ""
    assert all(not button.isVisible() for button in keyboard.candidate_buttons)
    assert keyboard.is_chinese()


def test_the_clear_key_empties_text_and_letters(qtbot: QtBot, keyboard: TextKeyboard) -> None:
    keyboard.set_text("信用")
    tap(qtbot, keyboard, "wo")
    tap(qtbot, keyboard, CLEAR)
    assert (keyboard.text(), keyboard.composition(), keyboard.candidates()) == ("", "", [])


def test_candidates_are_paged_with_the_arrows(qtbot: QtBot, keyboard: TextKeyboard) -> None:
    tap(qtbot, keyboard, "shi")
    first = keyboard.candidates()
    assert first[0] == "是"
    assert not keyboard.buttons[PREVIOUS_PAGE].isEnabled()
    assert keyboard.buttons[NEXT_PAGE].isEnabled()
    pages = [first]
    while keyboard.buttons[NEXT_PAGE].isEnabled():
        tap(qtbot, keyboard, NEXT_PAGE)
        pages.append(keyboard.candidates())
        assert keyboard.buttons[PREVIOUS_PAGE].isEnabled()
    assert len(pages) > 3
    assert all(0 < len(page) <= text_keyboard.MAX_CANDIDATES_PER_PAGE for page in pages)
    every = [text for page in pages for text in page]
    assert every == shared_ime().candidates("shi", text_keyboard.CANDIDATE_LOOKUP_LIMIT)
    tap(qtbot, keyboard, PREVIOUS_PAGE)
    assert keyboard.candidates() == pages[-2]
    tap_candidate(qtbot, keyboard, pages[-2][0])  # a candidate of a later page can be chosen
    assert keyboard.text() == pages[-2][0]


def test_the_table_loads_in_the_background_and_candidates_follow(qtbot: QtBot) -> None:
    class SlowIme(PinyinIme):
        """Reads its table only when the test lets it."""

        def __init__(self) -> None:
            super().__init__()
            self.go = threading.Event()

        def load(self) -> None:
            assert self.go.wait(10)
            super().load()

    ime = SlowIme()
    keyboard = TextKeyboard(ime=ime)  # returns although the table is not read
    qtbot.add_widget(keyboard)
    tap(qtbot, keyboard, "wo")
    assert keyboard.composition() == "wo"
    assert keyboard.candidates() == []
    ime.go.set()
    qtbot.wait_until(lambda: keyboard.candidates()[:1] == ["我"])
    assert keyboard.composition_label.text() == "wo"


def test_keys_never_take_focus_and_have_chinese_names(keyboard: TextKeyboard) -> None:
    buttons = keyboard.findChildren(QPushButton)
    assert len(buttons) == len(keyboard.buttons) + len(keyboard.candidate_buttons)
    assert all(button.focusPolicy() == Qt.FocusPolicy.NoFocus for button in buttons)
    assert all(button.objectName() == "Key" for button in buttons)
    names = {key: button.accessibleName() for key, button in keyboard.buttons.items()}
    assert names[BACKSPACE] == "删除"
    assert names[SPACE] == "空格"
    assert names[DONE] == "完成"
    assert names[CLEAR] == "清空"
    assert names["，"] == "逗号"
    assert names["q"] == "q" and names["7"] == "7"
    assert all(names.values())


def test_candidate_buttons_are_named_after_their_candidate(
    qtbot: QtBot, keyboard: TextKeyboard
) -> None:
    tap(qtbot, keyboard, "xinyong")
    shown = [button for button in keyboard.candidate_buttons if button.isVisible()]
    assert [button.accessibleName() for button in shown] == keyboard.candidates()


def key_rects(keyboard: TextKeyboard) -> list[QRect]:
    return [
        QRect(button.mapTo(keyboard, button.rect().topLeft()), button.size())
        for button in keyboard.findChildren(QPushButton)
        if button.isVisible()
    ]


@pytest.mark.parametrize("elder", [False, True])
@pytest.mark.parametrize("width", [LANDSCAPE, PORTRAIT])
def test_the_keyboard_fits_landscape_and_portrait_panels(
    qtbot: QtBot, themed: Callable[[bool], None], elder: bool, width: int
) -> None:
    themed(elder)
    keyboard = make_keyboard(qtbot, width)
    tap(qtbot, keyboard, "shi")
    qtbot.wait_until(lambda: keyboard.width() == width)
    assert keyboard.minimumSizeHint().width() <= PORTRAIT
    assert keyboard.sizeHint().width() <= PORTRAIT
    tokens = theme.ELDER if elder else theme.NORMAL
    if not elder:
        assert keyboard.sizeHint().height() <= 520
    rects = key_rects(keyboard)
    assert all(keyboard.rect().contains(rect) for rect in rects)
    for index, rect in enumerate(rects):
        assert not any(rect.intersects(other) for other in rects[index + 1 :])
    letter = keyboard.buttons["q"]
    assert letter.height() >= tokens.key_size * 2 // 3
    if width == LANDSCAPE:
        assert letter.width() >= tokens.key_size
    else:
        assert letter.width() >= 90  # a tenth of a portrait panel is all a letter key can have
    assert keyboard.buttons[SPACE].width() > 2 * letter.width()


@pytest.mark.parametrize("elder", [False, True])
def test_long_words_are_never_cut_off_in_portrait(
    qtbot: QtBot, themed: Callable[[bool], None], elder: bool
) -> None:
    themed(elder)
    keyboard = make_keyboard(qtbot, PORTRAIT)
    tap(qtbot, keyboard, "mantiaosili")  # several four-character words: fewer on a page
    assert len(keyboard.candidates()[0]) == 4
    assert len(keyboard.candidates()) < text_keyboard.MAX_CANDIDATES_PER_PAGE

    def every_word_shown_whole() -> bool:
        shown = [button for button in keyboard.candidate_buttons if button.isVisible()]
        return bool(shown) and all(
            button.width() >= button.fontMetrics().horizontalAdvance(button.text())
            for button in shown
        )

    for _ in range(3):  # the layout follows a new page when the event loop runs
        qtbot.wait_until(every_word_shown_whole)
        tap(qtbot, keyboard, NEXT_PAGE)


def test_candidate_pages_follow_a_change_of_width(qtbot: QtBot, keyboard: TextKeyboard) -> None:
    tap(qtbot, keyboard, "mantiaosili")
    wide = keyboard.candidates()
    keyboard.resize(600, keyboard.height())
    qtbot.wait_until(lambda: keyboard.width() == 600)
    narrow = keyboard.candidates()
    assert narrow and len(narrow) < len(wide)
    assert narrow[0] == wide[0]
