"""Test-suite settings shared by every test: offscreen Qt, no real keyring, shared fixtures."""

from __future__ import annotations

import os

# Before anything imports Qt: tests never need a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# python-escpos re-reads its printer database into a new temp dir at every import otherwise.
os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", "/tmp/kiosk-tests-escpos-cache")

import pytest

pytest_plugins = [
    "tests.fixtures.pcsc",
    "tests.fixtures.platform",
    "tests.fixtures.printer",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses Qt as ``gui`` so ``-m 'not gui'`` runs the pure suite."""
    for item in items:
        if {"qtbot", "qapp"} & set(getattr(item, "fixturenames", ())):
            item.add_marker("gui")
