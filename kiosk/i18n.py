"""Marks texts of the Qt-free core that the UI shows, so Qt's lupdate finds them.

The core speaks Chinese (the source language of every text). ``QT_TRANSLATE_NOOP`` returns its
text unchanged; the UI translates what it shows at display time
(``ui.i18n.translated(context, text)``). The name is the one lupdate looks for.
"""

from __future__ import annotations

LANGUAGES = ("zh", "en")  # Chinese first; English switchable on every resident screen
DEFAULT_LANGUAGE = "zh"


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 (lupdate's name)
    """Return ``text``: only marks it for translation in ``context``."""
    del context
    return text
