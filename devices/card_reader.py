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


@dataclasses.dataclass(frozen=True)
class ReaderReady:
    """A usable reader is watched: at start, and again after ``ReaderUnavailable`` (plugged
    back, the PC/SC service back, the library answering again)."""

    reader: str


CardEvent = CardInserted | CardRemoved | ReaderUnavailable | ReaderReady


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


#: ``SecurityModuleText.document``: 居民身份证, the resident ID card.
DOCUMENT_RESIDENT_ID = "resident_id"
#: 港澳台居民居住证, the Hong Kong, Macao and Taiwan residents' residence permit.
DOCUMENT_HMT_RESIDENCE_PERMIT = "hmt_residence_permit"
#: 外国人永久居留身份证, the foreigner's permanent residence ID card (both kinds: the pre-2023
#: one has a 15-character number, the 2023 one an 18-character number starting with 9).
DOCUMENT_FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident"
DOCUMENTS = (
    DOCUMENT_RESIDENT_ID,
    DOCUMENT_HMT_RESIDENCE_PERMIT,
    DOCUMENT_FOREIGN_PERMANENT_RESIDENT,
)


@dataclasses.dataclass(frozen=True, repr=False)
class SecurityModuleText:
    """The holder's text as a certified reader (``devices.vendor_reader``) returned it, decoded
    but not yet checked (``kiosk.card.identity``).

    Every value is the reader's field with its padding cut; a field the document does not
    have is ``""`` (a foreigner's card has no ethnicity, address or issuing authority; only a
    residence permit has ``permit_number`` and ``issue_count``; only a foreigner's card has
    ``english_name`` and ``nationality``).

    Attributes:
        name: The name in Chinese characters (a foreigner's card: the Chinese name, possibly
            empty).
        sex: ``1`` male, ``2`` female.
        ethnicity: GB/T 3304 code (resident ID cards only).
        birth_date: ``YYYYMMDD``.
        address: Resident ID cards and residence permits.
        id_number: 18 characters; 15 on a foreigner's card of the pre-2023 kind.
        issuing_authority: Resident ID cards and residence permits.
        valid_from: ``YYYYMMDD``.
        valid_until: ``YYYYMMDD`` or ``长期``.
        document: One of ``DOCUMENTS``, from the block's card-type character.
        english_name: A foreigner's card: the name in Latin letters.
        nationality: A foreigner's card: ISO 3166-1 alpha-3 code (e.g. ``DNK``).
        permit_number: A residence permit: the number of its holder's travel permit (通行证).
        issue_count: A residence permit: how many times it has been issued.
    """

    name: str
    sex: str
    ethnicity: str
    birth_date: str
    address: str
    id_number: str
    issuing_authority: str
    valid_from: str
    valid_until: str
    document: str = DOCUMENT_RESIDENT_ID
    english_name: str = ""
    nationality: str = ""
    permit_number: str = ""
    issue_count: str = ""

    def __repr__(self) -> str:
        # Personal data: never let it reach a log through repr().
        return (
            f"SecurityModuleText({self.document}, <{len(self.id_number)}-char id, "
            f"{len(self.name)}-char name>)"
        )


@dataclasses.dataclass(frozen=True, repr=False)
class CertifiedReading:
    """One reading of a card by a certified reader: its holder's text and its photo block.

    Attributes:
        text: The decoded holder text.
        photo_block: The reader's photo block exactly as it gave it (1024 bytes of the
            vendor's compressed format; ``VendorCardReader.decode_photo`` turns it into a
            bitmap). Personal data: kept in memory only, never written anywhere, and gone
            with the session.
    """

    text: SecurityModuleText
    photo_block: bytes

    def __repr__(self) -> str:
        # Personal data: never let it reach a log through repr().
        return f"CertifiedReading({self.text!r}, <{len(self.photo_block)}-byte photo block>)"


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
