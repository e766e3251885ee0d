"""Where the bundled assets live (fonts, styles), found relative to the source tree."""

from __future__ import annotations

from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
CJK_FONT = ASSETS_DIR / "fonts" / "wqy-microhei.ttc"
