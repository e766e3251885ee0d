"""Reading the card: the resident keeps the card still and waits."""

from __future__ import annotations

from ui.screens import base


class ReadingScreen(base.ProgressScreen):
    """Shown while the card's files are read and it signs the platform's challenge."""

    def __init__(self) -> None:
        super().__init__("正在读取证件…", "请不要移动身份证。")
