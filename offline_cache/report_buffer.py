"""The current resident's verified report, kept sealed for a reprint after a printer fault.

One file, ``<data_dir>/report-buffer.bin``: a magic, the Unix time it was stored, a nonce and
the AES-256-GCM ciphertext. The time is part of the AAD, so it cannot be moved forward to
stretch the TTL. The file is written atomically (temp file, fsync, rename) with mode 0600,
overwritten and removed by ``wipe`` (session end), by ``get``/``expire`` once the TTL has
passed, and when the buffer is constructed (start-up: whatever a crash left is removed). Even a
copy that escaped deletion (a journaling file system, an SSD's spare blocks) is ciphertext
without the keyring key.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import pathlib
import struct
import threading
import time
from collections.abc import Callable

from offline_cache import crypto
from offline_cache.errors import CacheError, DiskFull
from offline_cache.keys import KeyProvider

log = logging.getLogger(__name__)

DEFAULT_TTL_S = 600.0
FILE_NAME = "report-buffer.bin"
_MAGIC = b"KRB1"
_HEADER = struct.Struct(">4sd")  # magic, stored_at (Unix seconds)
# A stored time this far in the future means the clock was moved back: treat it as expired.
_CLOCK_SLACK_S = 60.0


class ReportBuffer:
    """Holds at most one report, sealed, for ``ttl_s`` seconds.

    Args:
        data_dir: Folder of the buffer file (created 0700 if missing).
        keys: Gives the AES-256 key (its own keyring entry, not the outbox's).
        ttl_s: How long a report may be reprinted.
        clock: Unix time.

    Raises:
        offline_cache.errors.CacheError: The start-up wipe failed.
    """

    def __init__(
        self,
        data_dir: pathlib.Path,
        keys: KeyProvider,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        self._dir = pathlib.Path(data_dir)
        self._dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = self._dir / FILE_NAME
        self._keys = keys
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        # Start-up: a crash may have left a report (or a half-written temp file) behind.
        for leftover in self._dir.glob(FILE_NAME + "*"):
            self._shred(leftover)

    @staticmethod
    def _aad(stored_at: float) -> bytes:
        return _HEADER.pack(_MAGIC, stored_at)

    def put(self, report: bytes) -> None:
        """Keep ``report`` (replacing any other) until the TTL passes or ``wipe``.

        Raises:
            offline_cache.errors.DiskFull: No space: nothing was kept (a reprint then needs
                the platform again).
            offline_cache.errors.KeyUnavailable: The key cannot be read.
            offline_cache.errors.CacheError: The file cannot be written.
        """
        stored_at = self._clock()
        header = self._aad(stored_at)
        nonce, sealed = crypto.seal(self._keys.key(), report, header)
        data = header + nonce + sealed
        tmp = self.path.with_name(f"{FILE_NAME}.tmp{os.getpid()}")
        with self._lock:
            try:
                # 0600 from the first byte: the mode is set at creation, not after writing.
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
                    os.fsync(fd)
                finally:
                    os.close(fd)
                tmp.replace(self.path)
                self._fsync_dir()
            except OSError as exc:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise DiskFull("disk full: the report could not be kept for reprint") from exc
                raise CacheError(f"report buffer cannot be written: {exc.strerror}") from exc

    def get(self) -> bytes | None:
        """The kept report, or None (none, expired, or unreadable; the latter two are wiped).

        Raises:
            offline_cache.errors.KeyUnavailable: The key cannot be read.
        """
        with self._lock:
            try:
                data = self.path.read_bytes()
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise CacheError(f"report buffer cannot be read: {exc.strerror}") from exc
            size = _HEADER.size
            if len(data) < size + crypto.NONCE_LENGTH:
                self._shred(self.path)
                return None
            magic, stored_at = _HEADER.unpack(data[:size])
            if magic != _MAGIC or self._expired(stored_at):
                self._shred(self.path)
                return None
            nonce = data[size : size + crypto.NONCE_LENGTH]
            plain = crypto.unseal(
                self._keys.key(), nonce, data[size + crypto.NONCE_LENGTH :], data[:size]
            )
            if plain is None:
                log.warning("report buffer does not decrypt: wiped")
                self._shred(self.path)
            return plain

    def expire(self) -> bool:
        """Wipe the report if its TTL has passed (call it from a timer); True if wiped."""
        with self._lock:
            try:
                with self.path.open("rb") as f:
                    head = f.read(_HEADER.size)
            except FileNotFoundError:
                return False
            if len(head) == _HEADER.size:
                magic, stored_at = _HEADER.unpack(head)
                if magic == _MAGIC and not self._expired(stored_at):
                    return False
            self._shred(self.path)
            return True

    def wipe(self) -> None:
        """Remove the report now (session end)."""
        with self._lock:
            self._shred(self.path)

    def _expired(self, stored_at: float) -> bool:
        age = self._clock() - stored_at
        return age > self.ttl_s or age < -_CLOCK_SLACK_S

    def _fsync_dir(self) -> None:
        fd = os.open(self._dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _shred(self, path: pathlib.Path) -> None:
        """Overwrite with zeros, then unlink; a missing file is fine."""
        try:
            size = path.stat().st_size
            with path.open("r+b") as f:
                f.write(b"\0" * size)
                f.flush()
                os.fsync(f.fileno())
            path.unlink()
            self._fsync_dir()
        except FileNotFoundError:
            return
        except OSError as exc:
            # Unlinking is what matters; zeroing is a courtesy on top of the encryption.
            log.warning("report buffer overwrite failed: %s", exc.strerror)
            try:
                path.unlink(missing_ok=True)
            except OSError as unlink_exc:
                raise CacheError(
                    f"report buffer cannot be removed: {unlink_exc.strerror}"
                ) from unlink_exc
