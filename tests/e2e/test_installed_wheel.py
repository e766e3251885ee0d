"""The kiosk as a wheel: built from the checkout, installed in a fresh virtualenv, it runs
from the installed copy alone (its assets included), never from the checkout.

The fresh virtualenv gets the kiosk's wheel and nothing else; the dependencies already in the
project's virtualenv are made visible by a ``.pth`` line naming its site-packages. A plain
path line adds the folder to ``sys.path`` without processing the ``.pth`` files inside it, so
the checkout's editable finder stays off (asserted). Everything runs in a temporary folder
with no ``PYTHONPATH``.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from PIL import Image

from kiosk.face import model_files

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("kiosk", "ui", "devices", "offline_cache", "simulators")

# What the kiosk opens by name, under the installed package kiosk_assets.
REQUIRED_ASSETS = (
    "kiosk_assets/__init__.py",
    "kiosk_assets/fonts/wqy-microhei.ttc",
    "kiosk_assets/fonts/LICENSE-wqy-microhei.txt",
    "kiosk_assets/ime/pinyin_table.txt",
    "kiosk_assets/ime/README.md",
    "kiosk_assets/voice/pinyin_phrases.json",
    "kiosk_assets/translations/kiosk_en.qm",
    "kiosk_assets/compat/readers.json",
    "kiosk_assets/models/face/LICENSES.md",
)

CONFIG = """\
[platform]
url = "https://127.0.0.1:9"
[printer]
connection = "none"
[camera]
source = "http://127.0.0.1:9/stream.mjpg"
[voice]
engine = "none"
[paths]
data_dir = "{tmp}/data"
log_dir = "{tmp}/logs"
"""

# Where the installed copy finds itself, as JSON.
WHERE_PROBE = """
import json, sys
import kiosk, ui, kiosk_assets
from kiosk import assets
from kiosk.face import model_files
from kiosk.staff import diagnostics
from ui import i18n
from ui.widgets import pinyin_ime
from kiosk.voice import speech
print(json.dumps({
    "spoken": speech.chinese_to_pinyin("请重新插卡"),
    "prefix": sys.prefix,
    "path": sys.path,
    "modules": sorted(sys.modules),
    "files": [kiosk.__file__, ui.__file__, kiosk_assets.__file__],
    "assets": {name: str(path) for name, path in [
        ("folder", assets.ASSETS_DIR), ("font", assets.CJK_FONT),
        ("translations", i18n.TRANSLATIONS_DIR), ("compat", diagnostics.COMPAT_FILE),
        ("pinyin", pinyin_ime.TABLE_PATH), ("models", model_files.DEFAULT_MODEL_DIR),
        ("voice", speech.PHRASES_PATH),
    ]},
}))
"""

# The bundled font and the English translation from the installed assets, then the kiosk's
# window as `kiosk run` builds it (nothing started), grabbed to the PNG named in argv[2].
SCREEN_PROBE = """
import logging, pathlib, sys, time
from PySide6.QtGui import QFontDatabase, QFontInfo
from PySide6.QtWidgets import QApplication
app = QApplication([])

from kiosk import assets, config
from kiosk.app import composition
from kiosk.platform import credentials
from ui import app as ui_app, i18n, theme
from ui.screens import idle

class Errors(logging.Handler):  # a font or translation that fails to load
    def __init__(self):
        super().__init__(logging.ERROR)
        self.seen = []
    def emit(self, record):
        self.seen.append(record.getMessage())
errors = Errors()
logging.getLogger().addHandler(errors)

family = theme.register_fonts()
assert assets.CJK_FONT.is_relative_to(sys.prefix), assets.CJK_FONT
assert family in QFontDatabase.applicationFontFamilies(0), family  # the first font we added

source = "个人公共信用报告 自助查询"
languages = i18n.Languages()
assert languages.switch("en")
english = i18n.translate("IdleScreen", source)
assert english != source and english.isascii(), english
assert languages.switch("zh")
assert i18n.translate("IdleScreen", source) == source

cfg = config.load_config(pathlib.Path(sys.argv[1]))
creds = credentials.TerminalCredentials("T1", bytes(32))
kiosk = ui_app.KioskApp(cfg, composition.build_kiosk(cfg, creds))
window = kiosk.window
window.resize(1920, 1080)
window.show()
screen = window.screen_of(idle.IdleScreen)
assert window.stack.currentWidget() is screen
app.processEvents()
assert QFontInfo(screen.heading.font()).family() == family
assert window.grab().save(sys.argv[2], "PNG")
deadline = time.monotonic() + 20  # the warm-up starts at the first paint: let it finish
while not kiosk.warm_up.done.is_set() and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.02)
assert kiosk.warm_up.done.is_set()
kiosk.stop()
assert not errors.seen, errors.seen
print(family, "|", english)
"""


class Installed:
    """The built wheel and the fresh virtualenv it is installed in."""

    def __init__(self, tmp: Path, wheel: Path, venv: Path, dependencies: list[str]) -> None:
        self.tmp = tmp
        self.dependencies = dependencies  # the site-packages folders the .pth names
        self.wheel = wheel
        self.venv = venv
        self.python = venv / "bin" / "python"
        self.config = tmp / "kiosk.toml"
        self.config.write_text(CONFIG.format(tmp=tmp), encoding="utf-8")

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``args`` in the temporary folder with a bare environment (no PYTHONPATH)."""
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.tmp / "home"),
            "QT_QPA_PLATFORM": "offscreen",
            # Never the machine's keyring: the fail backend (the kiosk says it is unusable).
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            # conftest's kept folder: escpos would otherwise leave a new temp dir each run
            "ESCPOS_CAPABILITIES_PICKLE_DIR": os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"],
        }
        return subprocess.run(
            args,
            cwd=self.tmp,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )


