"""Errors raised by device adapters. Leaf package: the core maps them to user messages."""


class DeviceError(Exception):
    """Base of every device failure."""


class DeviceUnavailable(DeviceError):
    """The device or its service (pcscd, the printer's socket) cannot be reached."""


class ReaderServiceDown(DeviceUnavailable):
    """The PC/SC service (pcscd) is not running or stopped answering."""


class NoReader(DeviceUnavailable):
    """No card reader matching the configured name pattern is attached."""


class CardRemoved(DeviceError):
    """The card left the reader before the operation finished."""


class CardCommunicationError(DeviceError):
    """The card did not answer, or answered something the protocol does not allow."""


class NotAnIdCard(DeviceError):
    """The card in the reader does not carry the RID-1 application."""


class CardStatusError(CardCommunicationError):
    """The card answered an unexpected status word."""

    def __init__(self, command: str, sw: int) -> None:
        super().__init__(f"{command} failed with status word {sw:04X}")
        self.command = command
        self.sw = sw


class PrinterError(DeviceError):
    """The receipt printer failed."""


class PrinterOffline(PrinterError, DeviceUnavailable):
    """The printer cannot be reached or reports itself offline."""


class PaperOut(PrinterError):
    """The printer has no paper."""


class CoverOpen(PrinterError):
    """The printer's cover is open."""


class ReaderNotResponding(DeviceUnavailable):
    """A call into the reader (its vendor library) did not return within its time limit."""


class VendorLibraryError(DeviceUnavailable):
    """The reader's vendor library cannot be loaded or lacks the functions of its API."""


class SecurityModuleRejected(DeviceError):
    """A certified reader's security module refused the card as not genuine.

    Attributes:
        status: The library's return code (e.g. ``0x31`` card authentication failed).
    """

    def __init__(self, status: int) -> None:
        super().__init__(f"the reader's security module refused the card (0x{status:02X})")
        self.status = status


class CardAlreadyRead(DeviceError):
    """The card was read already since it was placed: it must leave the field first."""


class PhotoNotDecodable(DeviceError):
    """The reader vendor's decoder could not turn a card's photo block into a bitmap."""


class CameraUnavailable(DeviceUnavailable):
    """The camera cannot be opened, or stopped sending frames (unplugged, stream closed)."""
