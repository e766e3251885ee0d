"""Verifying the card: the terminal's own checks, then the platform's."""

from __future__ import annotations

from ui.screens import base


class VerifyingScreen(base.ProgressScreen):
    """Shown while the card is checked for genuineness and matched by the platform."""

    def __init__(self) -> None:
        super().__init__("正在核验身份…", "正在检查证件真伪并与信用平台核对，请稍候。")
