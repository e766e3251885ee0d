"""Where the bundled assets live (fonts, pinyin table, translations, face models).

The repository's top-level ``assets/`` folder is installed as the package ``kiosk_assets``
(``pyproject.toml``: ``package-dir``): in the checkout's editable install it is the folder
itself, in an installed wheel a folder in site-packages. Either way it must be a plain folder
on disk (Qt, reportlab and OpenCV open the files by name), never a zip import.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PACKAGE = "kiosk_assets"


def _assets_dir() -> Path:
    try:
        root = resources.files(PACKAGE)
    except ModuleNotFoundError as exc:  # an editable install made before assets/ was a package
        raise RuntimeError(
            f"package {PACKAGE} (the assets/ folder) is not installed: install the kiosk again "
            "(tools/bootstrap.sh install, or pip install -e .)"
        ) from exc
    if not isinstance(root, Path) or not root.is_dir():
        raise RuntimeError(
            f"the kiosk's assets (package {PACKAGE}) must be a folder on disk, found {root!r}: "
            "install the kiosk's wheel with pip, not as a zip"
        )
    return root.resolve()


ASSETS_DIR = _assets_dir()
CJK_FONT = ASSETS_DIR / "fonts" / "wqy-microhei.ttc"
TRANSLATIONS_DIR = ASSETS_DIR / "translations"
