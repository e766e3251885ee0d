"""A throw-away certificate authority so the demo platform speaks real HTTPS on loopback.

The kiosk never turns TLS verification off, not even for the demo: it trusts this CA's
certificate through ``ca_bundle``, exactly as it would trust a hall's private CA in production.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_CA_CERT = "ca.pem"
_CA_KEY = "ca-key.pem"
_SERVER_CERT = "server.pem"
_SERVER_KEY = "server-key.pem"

# Renew the server certificate well before it lapses so a long-running demo never breaks.
_RENEW_BEFORE = dt.timedelta(days=7)
_SERVER_NAMES = ("localhost",)
_SERVER_IPS = ("127.0.0.1", "::1")


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` atomically, readable by the owner only (key files)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    tmp.replace(path)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Credit kiosk demo"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def self_signed_ca(
    key: ec.EllipticCurvePrivateKey,
    name: x509.Name,
    not_before: dt.datetime,
    not_after: dt.datetime,
    *,
    digital_signature: bool = False,
) -> x509.Certificate:
    """A self-signed CA certificate (no intermediate CAs below it) for ``key``."""
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


class LocalCA:
    """A self-signed CA and one loopback server certificate, kept in ``directory``.

    Files are generated on first use and reused later, so a kiosk that trusted the CA once
    keeps trusting the simulator across restarts.

    Args:
        directory: Where the PEM files live; created if missing.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        ca_key, ca_cert = self._load_or_create_ca()
        self._ensure_server_cert(ca_key, ca_cert)

    @property
    def ca_bundle_path(self) -> str:
        """PEM file of the CA certificate: what a client passes as ``verify``."""
        return str(self.directory / _CA_CERT)

    @property
    def server_cert_path(self) -> str:
        """PEM file of the server certificate (loopback names and addresses)."""
        return str(self.directory / _SERVER_CERT)

    @property
    def server_key_path(self) -> str:
        """PEM file of the server's private key (mode 0600)."""
        return str(self.directory / _SERVER_KEY)

    def _load_or_create_ca(self) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        cert_path, key_path = self.directory / _CA_CERT, self.directory / _CA_KEY
        if cert_path.exists() and key_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            if isinstance(key, ec.EllipticCurvePrivateKey) and self._fresh(cert):
                return key, cert
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = self_signed_ca(
            key,
            _name("Credit kiosk demo CA"),
            now - dt.timedelta(days=1),
            now + dt.timedelta(days=3650),
        )
        _write_private(key_path, _pem_key(key))
        _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
        # A new CA invalidates any server certificate of the old one.
        (self.directory / _SERVER_CERT).unlink(missing_ok=True)
        return key, cert

    def _ensure_server_cert(self, ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate) -> None:
        cert_path, key_path = self.directory / _SERVER_CERT, self.directory / _SERVER_KEY
        if cert_path.exists() and key_path.exists():
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            if cert.issuer == ca.subject and self._fresh(cert):
                return
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        san = [x509.DNSName(n) for n in _SERVER_NAMES] + [
            x509.IPAddress(ipaddress.ip_address(a)) for a in _SERVER_IPS
        ]
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name("localhost"))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(key_path, _pem_key(key))
        _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))

    @staticmethod
    def _fresh(cert: x509.Certificate) -> bool:
        return cert.not_valid_after_utc - _RENEW_BEFORE > dt.datetime.now(dt.UTC)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