def _tool(args: list[str], cwd: Path) -> str:
    """Run a build or install step in ``cwd`` with this environment minus PYTHONPATH; its
    stdout. setuptools stages in ``cwd`` too (``build/``, the egg-info), not in the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    staging = cwd / "setuptools.cfg"
    if not staging.exists():
        staging.write_text(f"[build]\nbuild_base = {cwd}/build\n[egg_info]\negg_base = {cwd}\n")
    env["DIST_EXTRA_CONFIG"] = str(staging)
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _can_build_here() -> bool:
    """Whether this virtualenv has pyproject.toml's build requirements (``tools/bootstrap.sh
    wheel`` installs them); without them pip builds in its isolated environment, fetching them."""
    with (ROOT / "pyproject.toml").open("rb") as stream:
        requires = tomllib.load(stream)["build-system"]["requires"]
    for line in requires:
        requirement = Requirement(line)
        try:
            version = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            return False
        if not requirement.specifier.contains(version, prereleases=True):
            return False
    return True


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel built from the checkout, installed with ``--no-deps`` in a fresh virtualenv."""
    tmp = tmp_path_factory.mktemp("wheel")
    (tmp / "home").mkdir()
    pip = [sys.executable, "-m", "pip"]
    isolation = ["--no-build-isolation"] if _can_build_here() else []
    _tool([*pip, "wheel", "-q", "--no-deps", *isolation, "-w", "dist", str(ROOT)], tmp)
    (wheel,) = (tmp / "dist").glob("credit_kiosk-*.whl")

    venv = tmp / "venv"
    _tool([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp)
    python = venv / "bin" / "python"
    site = _tool([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp)
    dependencies = list(
        dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    )
    (Path(site.strip()) / "kiosk_test_dependencies.pth").write_text(
        "".join(f"{path}\n" for path in dependencies), encoding="utf-8"
    )
    _tool(
        [*pip, "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)], tmp
    )
    return Installed(tmp, wheel, venv, dependencies)


def _models_fetched() -> bool:
    """Whether the face models were in the checkout when the wheel was built."""
    return model_files.missing_or_wrong(ROOT / "assets" / "models" / "face") == []


def test_the_wheel_carries_the_assets_and_every_module_and_no_development_files(
    installed: Installed,
) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    assert set(REQUIRED_ASSETS) <= names
    modules = {
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert modules - names == set(), "add the new package to pyproject.toml's packages"
    assert not [n for n in names if n.startswith(("tests/", "tools/", "assets/", "config/"))]
    assert not [n for n in names if n.endswith((".ts", ".pyc", ".part"))]
    models = {f"kiosk_assets/models/face/{model.name}" for model in model_files.MODEL_FILES}
    # The models go in when they were fetched before the build (git-ignored otherwise).
    assert (models <= names) if _models_fetched() else not (models & names)


def test_the_installed_copy_runs_from_its_own_files_not_the_checkout(
    installed: Installed,
) -> None:
    result = installed.run(str(installed.python), "-c", WHERE_PROBE)
    assert result.returncode == 0, result.stderr
    where = json.loads(result.stdout)
    venv = Path(where["prefix"])
    assert venv == installed.venv
    for path in [*where["files"], *where["assets"].values()]:
        assert Path(path).is_relative_to(venv), path
        assert Path(path).exists(), path
    assert Path(where["assets"]["folder"]).is_dir()
    assert where["spoken"] == "qing3 chong2 xin1 cha1 ka3"  # with the installed words (重新)
    # The project's site-packages (inside the checkout's .venv) is on the path, nothing else
    # of the checkout, and its editable finder is not loaded.
    from_checkout = [entry for entry in where["path"] if entry and Path(entry).is_relative_to(ROOT)]
    assert set(from_checkout) <= set(installed.dependencies)
    assert not [name for name in where["modules"] if name.startswith("__editable__")]


def test_diag_reports_json_with_the_installed_models(installed: Installed) -> None:
    kiosk = installed.venv / "bin" / "kiosk"
    config = str(installed.config)
    result = installed.run(str(kiosk), "diag", "--json", "--deadline", "20", "--config", config)
    # No reader, printer or platform here: red lines and exit status 1 are expected.
    assert result.stdout.strip(), result.stderr
    document = json.loads(result.stdout)
    assert document["level"] == "red"  # nothing to talk to here
    checks = document["checks"]
    assert checks
    for check in checks:
        assert isinstance(check["name"], str) and check["name"]
        assert check["level"] in ("green", "amber", "red")
    (camera,) = [check for check in checks if check["name"] == "camera"]
    if _models_fetched():
        assert camera["details"]["models"] == "loaded, SHA-256 as pinned"
    else:
        assert camera["summary"].startswith("face models not usable")


@pytest.mark.gui
def test_the_installed_copy_paints_the_idle_screen_in_its_font_and_speaks_english(
    installed: Installed,
) -> None:
    png = installed.tmp / "idle.png"
    result = installed.run(
        str(installed.python), "-c", SCREEN_PROBE, str(installed.config), str(png)
    )
    assert result.returncode == 0, result.stderr
    with Image.open(png) as image:
        assert image.size == (1920, 1080)
        # Text and an illustration, not an empty window: dark on light, many colours.
        greys = image.convert("L").histogram()
        assert sum(greys[:64]) > 1000 and sum(greys[192:]) > 100_000
        colours = image.convert("RGB").getcolors(maxcolors=1920 * 1080)
        assert colours is not None and len(colours) > 16
