"""Certified-reader simulator: stand-ins for a certified ID reader's vendor libraries.

``sdtapi_stub.c`` plays the reader with its security module (the sdtapi ABI of
``devices.vendor_reader.SdtApi``), ``wlt_stub.c`` the vendor's photo decoder (``unpack``,
for ``devices.vendor_reader.WltDecoder``). ``build.build_libraries`` compiles them with gcc
into a cache; ``control`` drives them through ctypes (modes, card on the reader, card kind,
holder block, photo) for the tests and the demo. Every holder is invented, and the photo
block is a made-up stand-in for the vendor's proprietary WLT format.
"""

from simulators.certified_reader.build import (
    CompilerNotFound,
    StubBuildError,
    StubLibraries,
    build_libraries,
)
from simulators.certified_reader.control import (
    CARD_KINDS,
    DECODER_MODES,
    DEFAULT_CARDS,
    READER_MODES,
    CertifiedReaderSimulator,
    SdtapiStub,
    WltStub,
    chip_photo,
    photo_block,
    text_block,
)

__all__ = [
    "CARD_KINDS",
    "DECODER_MODES",
    "DEFAULT_CARDS",
    "READER_MODES",
    "CertifiedReaderSimulator",
    "CompilerNotFound",
    "SdtapiStub",
    "StubBuildError",
    "StubLibraries",
    "WltStub",
    "build_libraries",
    "chip_photo",
    "photo_block",
    "text_block",
]
