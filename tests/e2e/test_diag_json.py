"""`kiosk diag --json` as a fleet tool runs it: one JSON object on stdout whatever happens, its
top-level level the worst check's, exit status 1 on red (docs/staff.md)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kiosk import config as kiosk_config
from kiosk.app import cli, composition
from kiosk.staff import diagnostics

ROOT = Path(__file__).resolve().parents[2]
LEVELS = ("green", "amber", "red")
RANK = {level: n for n, level in enumerate(LEVELS)}


def run_diag(config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``python -m kiosk.app.cli diag --json`` in a process of its own, no keyring, no
    display."""
    env = dict(os.environ)
    env.update(PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "kiosk.app.cli", "diag", "--json", *extra, "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def document_of(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The JSON object, checked for its shape: stdout holds it and nothing else."""
    assert "Traceback" not in result.stdout
    document = json.loads(result.stdout)  # the whole of stdout, or this fails
    assert isinstance(document, dict), result.stdout
    assert set(document) == {"level", "terminal_id", "version", "checked_at", "checks"}
    assert document["level"] in LEVELS
    assert document["version"]
    checked_at = dt.datetime.fromisoformat(document["checked_at"])
    assert checked_at.utcoffset() == dt.timedelta(0)
    assert document["checked_at"].endswith("Z")
    assert abs((dt.datetime.now(dt.UTC) - checked_at).total_seconds()) < 120
    for check in document["checks"]:
        assert set(check) == {"name", "level", "summary", "details", "advice"}
        assert check["level"] in LEVELS
    worst = max((c["level"] for c in document["checks"]), key=RANK.__getitem__)
    assert document["level"] == worst
    return document


def the_configuration_check(document: dict[str, Any]) -> dict[str, Any]:
    assert document["level"] == "red"
    (check,) = document["checks"]
    assert check["name"] == "configuration"
    assert check["level"] == "red"
    assert check["advice"]
    return dict(check)


def test_no_configuration_file_is_a_red_json_check(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "kiosk.toml"
    result = run_diag(missing)
    assert result.returncode == 1, result.stderr
    check = the_configuration_check(document_of(result))
    assert str(missing) in check["summary"] and "file not found" in check["summary"]
    assert check["details"]["path"] == str(missing)
    assert document_of(result)["terminal_id"] is None  # no keyring here


def test_a_configuration_that_is_not_toml_is_a_red_json_check(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('[printer]\nhost = "127.0.0.1\n', encoding="utf-8")
    result = run_diag(path)
    assert result.returncode == 1, result.stderr
    check = the_configuration_check(document_of(result))
    assert str(path) in check["summary"] and "not valid TOML" in check["summary"]


def test_a_configuration_with_a_bad_value_is_a_red_json_check(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('[printer]\nport = 70000\n\n[metrics]\ntextfile = "m.prom"\n', "utf-8")
    result = run_diag(path)
    assert result.returncode == 1, result.stderr
    check = the_configuration_check(document_of(result))
    assert "printer.port" in check["summary"] and "metrics.textfile" in check["summary"]
    assert len(check["details"]["problems"]) == 2


@pytest.mark.usefixtures("memory_keyring")
def test_without_json_a_bad_configuration_still_says_so_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["diag", "--config", str(tmp_path / "missing.toml")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "kiosk diag: bad configuration" in err


def unreachable_config(tmp_path: Path) -> Path:
    """Nothing answers: no such reader, a printer and a platform on closed ports."""
    cfg = kiosk_config.parse_config(
        {
            "platform": {"url": "https://127.0.0.1:9", "connect_timeout_s": 1.0},
            "reader": {"name_pattern": "^No such reader$"},
            "printer": {"host": "127.0.0.1", "port": 9},
            "paths": {"data_dir": str(tmp_path / "data"), "log_dir": str(tmp_path / "logs")},
        }
    )
    path = tmp_path / "kiosk.toml"
    path.write_text(kiosk_config.to_toml(cfg), encoding="utf-8")
    return path


def test_nothing_reachable_is_every_check_and_the_worst_on_top(tmp_path: Path) -> None:
    result = run_diag(unreachable_config(tmp_path), "--deadline", "3")
    assert result.returncode == 1, result.stderr
    document = document_of(result)
    found = {c["name"]: c for c in document["checks"]}
    assert {"card reader", "printer", "enrollment", "offline queue", "system"} <= set(found)
    assert document["level"] == "red"
    assert found["card reader"]["level"] == "red"
    assert found["printer"]["level"] == "red"
    assert found["enrollment"]["level"] == "red"  # the keyring cannot hold a secret here
    assert found["offline queue"]["level"] == "green"
    assert document["terminal_id"] is None


@pytest.mark.usefixtures("memory_keyring")
def test_the_top_level_is_the_worst_check_and_amber_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    canned = [
        diagnostics.Check("printer", diagnostics.AMBER, "paper near end"),
        diagnostics.Check("system", diagnostics.GREEN, "fine"),
    ]
    monkeypatch.setattr(diagnostics, "run_checks", lambda targets, deadline_s=None: list(canned))
    code = cli.main(["diag", "--json", "--config", str(unreachable_config(tmp_path))])
    out = capsys.readouterr().out
    document = json.loads(out)
    assert code == 0
    assert document["level"] == "amber"
    assert [c["name"] for c in document["checks"]] == ["printer", "system"]


@pytest.mark.usefixtures("memory_keyring")
def test_a_failing_diagnosis_is_a_red_json_check_and_stdout_stays_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    def broken(cfg: kiosk_config.KioskConfig) -> diagnostics.Targets:
        print("a library chatting on stdout")
        os.write(1, b"a C library writing to descriptor 1\n")
        raise RuntimeError("adapter refused its settings")

    monkeypatch.setattr(composition, "build_diagnosis", broken)
    code = cli.main(["diag", "--json", "--config", str(unreachable_config(tmp_path))])
    out, err = capfd.readouterr()
    assert code == 1
    document = json.loads(out)  # nothing but the document on stdout
    (check,) = document["checks"]
    assert (check["name"], check["level"]) == ("diagnosis", "red")
    assert "RuntimeError" in check["summary"]
    assert document["level"] == "red"
    assert "chatting" in err and "descriptor 1" in err
    assert "Traceback" in err and "Traceback" not in out
