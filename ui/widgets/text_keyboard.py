"""On-screen text keyboard with pinyin input, for short free text on a kiosk without keyboard.

Chinese mode: letters gather in a composition shown above a bar of candidates (from
``ui.widgets.pinyin_ime``); tapping one appends it to the text and takes the letters it stands for,
space takes the first. English mode: letters go straight into the text. The keyboard owns the
text (``text``/``set_text``/``clear``); the screen around it only shows it.

Key widths come from the width the keyboard is given (units per row), not from fixed minimums,
so the same keyboard fits a 1920 px landscape and a 1080 px portrait panel.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from ui.i18n import translate
from ui.widgets import pinyin_ime

BACKSPACE = "⌫"
SPACE = "space"
CLEAR = "clear"
DONE = "done"
MODE = "mode"  # 中/英
PREVIOUS_PAGE = "previous"
NEXT_PAGE = "next"

DIGITS = "1234567890"
LETTER_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
PUNCTUATION = "，。？、"
MAX_CANDIDATES_PER_PAGE = 8
CANDIDATE_PADDING = 32  # px around a candidate's text: borders and some air
KEY_SPACING = 6
CANDIDATE_LOOKUP_LIMIT = 160  # 20 pages: the rest are rare characters
MAX_COMPOSITION = 30  # letters: about six syllables, more than any candidate covers
LOAD_CHECK_MS = 50
BACKSPACE_REPEAT_DELAY_MS = 500

# Widths in units; a letter key is 2 units and every row is 20 units wide.
LETTER_UNITS = 2
BOTTOM_ROW_UNITS = {MODE: 3, SPACE: 7, BACKSPACE: 3, CLEAR: 3, DONE: 4}  # punctuation: 2 each

# The theme gives every #Key a minimum width for the numeric keypad's 3 columns; ten keys in
# a row would then need 1,160 px. Here the layout shares out the width instead.
KEY_WIDTH_STYLE = "QPushButton#Key { min-width: 0px; }"


class TextKeyboard(QWidget):
    """Digits, QWERTY letters, Chinese punctuation, space, backspace, clear and done.

    Signals:
        text_changed: the committed text changed (not the composition); carries the text.
        done_pressed: "完成" pressed (any composition was converted to text first).
    """

    text_changed = Signal(str)
    done_pressed = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        max_length: int = 200,
        ime: pinyin_ime.PinyinIme | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("TextKeyboard")
        self.setStyleSheet(KEY_WIDTH_STYLE)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._ime = ime if ime is not None else pinyin_ime.shared_ime()
        self._max_length = max_length
        self._text = ""
        self._composition = ""
        self._chinese = True
        self._candidates: list[pinyin_ime.Candidate] = []
        self._page_starts = [0]  # index of the first candidate of each page
        self._page = 0
        self.buttons: dict[str, QPushButton] = {}
        self.candidate_buttons: list[QPushButton] = []
        self._candidate_bar_layout = QHBoxLayout()

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(KEY_SPACING)
        self.composition_label = QLabel()
        self.composition_label.setObjectName("Composition")
        self.composition_label.setTextFormat(Qt.TextFormat.PlainText)
        column.addWidget(self.composition_label)
        column.addLayout(self._candidate_bar())
        column.addLayout(self._row([*DIGITS]))
        for letters in LETTER_ROWS:
            # Shorter rows are centred, as on a real keyboard: half the missing units each side.
            column.addLayout(self._row([*letters], indent=20 - LETTER_UNITS * len(letters)))
        column.addLayout(self._row([MODE, *PUNCTUATION, SPACE, BACKSPACE, CLEAR, DONE]))
        self.buttons[BACKSPACE].setAutoRepeat(True)
        self.buttons[BACKSPACE].setAutoRepeatDelay(BACKSPACE_REPEAT_DELAY_MS)

        # Reading the pinyin table takes tens of ms (more on a slow panel PC): do it off the
        # GUI thread and show candidates once it is there. Nothing here waits for it.
        self._load_check = QTimer(self)
        self._load_check.setInterval(LOAD_CHECK_MS)
        self._load_check.timeout.connect(self._check_loaded)
        if not self._ime.loaded:
            self._ime.load_in_background()
            self._load_check.start()
        self.retranslate()
        self._show_composition()

    # ------------------------------------------------------------------ public API

    def text(self) -> str:
        """The committed text (without letters still being composed)."""
        return self._text

    def set_text(self, text: str) -> None:
        """Replace the text (cut to ``max_length``); drops any composition."""
        self._composition = ""
        self._set_committed(text[: self._max_length])
        self._show_composition()

    def clear(self) -> None:
        """Forget everything typed, back to Chinese input: the kiosk calls this at session end."""
        self._chinese = True
        self.set_text("")
        self.retranslate()

    def composition(self) -> str:
        """Letters typed in Chinese mode that are not text yet."""
        return self._composition

    def candidates(self) -> list[str]:
        """The candidates on the bar now (the current page)."""
        return [candidate.text for candidate in self._candidates[self._page_range()]]

    def is_chinese(self) -> bool:
        """Whether letters are read as pinyin (otherwise they are typed as they are)."""
        return self._chinese

    @property
    def max_length(self) -> int:
        """Most characters the text may have."""
        return self._max_length

    @max_length.setter
    def max_length(self, value: int) -> None:
        self._max_length = value
        self._set_committed(self._text[:value])

    def retranslate(self) -> None:
        """Key labels and accessible names in the current language."""
        # The mode key shows the mode letters are typed in now.
        mode = translate("TextKeyboard", "中") if self._chinese else translate("TextKeyboard", "英")
        labels = {
            SPACE: translate("TextKeyboard", "空格"),
            CLEAR: translate("TextKeyboard", "清空"),
            DONE: translate("TextKeyboard", "完成"),
            MODE: mode,
            PREVIOUS_PAGE: "‹",
            NEXT_PAGE: "›",
            BACKSPACE: BACKSPACE,
        }
        names = {
            SPACE: translate("TextKeyboard", "空格"),
            CLEAR: translate("TextKeyboard", "清空"),
            DONE: translate("TextKeyboard", "完成"),
            MODE: translate("TextKeyboard", "中英文切换"),
            PREVIOUS_PAGE: translate("TextKeyboard", "上一页候选字"),
            NEXT_PAGE: translate("TextKeyboard", "下一页候选字"),
            BACKSPACE: translate("TextKeyboard", "删除"),
            "，": translate("TextKeyboard", "逗号"),
            "。": translate("TextKeyboard", "句号"),
            "？": translate("TextKeyboard", "问号"),
            "、": translate("TextKeyboard", "顿号"),
        }
        for key, widget in self.buttons.items():
            widget.setText(labels.get(key, key))
            widget.setAccessibleName(names.get(key, key))
        self.setAccessibleName(translate("TextKeyboard", "键盘"))

    # ------------------------------------------------------------------ building

    def _key(self, key: str) -> QPushButton:
        widget = QPushButton(key)
        widget.setObjectName("Key")
        widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # The width is the row's share (stretch), whatever the label's own size.
        widget.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        widget.clicked.connect(lambda _=False, k=key: self._press(k))
        self.buttons[key] = widget
        return widget

    def _row(self, keys: list[str], indent: int = 0) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(KEY_SPACING)
        if indent:
            row.addStretch(indent // 2)
        for key in keys:
            row.addWidget(self._key(key), BOTTOM_ROW_UNITS.get(key, LETTER_UNITS))
        if indent:
            row.addStretch(indent - indent // 2)
        return row

    def _candidate_bar(self) -> QHBoxLayout:
        bar = self._candidate_bar_layout
        bar.setSpacing(KEY_SPACING)
        bar.addWidget(self._key(PREVIOUS_PAGE), LETTER_UNITS)
        for index in range(MAX_CANDIDATES_PER_PAGE):
            widget = QPushButton()
            widget.setObjectName("Key")
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            widget.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            widget.clicked.connect(lambda _=False, i=index: self._choose_on_page(i))
            bar.addWidget(widget, LETTER_UNITS)
            self.candidate_buttons.append(widget)
        bar.addWidget(self._key(NEXT_PAGE), LETTER_UNITS)
        return bar

    # ------------------------------------------------------------------ typing

    def _press(self, key: str) -> None:
        if key == PREVIOUS_PAGE:
            self._turn_page(-1)
        elif key == NEXT_PAGE:
            self._turn_page(+1)
        elif key == MODE:
            self._toggle_mode()
        elif key == BACKSPACE:
            self._backspace()
        elif key == CLEAR:
            self._composition = ""
            self._set_committed("")
            self._show_composition()
        elif key == SPACE:
            self._space()
        elif key == DONE:
            self._convert_composition()
            self.done_pressed.emit()
        elif key.isascii() and key.isalpha():
            self._letter(key)
        else:  # a digit or punctuation: typed after what is being composed
            self._convert_composition()
            self._append(key)

    def _letter(self, letter: str) -> None:
        if len(self._text) >= self._max_length:
            return  # no room: letters could never become text
        if not self._chinese:
            self._append(letter)
        elif len(self._composition) < MAX_COMPOSITION:
            self._composition += letter
            self._show_composition()

    def _space(self) -> None:
        if not (self._chinese and self._composition):
            self._append(" ")
        elif self._candidates:
            self._choose(self._candidates[0])
        else:  # letters that make no pinyin (a name, an abbreviation) are kept as typed
            self._append(self._composition)
            self._composition = ""
            self._show_composition()

    def _backspace(self) -> None:
        if self._composition:
            self._composition = self._composition[:-1]
            self._show_composition()
        else:
            self._set_committed(self._text[:-1])

    def _toggle_mode(self) -> None:
        # Letters typed in Chinese mode by mistake are kept as letters: tap 英 to keep "ATM".
        self._append(self._composition)
        self._composition = ""
        self._chinese = not self._chinese
        self.retranslate()
        self._show_composition()

    def _convert_composition(self) -> None:
        """Turn all letters being composed into text, taking the first candidate each time."""
        while self._composition:
            before = self._composition
            self._space()
            if self._composition == before:  # a safety net: every step takes a letter or more
                break

    def _choose_on_page(self, index: int) -> None:
        shown = self._candidates[self._page_range()]
        if index < len(shown):
            self._choose(shown[index])

    def _choose(self, candidate: pinyin_ime.Candidate) -> None:
        self._append(candidate.text)
        self._composition = self._composition[candidate.consumed :]
        self._show_composition()

    def _append(self, text: str) -> None:
        """Add ``text`` to the committed text, as much as ``max_length`` allows."""
        room = self._max_length - len(self._text)
        if text and room > 0:
            self._set_committed(self._text + text[:room])

    def _set_committed(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self.text_changed.emit(text)

    # ------------------------------------------------------------------ candidates

    def _check_loaded(self) -> None:
        if self._ime.loaded:
            self._load_check.stop()
            self._show_composition()

    def _show_composition(self) -> None:
        """Look the composition up again and show it with its first page of candidates."""
        ready = self._ime.loaded  # never wait here for a table still being read
        if self._composition and ready:
            spelled = self._ime.spell(self._composition)
            found = self._ime.lookup(self._composition, CANDIDATE_LOOKUP_LIMIT)
        else:
            spelled, found = self._composition, []
        # A non-breaking space keeps the label one line high while it is empty: no jumping.
        self.composition_label.setText(spelled or "\u00a0")
        self._candidates = found
        self._paginate()
        self._page = 0
        self._show_page()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Split the candidates into pages again for the new width, keeping the first shown."""
        super().resizeEvent(event)
        first_shown = self._page_starts[self._page]
        self._paginate()
        self._page = max(i for i, start in enumerate(self._page_starts) if start <= first_shown)
        self._show_page()

    def _key_width(self) -> int:
        """Width of a letter key: a tenth of the row."""
        return max(1, (self.width() - 9 * KEY_SPACING) // 10)

    def _needed_width(self, text: str) -> int:
        """Width a candidate button needs to show ``text`` whole; at least a letter key's."""
        metrics = self.candidate_buttons[0].fontMetrics()
        return max(self._key_width(), metrics.horizontalAdvance(text) + CANDIDATE_PADDING)

    def _paginate(self) -> None:
        """Split the candidates into pages that fit the bar: longer words, fewer on a page."""
        for widget in self.candidate_buttons:
            widget.ensurePolished()  # the theme's font decides the widths
        # The arrows take a letter key each; every button has spacing on one side.
        room = self.width() - 2 * self._key_width() - MAX_CANDIDATES_PER_PAGE * KEY_SPACING
        self._page_starts = [0]
        used = count = 0
        for index, candidate in enumerate(self._candidates):
            needed = self._needed_width(candidate.text)
            if count and (used + needed > room or count == MAX_CANDIDATES_PER_PAGE):
                self._page_starts.append(index)
                used = count = 0
            used += needed
            count += 1

    def _page_range(self) -> slice:
        starts = self._page_starts
        end = starts[self._page + 1] if self._page + 1 < len(starts) else len(self._candidates)
        return slice(starts[self._page], end)

    def _turn_page(self, step: int) -> None:
        self._page = min(max(self._page + step, 0), len(self._page_starts) - 1)
        self._show_page()

    def _show_page(self) -> None:
        shown = self.candidates()
        bar = self._candidate_bar_layout
        # Stretch in px: each button gets at least the width it needs (the row fits by design).
        for key in (PREVIOUS_PAGE, NEXT_PAGE):
            bar.setStretchFactor(self.buttons[key], self._key_width())
        for index, widget in enumerate(self.candidate_buttons):
            text = shown[index] if index < len(shown) else ""
            widget.setText(text)
            widget.setAccessibleName(text)
            widget.setVisible(bool(text))
            bar.setStretchFactor(widget, self._needed_width(text) if text else 0)
        self.buttons[PREVIOUS_PAGE].setEnabled(self._page > 0)
        self.buttons[NEXT_PAGE].setEnabled(self._page + 1 < len(self._page_starts))
