"""The site's certificate authority and the broker's certificate (EC P-256).

The CA signs the broker's certificate; devices get only the CA certificate, to check
that the broker they reach is the site's. What exists is kept while it still fits: the
CA while it outlives what it would sign, the broker's certificate while it covers the
configured host, was signed by this CA, has the key usages TLS checks and has more than
`RENEW_BEFORE` left.

A CA certificate that expires before a broker certificate issued now would (within
`SERVER_DAYS` plus `RENEW_BEFORE`), or has expired, is renewed with the same key and
subject: the broker's certificate still verifies against the copy devices hold until
that copy expires, so every device has that long to receive the new ``ca.crt`` (any
`station deploy agent|kiosk` bundle carries it). `ensure` says so in what it returns.
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

# The CA signs certificates (and would sign revocation lists), nothing else.
CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)
# The broker's key is EC: it signs the TLS handshake (ECDHE-ECDSA, TLS 1.3) and may
# agree keys (static ECDH); key encipherment is an RSA usage, not set for an EC key.
SERVER_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=True,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


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


def ensure(
    paths: Paths, site: str, host: str, now: datetime, *, renew: bool = False
) -> tuple[str, ...]:
    """Make or keep the CA and the broker's certificate; returns what the operator
    must act on (a renewed CA certificate to give every device)."""
    ca_key = _key(paths.ca_key, renew=renew)
    ca_cert, notices = _ensure_ca(paths.ca_cert, ca_key, site, now, renew=renew)
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
    return notices


def _ensure_ca(
    path: Path, key: ec.EllipticCurvePrivateKey, site: str, now: datetime, *, renew: bool
) -> tuple[x509.Certificate, tuple[str, ...]]:
    kept = _load_cert(path)
    if kept is not None and not renew and _same_key(kept, key) and _is_our_ca(kept):
        if _outlives_what_it_signs(kept, now):
            return kept, ()
        renewed = _ca_cert(key, site, now, subject=kept.subject)
        files.write(path, renewed.public_bytes(serialization.Encoding.PEM), files.PUBLIC)
        return renewed, (_renewal_notice(kept, renewed, now, path.name),)
    made = _ca_cert(key, site, now)
    files.write(path, made.public_bytes(serialization.Encoding.PEM), files.PUBLIC)
    return made, ()


def _renewal_notice(old: x509.Certificate, new: x509.Certificate, now: datetime, name: str) -> str:
    ends = old.not_valid_after_utc
    until = f"{new.not_valid_after_utc:%Y-%m-%d}"
    if ends <= now:
        return (
            f"the site CA certificate expired on {ends:%Y-%m-%d}: renewed with the same "
            f"key, valid until {until}; devices refuse the broker until they have the new "
            f"{name}: deploy every device's bundle again now"
        )
    return (
        f"the site CA certificate expires on {ends:%Y-%m-%d}, before a broker certificate "
        f"issued now ({SERVER_DAYS} days) would: renewed with the same key, valid until "
        f"{until}; deploy every device's bundle again (the new {name}) before {ends:%Y-%m-%d}"
    )


def _outlives_what_it_signs(ca: x509.Certificate, now: datetime) -> bool:
    """A broker certificate issued now, renewed `RENEW_BEFORE` ahead, never outlives it."""
    return ca.not_valid_after_utc >= now + timedelta(days=SERVER_DAYS) + RENEW_BEFORE


def _is_our_ca(cert: x509.Certificate) -> bool:
    """A CA that may sign (BasicConstraints ca, KeyUsage keyCertSign): a certificate
    of an older deploy without them is issued again, with the same key."""
    try:
        basic = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return basic.ca and usage.key_cert_sign and usage.crl_sign


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
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
        extended = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False  # not one of ours (or of an older deploy): issue a new one
    if not (usage.critical and usage.value == SERVER_KEY_USAGE):
        return False
    return ExtendedKeyUsageOID.SERVER_AUTH in extended and set(names) <= set(san)


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


def _ca_cert(
    key: ec.EllipticCurvePrivateKey,
    site: str,
    now: datetime,
    *,
    subject: x509.Name | None = None,
) -> x509.Certificate:
    """A self-signed CA certificate; `subject`: the one it renews (so that what it
    signed still names it as issuer)."""
    name = subject or x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, f"Station site CA {site}")]
    )
    public = key.public_key()
    return (
        _builder(name, name, now, CA_DAYS)
        .public_key(public)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(CA_KEY_USAGE, critical=True)
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
        .add_extension(SERVER_KEY_USAGE, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
