"""The office's PAdES signature on an electronic certificate (pyHanko).

Key decision: the signature is made with the office's existing Ed25519 key, the same key that signs the QR
credential and the end-of-day batches. pyHanko signs and validates Ed25519 (EdDSA in CMS, RFC 8419), so the
office has one key to guard and publish, not two. Its X.509 certificate is self-issued and deterministic:
made from the key, the office's name and credit code and the key's creation time, signed with the key itself
(Ed25519 signatures are deterministic), so every e-certificate of one key carries the same certificate and
nothing has to be stored. A relying party trusts it by comparing its public key with the office's published
`.pub` file (the same key id). Readers that do not know EdDSA (some desktop PDF viewers) show the signature
as unverifiable; docs/credential-format.md says what a national-CA certificate or SM2 would change."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.x509.oid import NameOID, ObjectIdentifier

from registry_app.errors import RegistryError

_ORGANIZATION_IDENTIFIER = ObjectIdentifier("2.5.4.97")   # "NTRCN-" + unified social credit code (EN 319 412-1)
SIGNATURE_FIELD = "OfficeSignature"


def office_certificate(private: Ed25519PrivateKey, office_name: str, credit_code: str,
                       key_created: dt.datetime) -> x509.Certificate:
    """The self-issued signing certificate of an office key (valid 30 years from the key's creation)."""
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, office_name)]
    if credit_code:
        attrs.append(x509.NameAttribute(_ORGANIZATION_IDENTIFIER, f"NTRCN-{credit_code}"))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, office_name))
    name = x509.Name(attrs)
    public = private.public_key()
    start = (key_created if key_created.tzinfo else key_created.replace(tzinfo=dt.UTC)).replace(microsecond=0)
    serial = int.from_bytes(hashlib.sha256(public.public_bytes_raw()).digest()[:8], "big") >> 1 or 1
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(public)
            .serial_number(serial).not_valid_before(start).not_valid_after(start.replace(year=start.year + 30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(private, None))


def _asn1(cert: x509.Certificate):
    from asn1crypto import x509 as asn1_x509
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def sign_pdf(writer, private: Ed25519PrivateKey, cert: x509.Certificate, reason: str) -> bytes:
    """Sign the prepared incremental writer (PAdES B-B, SHA-512) and return the whole file."""
    from asn1crypto import keys as asn1_keys
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = asn1_keys.PrivateKeyInfo.load(private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    signer = signers.SimpleSigner(signing_cert=_asn1(cert), signing_key=key,
                                  cert_registry=SimpleCertificateStore.from_certs([_asn1(cert)]))
    meta = signers.PdfSignatureMetadata(field_name=SIGNATURE_FIELD, md_algorithm="sha512", reason=reason,
                                        subfilter=fields.SigSeedSubFilter.PADES)
    out = io.BytesIO()
    signers.PdfSigner(meta, signer).sign_pdf(writer, output=out)
    return out.getvalue()


@dataclass(frozen=True)
class SignatureCheck:
    intact: bool          # the signed bytes are unchanged
    valid: bool           # the signature over them is good
    trusted: bool         # made by one of the given office keys
    covers_whole_file: bool
    key_id: str | None

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.covers_whole_file


def check_signature(pdf: bytes, office_keys: dict[str, Ed25519PublicKey]) -> SignatureCheck:
    """Validate the office signature with pyHanko, trusting the certificate whose key is an office key."""
    from pyhanko.pdf_utils.misc import PdfError, PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError):
        raise RegistryError("文件不是可读的PDF", code="PDF_UNREADABLE") from None
    ours = [s for s in signatures if s.field_name == SIGNATURE_FIELD]
    if len(ours) != 1:
        return SignatureCheck(False, False, False, False, None)
    sig = ours[0]
    start, first, second, length = (list(sig.byte_range) + [0, 0, 0, 0])[:4]
    if start != 0 or second < first or second + length > len(pdf):
        # the signed ranges reach past the end of the file: a cut file, whatever the reader makes of it
        return SignatureCheck(False, False, False, False, None)
    try:
        cert = x509.load_der_x509_certificate(sig.signer_cert.dump())
    except (ValueError, KeyError, TypeError, AttributeError, PdfError, SignatureValidationError):
        return SignatureCheck(False, False, False, False, None)   # no readable signer certificate
    public = cert.public_key()
    key_id = hashlib.sha256(public.public_bytes_raw()).digest()[:8].hex() \
        if isinstance(public, Ed25519PublicKey) else None
    known = key_id is not None and key_id in office_keys \
        and office_keys[key_id].public_bytes_raw() == public.public_bytes_raw()
    context = ValidationContext(trust_roots=[sig.signer_cert] if known else [],
                                moment=sig.self_reported_timestamp or None)
    try:
        status = validate_pdf_signature(sig, context)
    except (ValueError, KeyError, TypeError, PdfError, SignatureValidationError):
        # a damaged CMS blob, or signed attributes that no longer match the certificate: not valid
        return SignatureCheck(False, False, False, False, key_id)
    whole = status.coverage is not None and status.coverage.name in ("ENTIRE_FILE",)
    return SignatureCheck(bool(status.intact), bool(status.valid), bool(status.trusted) and known, whole, key_id)
