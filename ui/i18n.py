"""Languages of the resident screens: Qt translation files, switched at run time.

Every text a resident reads is written in Chinese (the source language) and wrapped as
``translate("Context", "中文")`` so that ``pyside6-lupdate`` collects it into
``assets/translations/kiosk_en.ts`` (``python -m tools.translations``). Texts built by the core
(``kiosk.i18n.QT_TRANSLATE_NOOP``) are translated when shown with ``translated``. Switching
installs or removes the English ``QTranslator``; the window then calls each screen's
``retranslate`` and shows the state again, so static and state-derived texts both change.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTranslator

from kiosk.assets import TRANSLATIONS_DIR
from kiosk.i18n import DEFAULT_LANGUAGE, LANGUAGES

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "Languages", "translate", "translated"]


def translate(context: str, text: str) -> str:
    """``text`` (a literal, so lupdate sees it) in the current language."""
    return QCoreApplication.translate(context, text)


def translated(context: str, text: str) -> str:
    """Like ``translate`` for a text that is not a literal here (marked where it was written)."""
    return QCoreApplication.translate(context, text)


class Languages:
    """Installs the translator of the chosen language on the application."""

    def __init__(self, directory: Path = TRANSLATIONS_DIR) -> None:
        self._directory = directory
        self._translator: QTranslator | None = None
        self.current = DEFAULT_LANGUAGE

    def switch(self, language: str) -> bool:
        """Use ``language``; returns whether anything changed. Unknown or missing: Chinese."""
        if language not in LANGUAGES:
            log.warning("unknown language %r: showing Chinese", language)
            language = DEFAULT_LANGUAGE
        if language == self.current:
            return False
        app = QCoreApplication.instance()
        if self._translator is not None and app is not None:
            app.removeTranslator(self._translator)
            self._translator = None
        if language != DEFAULT_LANGUAGE and app is not None:
            translator = QTranslator(app)
            path = self._directory / f"kiosk_{language}.qm"
            if translator.load(str(path)):
                app.installTranslator(translator)
                self._translator = translator
            else:
                log.error("translation file %s missing or unreadable: showing Chinese", path.name)
        self.current = language
        return True
