"""A pcscd with the vpcd virtual readers, for the demo and the tests.

Uses a pcscd that already answers (a systemd machine runs one from ``pcscd.socket``), or
starts ``pcscd --foreground`` as a child process and stops it afterwards. ``--auto-exit`` is
never used: it quits after 60 s without clients, before a later card connects.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from devices import errors as device_errors
from devices import pcsc_reader

VPCD_READER = "Virtual PCD 00 00"
VPCD_PORT = 35963  # vpcd's fixed port for that reader: two runs at once clash here
START_TIMEOUT_S = 15.0


class PcscdError(RuntimeError):
    """pcscd is missing, has no vpcd readers, or did not start."""


class PcscdProcess:
    """A ``pcscd --foreground`` child process that can be stopped, killed and started again.

    The tests that take pcscd away from a running reader (service down, then back) need to
    own the daemon; the session's pcscd is one of these when the tests started it.

    Args:
        log_dir: Where ``pcscd.log`` goes (appended to across restarts).
    """

    def __init__(self, log_dir: Path | None = None) -> None:
        self.log_path = Path(log_dir or tempfile.mkdtemp(prefix="kiosk-pcscd-")) / "pcscd.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        """Whether the child process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start pcscd and return once it lists the vpcd reader.

        Raises:
            PcscdError: pcscd is missing, exits, or shows no vpcd reader in time.
            RuntimeError: Already running.
        """
        if self.running:
            raise RuntimeError("pcscd already running")
        # sbin is often not on a non-root PATH.
        path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"])
        binary = shutil.which("pcscd", path=path)
        if binary is None:
            raise PcscdError("pcscd is not installed: apt-get install pcscd vsmartcard-vpcd")
        with self.log_path.open("ab") as log:
            proc = subprocess.Popen([binary, "--foreground"], stdout=log, stderr=subprocess.STDOUT)
        self._proc = proc
        deadline = time.monotonic() + START_TIMEOUT_S
        while VPCD_READER not in list_readers()[1]:
            if proc.poll() is not None:
                self._proc = None
                raise PcscdError(
                    f"{binary} --foreground exited with {proc.returncode}:\n"
                    + self.log_path.read_text(errors="replace")
                )
            if time.monotonic() > deadline:
                self.stop()
                raise PcscdError(
                    f"pcscd did not show {VPCD_READER!r} within {START_TIMEOUT_S} s "
                    "(is vsmartcard-vpcd installed?):\n" + self.log_path.read_text(errors="replace")
                )
            time.sleep(0.05)  # polling interval while pcscd loads its drivers

    def stop(self, *, kill: bool = False) -> None:
        """Stop pcscd (SIGTERM, or SIGKILL to play a crash) and wait until it no longer answers.

        Safe to call when not running.
        """
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if kill:
            proc.kill()
        else:
            proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        deadline = time.monotonic() + START_TIMEOUT_S
        while list_readers()[0]:
            if time.monotonic() > deadline:
                raise PcscdError("pcscd still answers after its process ended")
            time.sleep(0.05)  # polling interval


@dataclasses.dataclass(frozen=True)
class PcscdInfo:
    """The pcscd in use: the virtual reader's name and port, and whether we started it.

    ``process`` is the child process when we started it (``None`` for a system pcscd, which
    must not be stopped by us).
    """

    reader: str
    port: int
    started_here: bool
    process: PcscdProcess | None = None


def list_readers() -> tuple[bool, list[str]]:
    """(pcscd answers, its readers)."""
    try:
        return True, pcsc_reader.list_readers()
    except device_errors.ReaderServiceDown:
        return False, []


@contextlib.contextmanager
def running(log_dir: Path | None = None) -> Iterator[PcscdInfo]:
    """Make sure a pcscd with the vpcd reader runs while the block runs.

    Raises:
        PcscdError: with what to install or do, when that cannot be arranged.
    """
    answers, readers = list_readers()
    if answers:
        if VPCD_READER not in readers:
            raise PcscdError(
                f"a pcscd is running but has no {VPCD_READER!r} reader (readers: {readers}). "
                "Install vsmartcard-vpcd and restart pcscd (systemctl restart pcscd), or stop "
                "it so that a new one is started."
            )
        yield PcscdInfo(VPCD_READER, VPCD_PORT, started_here=False)
        return

    process = PcscdProcess(log_dir)
    process.start()
    try:
        yield PcscdInfo(VPCD_READER, VPCD_PORT, started_here=True, process=process)
    finally:
        process.stop()
