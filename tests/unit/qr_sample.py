"""One made-up certificate and office key shared by the QR payload tests (RGC1 and RGC2)."""
import datetime as dt

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry_app.certificates.qr import QrFields, holders_digest, key_id_of

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
KEYS = {key_id_of(KEY.public_key()): KEY.public_key()}
COUPLE = [("张伟", "32010219950308123X"), ("欧阳晓雯", "320102199711211248")]
FIELDS = QrFields("J320102-2026-000123", "J", dt.date(2026, 6, 15), "320102", holders_digest(COUPLE))
