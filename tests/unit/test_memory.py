"""The kiosk's malloc settings hold in a real process: arenas capped, freed pages returned."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiosk import memory

# A child process starts eight threads that stay alive together (each thread's first malloc
# takes an arena of its own while glibc's limit allows) and counts the arenas malloc_info lists.
_COUNT_ARENAS = textwrap.dedent(
    """
    import ctypes, re, sys, tempfile, threading
    from kiosk import memory

    if sys.argv[1] == "limited":
        assert memory.limit_arenas()
    hold = threading.Barrier(9)
    threads = [threading.Thread(target=lambda: (bytearray(100_000), hold.wait())) for _ in range(8)]
    for thread in threads:
        thread.start()
    libc = ctypes.CDLL(None)
    libc.fopen.restype = ctypes.c_void_p
    libc.fclose.argtypes = [ctypes.c_void_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    with tempfile.NamedTemporaryFile(suffix=".xml") as report:
        stream = libc.fopen(report.name.encode(), b"w")
        libc.malloc_info(0, stream)
        libc.fclose(stream)
        arenas = len(re.findall(r'<heap nr="\\d+">', open(report.name).read()))
    hold.wait()
    print(arenas)
    """
)


def _arenas(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _COUNT_ARENAS, mode],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_arenas_stay_at_two_however_many_threads_allocate() -> None:
    assert _arenas("default") > memory.MAX_ARENAS  # eight threads: glibc opens more
    assert _arenas("limited") <= memory.MAX_ARENAS


def test_freed_memory_goes_back_to_the_system() -> None:
    def resident_kb() -> int:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            line = next(line for line in status if line.startswith("RssAnon:"))
        return int(line.split()[1])

    # 160 MB in blocks below malloc's mmap threshold, every other one freed: the holes
    # (whole pages each) stay in the heap until they are trimmed.
    blocks = [bytearray(32_000) for _ in range(5_000)]
    del blocks[::2]
    before = resident_kb()
    memory.release_free_pages()
    assert before - resident_kb() > 40_000  # most of the ~80 MB freed is returned
