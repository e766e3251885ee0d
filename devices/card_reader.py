"""Card reader interface: what the core needs from any reader back-end.

Thread affinity: ``CardReader.start`` calls ``on_event`` from the reader's own monitor
thread, never from the caller's. ``CardConnection`` methods block; call them from a worker
thread, never from the GUI thread.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Protocol


@dataclasses.dataclass(frozen=True)
class CardInserted:
    """A card is present in ``reader``. Only the ATR is known: nothing has been read."""

    reader: str
    atr: bytes


@dataclasses.dataclass(frozen=True)
class CardRemoved:
    """The card left ``reader``."""

    reader: str


@dataclasses.dataclass(frozen=True)
class ReaderUnavailable:
    """No usable reader: ``reason`` is ``"service_down"`` or ``"no_reader"``.

    A vendor-library reader (``devices.vendor_reader``) also says ``"not_responding"``: a call
    into its library did not return in time.
    """

    reason: str


CardEvent = CardInserted | CardRemoved | ReaderUnavailable


@dataclasses.dataclass(frozen=True)
class Response:
    """One response APDU: data plus the two status bytes."""

    data: bytes
    sw1: int
    sw2: int

    @property
    def sw(self) -> int:
        """Status word as one integer, e.g. ``0x9000``."""
        return (self.sw1 << 8) | self.sw2


class CardConnection(Protocol):
    """An open connection to the card in one reader."""

    def transmit(self, apdu: bytes) -> Response:
        """Send one command APDU and return the card's raw answer (no 61XX/6CXX handling).

        Raises:
            devices.errors.CardRemoved: The card left the reader.
            devices.errors.CardCommunicationError: Transport failure.
        """
        ...

    def close(self) -> None:
        """Release the card. Safe to call twice."""
        ...


class CardReader(Protocol):
    """A source of card events and card connections."""

    def start(self, on_event: Callable[[CardEvent], None]) -> None:
        """Start watching readers; ``on_event`` is called from the monitor thread."""
        ...

    def stop(self) -> None:
        """Stop watching and join the monitor thread."""
        ...

    def connect(self) -> CardConnection:
        """Connect to the card currently present (blocking).

        Raises:
            devices.errors.CardRemoved: No card is present.
            devices.errors.DeviceUnavailable: No reader, or pcscd is down.
        """
        ...


@dataclasses.dataclass(frozen=True, repr=False)
class SecurityModuleText:
    """The holder's text as a certified reader (``devices.vendor_reader``) returned it, decoded
    but not yet checked (``kiosk.card.identity``)."""

    name: str
    sex: str
    ethnicity: str
    birth_date: str
    address: str
    id_number: str
    issuing_authority: str
    valid_from: str
    valid_until: str

    def __repr__(self) -> str:
        # Personal data: never let it reach a log through repr().
        return f"SecurityModuleText(<{len(self.id_number)}-char id, {len(self.name)}-char name>)"


@dataclasses.dataclass(frozen=True)
class ReaderSlot:
    """One reader as its service sees it now, for staff diagnostics (nothing read from a card).

    Attributes:
        name: The reader's name as the service gives it.
        driver: The driver behind it, or ``"unknown"``.
        card_present: Whether a card is in it.
        atr: The card's ATR (empty without a card).
        in_use: Whether this is the reader the kiosk takes cards from.
    """

    name: str
    driver: str
    card_present: bool
    atr: bytes
    in_use: bool
