"""Model fields the portal shares."""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


@cache
def _fernet(key: str) -> Fernet:
    # Any configured secret becomes a valid Fernet key; rotating FIELD_ENCRYPTION_KEY needs a re-encryption.
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


@cache
def _lookup_key(key: str) -> bytes:
    # A key of its own, derived from the same secret, so a lookup hash never reveals the Fernet key.
    return hashlib.sha256(b"portal-lookup-hash:" + key.encode()).digest()


def lookup_hash(value: str) -> str:
    """The keyed hash (HMAC-SHA256) of an encrypted value, stored beside it so it can be found by equality."""
    return hmac.new(_lookup_key(settings.FIELD_ENCRYPTION_KEY), value.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Text stored encrypted (Fernet, keyed by FIELD_ENCRYPTION_KEY): bank accounts and the like."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(value.encode()).decode()

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        try:
            return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(value.encode()).decode()
        except InvalidToken as exc:
            raise ValueError(
                "encrypted field cannot be read with the configured FIELD_ENCRYPTION_KEY"
            ) from exc
