"""`kiosk run` as a child process, as its systemd unit starts it (tests/e2e/test_service_unit.py):
the configuration in a file, the terminal secret in ``$CREDENTIALS_DIRECTORY``, offscreen Qt,
and systemd's end of ``NOTIFY_SOCKET`` in the test (``NotifyListener``) to know when the kiosk
is ready, what it is doing (``STATUS=``: idle, serving a resident) and that it is alive (the
watchdog pings from its GUI thread).

The offline cache's keys live in a keyring that outlives the process (``keyring="file"``:
``tests.support.file_keyring``), as a hall's desktop keyring does, or in none at all
(``keyring="unit"``: the ``fail`` backend that deploy/credit-kiosk@.service pins, the keys
given as systemd credentials as the unit gives them).
"""

from __future__ import annotations

import base64
import dataclasses
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pytest

from kiosk import config as kiosk_config
from kiosk.platform import credentials
from offline_cache import keys
from simulators import demo
from simulators.platform_server import PlatformSimulator
from tests.support import file_keyring

REPO_ROOT = Path(__file__).resolve().parents[2]
PING_USEC = 1_000_000  # WatchdogSec=1: a ping every 0.5 s
READY_TIMEOUT_S = 60.0
UNIT_KEYRING = "keyring.backends.fail.Keyring"  # what deploy/credit-kiosk@.service pins
Keyring = Literal["file", "unit"]


