"""A stand-in for cage in tools/systemd_check.sh: the unit's main process, which starts the
kiosk as its one client, never talks to systemd, and exits when the client exits, with its
status (as cage does). It lets a machine without a GPU or a seat check what the unit's
watchdog does when the process that pings is not the main process.

    python -m tools.cage_standin COMMAND [ARGS...]
"""

from __future__ import annotations

import signal
import subprocess
import sys


def main(argv: list[str]) -> int:
    """Run ``argv`` as the one client; pass SIGTERM on; exit with its status."""
    client = subprocess.Popen(argv)
    signal.signal(signal.SIGTERM, lambda _sig, _frame: client.terminate())
    status = client.wait()
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
