"""What the kiosk process forbids itself at start: no core dumps.

Card photos, camera frames and reports pass through the kiosk's memory; a core dump would put
them on disk in clear. The unit says ``LimitCORE=0`` too (deploy/), but the process makes sure
by itself, wherever it is started: the core limit is 0 and the process is not "dumpable", which
also keeps other processes of the same user from reading its memory (ptrace, /proc/PID/mem).
"""

from __future__ import annotations

import ctypes
import logging
import resource

log = logging.getLogger(__name__)

_PR_SET_DUMPABLE = 4
_PR_GET_DUMPABLE = 3


def forbid_core_dumps() -> None:
    """No core file, ever, and no peeking from other processes of the kiosk's user."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if _prctl(_PR_SET_DUMPABLE, 0) != 0:
        log.warning("the kiosk could not make itself non-dumpable (prctl refused)")


def dumpable() -> bool:
    """Whether a crash could leave a core file (false after ``forbid_core_dumps``)."""
    return _prctl(_PR_GET_DUMPABLE, 0) != 0 and resource.getrlimit(resource.RLIMIT_CORE)[0] != 0


def _prctl(option: int, arg: int) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.prctl(option, arg, 0, 0, 0))
