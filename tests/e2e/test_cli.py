"""The `kiosk` command as staff use it: enroll once, then run; clear refusals, no tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import config
from kiosk.app import cli
from kiosk.platform import credentials
from simulators.memory_keyring import MemoryKeyring
from simulators.platform_server import PlatformSimulator


@pytest.fixture
def config_file(tmp_path: Path, platform_sim: PlatformSimulator) -> Path:
    cfg = config.parse_config(
        {
            "platform": {"url": platform_sim.base_url, "ca_bundle": platform_sim.ca_bundle_path},
            "paths": {"data_dir": str(tmp_path / "data"), "log_dir": str(tmp_path / "logs")},
        }
    )
    path = tmp_path / "kiosk.toml"
    path.write_text(config.to_toml(cfg), encoding="utf-8")
    return path


def test_enroll_keeps_the_credentials_in_the_keyring_and_a_code_works_once(
    config_file: Path,
    platform_sim: PlatformSimulator,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = platform_sim.new_enrollment_code()
    assert cli.main(["enroll", "--code", code.lower(), "--config", str(config_file)]) == 0
    creds = credentials.CredentialStore().load()
    assert creds is not None
    assert creds.terminal_id in capsys.readouterr().out
    assert not list(config_file.parent.glob("**/*secret*"))  # nothing of ours on disk

    assert cli.main(["enroll", "--code", code, "--config", str(config_file)]) == 2
    err = capsys.readouterr().err
    assert "invalid_enrollment_code" in err
    assert "Traceback" not in err


@pytest.mark.usefixtures("restore_logging")
def test_run_refuses_an_unenrolled_terminal_and_says_how_to_enroll(
    config_file: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", "--config", str(config_file)]) == 2
    assert "kiosk enroll --code" in capsys.readouterr().err
