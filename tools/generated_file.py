"""Write a generated file of the repository, or check that the committed one is current."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_or_check(path: Path, text: str, *, check: bool, command: str) -> int:
    """Write ``text`` to ``path``; with ``check``, write nothing and tell whether the committed
    file is ``text`` already. The exit status: 1 when the check finds the file out of date."""
    shown = path.relative_to(ROOT)
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{shown} is out of date: run {command}")
            return 1
        print(f"{shown} is up to date")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {shown} ({len(text.encode('utf-8')):,} bytes)")
    return 0
