"""Configuration: defaults work, and every mistake is named by its key, all at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import config, errors

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "kiosk.example.toml"


def test_the_documented_example_is_valid_and_equals_the_defaults() -> None:
    assert config.load_config(EXAMPLE) == config.KioskConfig()


def test_every_problem_is_reported_with_its_key() -> None:
    with pytest.raises(errors.ConfigError) as caught:
        config.parse_config(
            {
                "printer": {"port": "9100", "paper_width_mm": 60, "colour": "red"},
                "timeouts": {"consent_s": -5},
                "scanner": {},
            }
        )
    problems = caught.value.problems
    assert any(p.startswith("printer.port: expected int") for p in problems)
    assert any(p.startswith("printer.paper_width_mm: 60 is not one of 58, 80") for p in problems)
    assert any(p.startswith("printer.colour: unknown key") for p in problems)
    assert any(p.startswith("timeouts.consent_s: must not be negative") for p in problems)
    assert any(p.startswith("scanner: unknown section") for p in problems)


def test_cross_checks_name_the_key() -> None:
    with pytest.raises(errors.ConfigError) as caught:
        config.parse_config(
            {"platform": {"url": "http://platform.example"}, "printer": {"connection": "usb"}}
        )
    text = str(caught.value)
    assert "platform.url: production mode needs https://" in text
    assert "printer.usb_vendor_id/usb_product_id: required" in text


def test_a_missing_ca_bundle_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(errors.ConfigError, match=r"platform.ca_bundle: no such file"):
        config.parse_config({"platform": {"ca_bundle": str(tmp_path / "nope.pem")}})


def test_integers_are_accepted_where_seconds_are_floats() -> None:
    cfg = config.parse_config({"timeouts": {"done_s": 5}, "printer": {"paper_width_mm": 58}})
    assert cfg.timeouts.done_s == 5.0
    assert cfg.printer.columns == 32


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[printer\nport = 1", "not valid TOML"),
        ("[printer]\nport = -1\n", "printer.port: must not be negative"),
    ],
)
def test_the_cli_explains_a_bad_file_without_a_traceback(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(content, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "kiosk.app.cli", "check-config", "--config", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_the_cli_reports_a_missing_file(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk.app.cli",
            "check-config",
            "--config",
            str(tmp_path / "x.toml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "file not found" in result.stderr


def test_a_configuration_written_out_reads_back_the_same(tmp_path: Path) -> None:
    cfg = config.parse_config(
        {
            "platform": {"url": "https://platform.example:8443/base", "read_timeout_s": 12.5},
            "reader": {"name_pattern": r"Virtual PCD 00 00|\"quoted\" \\ reader"},
            "printer": {"paper_width_mm": 58, "port": 9101},
            "elder_mode": {"default_on": True},
            "terminal": {"hotline": "0511-12345 转 2"},
        }
    )
    path = tmp_path / "kiosk.toml"
    path.write_text(config.to_toml(cfg), encoding="utf-8")
    assert config.load_config(path) == cfg


def test_the_vendor_reader_needs_an_existing_library(tmp_path: Path) -> None:
    with pytest.raises(errors.ConfigError, match=r"reader.vendor_library: the vendor backend"):
        config.parse_config({"reader": {"backend": "vendor", "vendor_library": "libsdtapi.so"}})
    library = tmp_path / "libsdtapi.so"
    library.write_bytes(b"")
    cfg = config.parse_config(
        {"reader": {"backend": "vendor", "vendor_library": str(library), "vendor_port": 1002}}
    )
    from devices import vendor_reader
    from kiosk.app import composition

    reader = composition.build_reader(cfg.reader)
    assert isinstance(reader, vendor_reader.VendorCardReader)
    assert reader.port == 1002


def test_offline_settings_are_checked() -> None:
    with pytest.raises(errors.ConfigError) as caught:
        config.parse_config(
            {
                "offline": {
                    "outbox_max_items": 0,
                    "probe_interval_s": 0,
                    "backoff_base_s": 10,
                    "backoff_max_s": 5,
                }
            }
        )
    problems = caught.value.problems
    assert "offline.outbox_max_items: must be at least 1" in problems
    assert "offline.probe_interval_s: must be more than 0" in problems
    assert "offline.backoff_max_s: must be at least offline.backoff_base_s" in problems
    assert config.parse_config({"offline": {"heartbeat_interval_s": 60}}).offline == (
        config.OfflineConfig(heartbeat_interval_s=60.0)
    )


def test_voice_settings_are_checked_key_by_key() -> None:
    with pytest.raises(errors.ConfigError) as caught:
        config.parse_config({"voice": {"engine": "festival", "volume": "loud", "pitch": 50}})
    problems = caught.value.problems
    assert "voice.engine: 'festival' is not one of 'espeak-ng', 'none'" in problems
    assert "voice.volume: expected int, got str 'loud'" in problems
    assert any(
        p.startswith("voice.pitch: unknown key (known: engine, rate_wpm, volume)") for p in problems
    )
    with pytest.raises(errors.ConfigError) as caught:
        config.parse_config({"voice": {"rate_wpm": 500, "volume": 201}})
    assert caught.value.problems == [
        "voice.rate_wpm: must be between 80 and 300 words a minute, got 500",
        "voice.volume: must be between 0 and 200, got 201",
    ]
    with pytest.raises(errors.ConfigError, match=r"voice.volume: must not be negative"):
        config.parse_config({"voice": {"volume": -1}})
    with pytest.raises(errors.ConfigError, match=r"voice.rate_wpm: expected int, got float"):
        config.parse_config({"voice": {"rate_wpm": 145.0}})
    assert config.parse_config({"voice": {"engine": "none", "rate_wpm": 80}}).voice == (
        config.VoiceConfig(engine="none", rate_wpm=80)
    )
