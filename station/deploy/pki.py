"""The site's certificate authority and the broker's certificate (EC P-256).

The CA signs the broker's certificate; devices get only the CA certificate, to check
that the broker they reach is the site's. What exists is kept while it still fits: the
CA for its whole life, the broker's certificate while it covers the configured host,
was signed by this CA and has more than `RENEW_BEFORE` left.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from station.deploy import files

CA_DAYS = 3650
SERVER_DAYS = 825  # the longest life browsers and most TLS stacks accept for a leaf
RENEW_BEFORE = timedelta(days=30)
CLOCK_SKEW = timedelta(hours=1)  # a device whose clock is a little behind still accepts it


@dataclass(frozen=True)
class Paths:
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path

    @classmethod
    def under(cls, out: Path, secrets: Path) -> Paths:
        return cls(out / "ca.crt", secrets / "ca.key", out / "server.crt", secrets / "server.key")


def names_for(host: str) -> tuple[x509.GeneralName, ...]:
    """The broker's subject alternative names: the configured host, and the loopback
    names a client on the broker's own machine (sync, often) uses."""
    wanted: list[str] = [host, "localhost", "127.0.0.1"]
    names: list[x509.GeneralName] = []
    for value in dict.fromkeys(wanted):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(value)))
        except ValueError:
            names.append(x509.DNSName(value))
    return tuple(names)


def ensure(paths: Paths, site: str, host: str, now: datetime, *, renew: bool = False) -> None:
    ca_key = _key(paths.ca_key, renew=renew)
    ca_cert = _load_cert(paths.ca_cert)
    if renew or ca_cert is None or not _same_key(ca_cert, ca_key):
        ca_cert = _ca_cert(ca_key, site, now)
        files.write(paths.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM), files.PUBLIC)
    server_key = _key(paths.server_key, renew=renew)
    server_cert = _load_cert(paths.server_cert)
    if (
        renew
        or server_cert is None
        or not _fits(server_cert, server_key, ca_cert, names_for(host), now)
    ):
        server_cert = _server_cert(server_key, ca_key, ca_cert, host, now)
        pem = server_cert.public_bytes(serialization.Encoding.PEM)
        files.write(paths.server_cert, pem, files.PUBLIC)


def _key(path: Path, *, renew: bool) -> ec.EllipticCurvePrivateKey:
    if path.exists() and not renew:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(loaded, ec.EllipticCurvePrivateKey):
            files.write(path, path.read_bytes(), files.SECRET)  # mode only
            return loaded
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    files.write(path, pem, files.SECRET)
    return key


def _load_cert(path: Path) -> x509.Certificate | None:
    if not path.exists():
        return None
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except ValueError:
        return None


def _same_key(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> bool:
    def raw(public: object) -> bytes:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        return public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    return raw(cert.public_key()) == raw(key.public_key())


def _fits(
    cert: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
    ca: x509.Certificate,
    names: tuple[x509.GeneralName, ...],
    now: datetime,
) -> bool:
    if not _same_key(cert, key) or cert.issuer != ca.subject:
        return False
    try:
        cert.verify_directly_issued_by(ca)
    except (InvalidSignature, ValueError, TypeError):
        return False
    if cert.not_valid_after_utc - RENEW_BEFORE < now:
        return False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False  # not one of ours: issue a new one
    return set(names) <= set(san)


def _builder(
    subject: x509.Name, issuer: x509.Name, now: datetime, days: int
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + timedelta(days=days))
    )


def _ca_cert(key: ec.EllipticCurvePrivateKey, site: str, now: datetime) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Station site CA {site}")])
    public = key.public_key()
    return (
        _builder(name, name, now, CA_DAYS)
        .public_key(public)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _server_cert(
    key: ec.EllipticCurvePrivateKey,
    ca_key: ec.EllipticCurvePrivateKey,
    ca: x509.Certificate,
    host: str,
    now: datetime,
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    return (
        _builder(subject, ca.subject, now, SERVER_DAYS)
        .public_key(key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(list(names_for(host))), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
