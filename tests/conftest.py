"""Test-suite settings shared by every test: offscreen Qt, no real keyring, shared fixtures."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Before anything imports Qt: tests never need a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# python-escpos re-reads its printer database into a new temp dir at every import otherwise;
# the folder must exist before escpos is imported.
_ESCPOS_CACHE = Path(tempfile.gettempdir()) / "kiosk-tests-escpos-cache"
_ESCPOS_CACHE.mkdir(exist_ok=True)
os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(_ESCPOS_CACHE))

import pytest

from simulators.card_factory import IssuerCA

pytest_plugins = [
    "tests.fixtures.certified_reader",
    "tests.fixtures.kiosk",
    "tests.fixtures.pcsc",
    "tests.fixtures.platform",
    "tests.fixtures.printer",
    "tests.support.logfail",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses Qt as ``gui`` so ``-m 'not gui'`` runs the pure suite."""
    for item in items:
        if {"qtbot", "qapp"} & set(getattr(item, "fixturenames", ())):
            item.add_marker("gui")


@pytest.fixture
def issuer_ca_certs(issuer_ca: IssuerCA) -> list[bytes]:
    """The platform simulator trusts the issuer of the virtual cards."""
    return [issuer_ca.cert_der]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger back as it was: code under test may install the kiosk's handlers."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