class NotifyListener:
    """systemd's end of ``NOTIFY_SOCKET``: every datagram, with when it came."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        assert len(self.path) < 100, f"socket path too long for AF_UNIX: {self.path}"
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(self.path)
        self._sock.settimeout(0.05)
        self.messages: list[tuple[float, str]] = []
        self._empty_polls = 0  # reads that found nothing waiting
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._sock.recv(4096)
            except TimeoutError:
                with self._lock:
                    self._empty_polls += 1
                continue
            with self._lock:
                self.messages.append((time.monotonic(), data.decode()))

    def drain(self, timeout_s: float = 5.0) -> None:
        """Return once every datagram sent before the call has been read (two empty reads
        since: the socket had nothing left)."""
        with self._lock:
            target = self._empty_polls + 2
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if self._empty_polls >= target:
                    return
            time.sleep(0.01)  # polling interval
        pytest.fail("the notify listener did not drain its socket")

    def texts(self) -> list[str]:
        with self._lock:
            return [text for _, text in self.messages]

    def ping_times(self) -> list[float]:
        with self._lock:
            return [at for at, text in self.messages if text == "WATCHDOG=1"]

    def statuses(self) -> list[str]:
        """Every ``STATUS=`` the kiosk sent, in order (the phase, nothing personal)."""
        found = []
        for text in self.texts():
            found += [line[7:] for line in text.splitlines() if line.startswith("STATUS=")]
        return found

    def first_time(self, text: str) -> float | None:
        """When a datagram holding ``text`` first came."""
        with self._lock:
            return next((at for at, t in self.messages if text in t), None)

    def wait_for(self, text: str, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if any(text in t for t in self.texts()):
                return
            time.sleep(0.02)  # polling interval
        pytest.fail(f"systemd never got {text!r} (got {self.texts()})")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()


@dataclasses.dataclass(frozen=True)
class Unit:
    """What the unit gives `kiosk run`: its configuration file and its environment."""

    cfg: kiosk_config.KioskConfig
    config_file: Path
    env: dict[str, str]
    folder: Path

    @property
    def data_dir(self) -> Path:
        return Path(self.cfg.paths.data_dir)

    @property
    def log_file(self) -> Path:
        return Path(self.cfg.paths.log_dir) / "kiosk.log"

    def log_text(self) -> str:
        return self.log_file.read_text(encoding="utf-8") if self.log_file.exists() else ""


def prepare_unit(
    folder: Path,
    cfg: kiosk_config.KioskConfig,
    platform: PlatformSimulator,
    *,
    keyring: Keyring = "file",
) -> Unit:
    """Enroll with ``platform`` into a systemd credential and write ``cfg`` to a file."""
    folder.mkdir(parents=True, exist_ok=True)
    config_file = folder / "kiosk.toml"
    config_file.write_text(kiosk_config.to_toml(cfg), encoding="utf-8")
    creds_dir = folder / "credentials"
    creds_dir.mkdir(mode=0o700)
    creds = demo.enroll(cfg, platform)
    (creds_dir / credentials.SYSTEMD_CREDENTIAL).write_text(
        credentials.encode(creds), encoding="utf-8"
    )
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(folder),
        "QT_QPA_PLATFORM": "offscreen",
        "WATCHDOG_USEC": str(PING_USEC),
        "CREDENTIALS_DIRECTORY": str(creds_dir),
        "PYTHONPATH": str(REPO_ROOT),
    }
    if "ESCPOS_CAPABILITIES_PICKLE_DIR" in os.environ:  # tests/conftest.py's cache
        env["ESCPOS_CAPABILITIES_PICKLE_DIR"] = os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"]
    if keyring == "file":
        env["PYTHON_KEYRING_BACKEND"] = file_keyring.BACKEND
        env[file_keyring.ENV] = str(folder / "keyring.json")
    else:
        # As the unit runs it: no keyring at all; the cache's keys are credentials too
        # (deploy/install.sh makes them once).
        env["PYTHON_KEYRING_BACKEND"] = UNIT_KEYRING
        for name in (keys.OUTBOX_KEY_NAME, keys.REPORT_BUFFER_KEY_NAME):
            key = base64.b64encode(secrets.token_bytes(keys.KEY_LENGTH)).decode()
            (creds_dir / f"{keys.CREDENTIAL_PREFIX}{name}").write_text(key, encoding="ascii")
    return Unit(cfg, config_file, env, folder)


class KioskProcess:
    """One `kiosk run`, optionally under ``wrapper`` (a command that ends by running the
    rest of its arguments, such as ``unshare ... sh -c '... exec "$@"'``)."""

    _count = 0

    def __init__(self, unit: Unit, wrapper: Sequence[str] = ()) -> None:
        KioskProcess._count += 1
        n = KioskProcess._count
        self.unit = unit
        self.listener = NotifyListener(unit.folder / f"notify-{n}")
        self.stderr_path = unit.folder / f"stderr-{n}.txt"
        argv = [*wrapper, sys.executable, "-m", "kiosk.app.cli"]
        argv += ["run", "--config", str(unit.config_file)]
        self.started = time.monotonic()
        with self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                argv,
                env={**unit.env, "NOTIFY_SOCKET": self.listener.path},
                cwd=REPO_ROOT,
                stdout=err,
                stderr=err,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> float:
        """Wait for READY=1; seconds from the start."""
        deadline = time.monotonic() + timeout_s
        while (at := self.listener.first_time("READY=1")) is None:
            if not self.alive():
                pytest.fail(f"kiosk exited with {self.process.returncode}:\n{self.stderr()}")
            if time.monotonic() > deadline:
                pytest.fail(f"kiosk not ready within {timeout_s} s:\n{self.stderr()}")
            time.sleep(0.02)  # polling interval
        return at - self.started

    def status(self) -> str:
        """What the kiosk last told systemd it is doing ("" before READY)."""
        statuses = self.listener.statuses()
        return statuses[-1] if statuses else ""

    def wait_status(self, status: str, timeout_s: float = 20.0, *, since: int = 0) -> float:
        """Wait until the kiosk says ``status`` (among its ``STATUS=`` from the ``since``-th
        on); seconds it took."""
        started = time.monotonic()
        deadline = started + timeout_s
        while status not in self.listener.statuses()[since:]:
            if not self.alive():
                pytest.fail(f"kiosk exited with {self.process.returncode}:\n{self.stderr()}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"kiosk never said {status!r} within {timeout_s} s "
                    f"(said {self.listener.statuses()})"
                )
            time.sleep(0.02)  # polling interval
        return time.monotonic() - started

    def pings_after(self, at: float) -> int:
        """Watchdog pings since ``at`` (``time.monotonic()``)."""
        return len([t for t in self.listener.ping_times() if t > at])

    def kill(self) -> None:
        """SIGKILL: no goodbye, no clean-up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, timeout_s: float = 30.0) -> int:
        """SIGTERM, as ``systemctl stop``; the exit status."""
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=timeout_s)
        self.listener.drain()  # its last words (STOPPING=1) read before anyone looks
        return status

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def close(self) -> None:
        """Kill the process if it still runs; stop listening."""
        if self.alive():
            self.process.kill()
            self.process.wait()
        self.listener.close()
