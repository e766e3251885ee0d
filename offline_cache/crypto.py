"""AES-256-GCM sealing of one value: a random 96-bit nonce per value, caller-chosen AAD.

The AAD binds a ciphertext to where it belongs (a row's kind, key and schema version, or the
report buffer's time), so a value copied to another row or file no longer decrypts.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_LENGTH = 12


def seal(key: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """Encrypt ``plaintext``; returns ``(nonce, ciphertext_with_tag)``."""
    nonce = os.urandom(NONCE_LENGTH)
    return nonce, AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes | None:
    """Decrypt and authenticate; None when the key, AAD or bytes do not match."""
    if len(nonce) != NONCE_LENGTH:
        return None
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        return None
