"""How the kiosk process keeps its memory from creeping over months of sessions.

Two glibc settings, both no-ops where the C library is not glibc:

- **Two malloc arenas at most.** glibc gives a thread that meets another in ``malloc`` an
  arena of its own, up to eight per core, and an arena keeps the pages it once held. The
  kiosk's lanes (card, network, printing, face) and the speech thread allocate camera frames,
  photos and receipts; with the GIL handed over every millisecond they meet often, and the
  soak saw RSS rise in 3.6 MB steps (one 1280x720 frame) as new arenas opened. The limit must
  be set before those threads start: ``limit_arenas`` runs first thing in the process.
- **Free pages back to the system when a session ends.** ``release_free_pages`` asks glibc to
  hand the freed parts of every arena back (``malloc_trim``): the memory a resident's photo,
  frames and report used leaves the process instead of waiting for the next resident. It takes
  about 10 ms for a 340 MB heap and lets go of the GIL (a ctypes call), so it runs on a
  worker lane, never on the GUI thread.

The setting could as well be ``MALLOC_ARENA_MAX=2`` in the environment; set here, it holds for
``kiosk run``, the demo, the soak and the benchmarks alike, however they are started.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

MAX_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's malloc.h


def _glibc() -> ctypes.CDLL | None:
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "mallopt") or not hasattr(libc, "malloc_trim"):
        return None  # musl and others: their allocators behave differently
    return libc


def limit_arenas(arenas: int = MAX_ARENAS) -> bool:
    """Cap glibc's malloc arenas for the threads started from now on; False if not glibc or
    glibc refused."""
    libc = _glibc()
    if libc is None:
        return False
    if libc.mallopt(_M_ARENA_MAX, arenas) != 1:  # mallopt answers 1 on success
        log.warning("malloc arenas could not be limited to %d", arenas)
        return False
    return True


def release_free_pages() -> bool:
    """Give the freed memory of every malloc arena back to the system; True if some was."""
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.malloc_trim(0))
