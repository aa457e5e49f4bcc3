"""The site CA and the broker's certificate: the extensions TLS checks, and a CA that
would not outlive what it signs renewed with its own key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from station.config import StationConfig
from station.deploy import pki
from station.deploy.broker import BrokerDeployment, deploy_broker
from tests.station.deploy.running import NOW


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _public(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_the_ca_signs_certificates_and_nothing_else(deployed: BrokerDeployment) -> None:
    ca = _cert(deployed.out / "ca.crt")
    basic = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign and usage.value.crl_sign
    assert not usage.value.digital_signature and not usage.value.key_encipherment
    assert not usage.value.key_agreement


def test_the_broker_certificate_serves_tls_only(deployed: BrokerDeployment) -> None:
    ca = _cert(deployed.out / "ca.crt")
    server = _cert(deployed.out / "server.crt")
    server.verify_directly_issued_by(ca)
    assert isinstance(server.public_key(), ec.EllipticCurvePublicKey)
    usage = server.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    # EC: signs the handshake, may agree keys; key encipherment is RSA's, not set.
    assert usage.value.digital_signature and usage.value.key_agreement
    assert not usage.value.key_encipherment and not usage.value.key_cert_sign
    assert not usage.value.crl_sign
    extended = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(extended) == [ExtendedKeyUsageOID.SERVER_AUTH]
    basic = server.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and not basic.value.ca


def test_a_ca_that_would_not_outlive_a_new_broker_certificate_is_renewed(
    deployed: BrokerDeployment, site_config: StationConfig
) -> None:
    out = deployed.out
    first_ca = _cert(out / "ca.crt")
    ends = first_ca.not_valid_after_utc
    margin = timedelta(days=pki.SERVER_DAYS) + pki.RENEW_BEFORE
    # Just before the window: kept as it is.
    early = ends - margin - timedelta(days=1)
    kept = deploy_broker(site_config, out, early)
    assert kept.notices == ()
    assert (out / "ca.crt").read_bytes() == first_ca.public_bytes(serialization.Encoding.PEM)
    # Inside it: renewed, same key and subject, so what devices hold still verifies.
    late = ends - margin + timedelta(days=1)
    key_before = (out / "secrets" / "ca.key").read_bytes()
    renewed = deploy_broker(site_config, out, late)
    new_ca = _cert(out / "ca.crt")
    assert new_ca.not_valid_after_utc > ends
    assert new_ca.not_valid_after_utc >= late + margin
    assert (new_ca.subject, _public(new_ca)) == (first_ca.subject, _public(first_ca))
    assert (out / "secrets" / "ca.key").read_bytes() == key_before
    server = _cert(out / "server.crt")
    server.verify_directly_issued_by(first_ca)  # the copy every device holds
    server.verify_directly_issued_by(new_ca)
    assert server.not_valid_after_utc <= new_ca.not_valid_after_utc
    (notice,) = renewed.notices
    assert f"expires on {ends:%Y-%m-%d}" in notice and "deploy every device" in notice
    # Deployed again: nothing more to renew, nothing more to say.
    again = deploy_broker(site_config, out, late)
    assert again.notices == () and again.changed == ()
    assert _cert(out / "ca.crt") == new_ca


def test_an_expired_ca_is_renewed_saying_devices_refuse_the_broker_until_redeployed(
    deployed: BrokerDeployment, site_config: StationConfig
) -> None:
    first_ca = _cert(deployed.out / "ca.crt")
    after = first_ca.not_valid_after_utc + timedelta(days=3)
    renewed = deploy_broker(site_config, deployed.out, after)
    (notice,) = renewed.notices
    assert "expired on" in notice and "now" in notice
    new_ca = _cert(deployed.out / "ca.crt")
    assert new_ca.not_valid_before_utc <= after < new_ca.not_valid_after_utc
    assert _public(new_ca) == _public(first_ca)
    _cert(deployed.out / "server.crt").verify_directly_issued_by(new_ca)


def test_a_broker_certificate_without_key_usage_is_issued_again(
    deployed: BrokerDeployment, site_config: StationConfig
) -> None:
    """As an older deploy wrote it: SAN and serverAuth, no KeyUsage."""
    out = deployed.out
    ca = _cert(out / "ca.crt")
    ca_key = serialization.load_pem_private_key((out / "secrets/ca.key").read_bytes(), None)
    key = serialization.load_pem_private_key((out / "secrets/server.key").read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    old = _cert(out / "server.crt")
    older = (
        x509.CertificateBuilder()
        .subject_name(old.subject)
        .issuer_name(ca.subject)
        .serial_number(x509.random_serial_number())
        .not_valid_before(old.not_valid_before_utc)
        .not_valid_after(old.not_valid_after_utc)
        .public_key(key.public_key())
        .add_extension(
            old.extensions.get_extension_for_class(x509.SubjectAlternativeName).value,
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (out / "server.crt").write_bytes(older.public_bytes(serialization.Encoding.PEM))
    deploy_broker(site_config, out, NOW)
    reissued = _cert(out / "server.crt")
    assert reissued != older
    assert reissued.extensions.get_extension_for_class(x509.KeyUsage).critical
    assert _public(reissued) == _public(older)  # the broker's key is kept
