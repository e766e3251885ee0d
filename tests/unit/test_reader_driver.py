"""Staff see which pcsc-lite driver serves a reader: static readers and USB bundles."""

from __future__ import annotations

import plistlib
from pathlib import Path

from devices import pcsc_reader


def test_static_and_bundle_drivers_are_found(tmp_path: Path) -> None:
    conf = tmp_path / "reader.conf.d"
    conf.mkdir()
    (conf / "vpcd").write_text(
        '# a comment\nFRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:0x8C7B\n'
        "LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\n",
        encoding="utf-8",
    )
    bundle = tmp_path / "drivers" / "ifd-ccid.bundle" / "Contents"
    bundle.mkdir(parents=True)
    (bundle / "Info.plist").write_bytes(
        plistlib.dumps(
            {
                "ifdFriendlyName": ["ACS ACR 38U-CCID", "Generic USB Smart Card Reader"],
                "CFBundleShortVersionString": "1.5.2",
            }
        )
    )
    (tmp_path / "drivers" / "broken.bundle" / "Contents").mkdir(parents=True)
    (tmp_path / "drivers" / "broken.bundle" / "Contents" / "Info.plist").write_bytes(b"<junk")

    def driver(name: str) -> str | None:
        return pcsc_reader.driver_for(name, conf_dir=conf, drivers_dir=tmp_path / "drivers")

    assert driver("Virtual PCD 00 00") == "libifdvpcd.so"
    assert driver("Generic USB Smart Card Reader [CCID Interface] 01 00") == "ifd-ccid.bundle 1.5.2"
    assert driver("Unknown Reader 00 00") is None


def test_missing_folders_mean_unknown(tmp_path: Path) -> None:
    assert pcsc_reader.driver_for("X", conf_dir=tmp_path / "a", drivers_dir=tmp_path / "b") is None
