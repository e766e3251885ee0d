"""Compile the certified-reader simulator's C libraries (``sdtapi_stub.c``, ``wlt_stub.c``).

Each library is built with gcc (``-shared -fPIC -std=c11 -O1``) into a cache directory and
named by a hash of its source, its build flags and the machine, so a changed source builds
again and an unchanged one is reused (by tests and the demo alike). The default cache is
``$XDG_CACHE_HOME/kiosk-certified-reader/`` (``~/.cache/kiosk-certified-reader/``).
``tools/bootstrap.sh`` installs gcc.

Run ``python -m simulators.certified_reader [DIR]`` to build and print the paths.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parent
SDTAPI_SOURCE = SOURCE_DIR / "sdtapi_stub.c"
WLT_SOURCE = SOURCE_DIR / "wlt_stub.c"
CFLAGS: tuple[str, ...] = ("-shared", "-fPIC", "-std=c11", "-O1", "-Wall", "-Wextra")
#: Define for ``sdtapi_stub.c``: build it without ``SDT_GetSAMIDToStr`` (older libraries).
WITHOUT_SAMID = "SDTAPI_STUB_WITHOUT_SAMID"


class StubBuildError(RuntimeError):
    """A simulator library could not be built."""


class CompilerNotFound(StubBuildError):
    """The C compiler (gcc) is not installed."""


@dataclasses.dataclass(frozen=True)
class StubLibraries:
    """The built simulator libraries.

    Attributes:
        sdtapi: The reader's vendor library stand-in (``devices.vendor_reader.SdtApi``).
        wlt: The photo decoder stand-in (``devices.vendor_reader.WltDecoder``).
    """

    sdtapi: Path
    wlt: Path


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/kiosk-certified-reader``, or under ``~/.cache``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kiosk-certified-reader"


def compile_library(
    source: Path,
    out_dir: Path | None = None,
    *,
    defines: Sequence[str] = (),
    compiler: str = "gcc",
) -> Path:
    """Build ``source`` into a shared library in ``out_dir`` unless it is built already.

    Args:
        source: The C file.
        out_dir: The cache directory (created if needed); ``default_cache_dir()`` if None.
        defines: Preprocessor names to define (``-D``), e.g. ``WITHOUT_SAMID``.
        compiler: The compiler's name or path.

    Returns:
        The library's path, ``lib<source stem>-<hash>.so``.

    Raises:
        CompilerNotFound: ``compiler`` is not installed.
        StubBuildError: The source does not compile.
    """
    gcc = shutil.which(compiler)
    if gcc is None:
        raise CompilerNotFound(
            f"{compiler} is needed to build the certified-reader simulator "
            "(tools/bootstrap.sh installs gcc)"
        )
    flags = [*CFLAGS, *(f"-D{name}" for name in defines)]
    digest = hashlib.sha256()
    digest.update(source.read_bytes())
    digest.update("\0".join([*flags, platform.machine()]).encode())
    directory = default_cache_dir() if out_dir is None else out_dir
    target = directory / f"lib{source.stem}-{digest.hexdigest()[:20]}.so"
    if target.exists():
        return target
    directory.mkdir(parents=True, exist_ok=True)
    # Built under a temporary name and renamed: a concurrent build or a reader of the cache
    # never sees half a library.
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{target.stem}-", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        result = subprocess.run(
            [gcc, *flags, "-o", str(tmp), str(source)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise StubBuildError(f"{source.name} does not compile:\n{result.stderr}")
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def build_libraries(out_dir: Path | None = None, *, compiler: str = "gcc") -> StubLibraries:
    """Both simulator libraries, built (or taken from the cache) in ``out_dir``.

    Raises:
        CompilerNotFound: gcc is not installed.
        StubBuildError: A source does not compile.
    """
    return StubLibraries(
        sdtapi=compile_library(SDTAPI_SOURCE, out_dir, compiler=compiler),
        wlt=compile_library(WLT_SOURCE, out_dir, compiler=compiler),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Build the libraries (into the directory given, else the cache) and print their paths."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        libs = build_libraries(Path(args[0]) if args else None)
    except StubBuildError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"sdtapi {libs.sdtapi}\nwlt    {libs.wlt}")
    return 0
