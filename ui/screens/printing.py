"""Printing: the receipt is on its way."""

from __future__ import annotations

from ui.screens import base


class PrintingScreen(base.ProgressScreen):
    """Tells the resident their receipt is printing."""

    def __init__(self) -> None:
        super().__init__("正在打印…", "凭条将从下方出纸口送出，请稍候。")
