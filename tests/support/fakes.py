"""Typed fakes of the flow's ports (``kiosk.flow.ports``), for tests that run no offline layer."""

from __future__ import annotations

from kiosk.platform.models import RepairGuide


class KeptGuides:
    """``ports.KeptContent``: the repair guides given, nothing else."""

    def __init__(self, *guides: RepairGuide) -> None:
        self._guides = {g.guide_id: g for g in guides}

    def repair_guide(self, guide_id: str) -> RepairGuide | None:
        """The kept guide, or None."""
        return self._guides.get(guide_id)


class CountingBuffer:
    """``ports.SealedBuffer``: counts the wipes (each session end asks for one)."""

    def __init__(self) -> None:
        self.wipes = 0

    def wipe(self) -> None:
        """Count one wipe."""
        self.wipes += 1
