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


def test_enroll_for_systemd_prints_the_credential_for_systemd_creds_and_keeps_nothing(
    config_file: Path,
    platform_sim: PlatformSimulator,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`kiosk enroll --systemd-credential | systemd-creds encrypt ...`: only the credential
    goes down the pipe, nothing goes to the keyring, and the service reads it back from the
    folder systemd decrypts it into."""
    code = platform_sim.new_enrollment_code()
    args = ["enroll", "--code", code, "--systemd-credential", "--config", str(config_file)]
    assert cli.main(args) == 0
    out, err = capsys.readouterr()
    assert credentials.CredentialStore().load() is None  # the keyring holds nothing
    creds = credentials.decode(out)
    assert creds.terminal_id in err and "systemd-creds" not in out

    delivered = tmp_path / "credentials"
    delivered.mkdir()
    (delivered / credentials.SYSTEMD_CREDENTIAL).write_text(out, encoding="utf-8")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(delivered))
    assert credentials.CredentialStore().load() == creds
    # A second enrollment cannot quietly land in the keyring beside systemd's credential.
    with pytest.raises(credentials.KeyringUnavailable, match="systemd-creds"):
        credentials.CredentialStore().save(creds)

    (delivered / credentials.SYSTEMD_CREDENTIAL).write_text("{not json", encoding="utf-8")
    with pytest.raises(credentials.KeyringUnavailable, match="corrupt") as refused:
        credentials.CredentialStore().load()
    assert "not json" not in str(refused.value)
