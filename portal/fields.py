"""Model fields the portal shares, and the keys of its encrypted fields (等保 密码管理).

``FIELD_ENCRYPTION_KEY`` holds one key or several, comma-separated, newest first: the newest encrypts, every
one decrypts (MultiFernet), so a new key can be put in front and the old ones kept until
``manage.py rotate_field_encryption`` has re-encrypted every stored value; then the old keys are removed.
A value no configured key can read is never a 500: it loads as ``Unreadable`` (shown masked as 无法解密),
and the ``portal.W001`` check reports it (at start-up too: runserver and migrate run the checks).
"""

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterator
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.checks import Warning, register
from django.db import DatabaseError, models, transaction
from django.db.models.functions import Cast


def configured_keys(setting: str | None = None) -> tuple[str, ...]:
    """The configured keys, newest first."""
    raw = settings.FIELD_ENCRYPTION_KEY if setting is None else setting
    keys = tuple(key.strip() for key in raw.split(",") if key.strip())
    if not keys:
        raise ValueError("FIELD_ENCRYPTION_KEY holds no key")
    return keys


@cache
def _fernet(key: str) -> Fernet:
    # Any configured secret becomes a valid Fernet key (SHA-256 of the text, urlsafe base64).
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


@cache
def _multi(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_fernet(key) for key in keys])


def encrypt(text: str) -> str:
    return _multi(configured_keys()).encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """The text of a stored token, with any configured key; ``InvalidToken`` when none reads it."""
    return _multi(configured_keys()).decrypt(token.encode()).decode()


def is_current(token: str) -> bool:
    """Whether the newest key reads the token (nothing to rotate)."""
    try:
        _fernet(configured_keys()[0]).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


class Ciphertext(str):
    """A token that is stored as it is (rotation writes tokens it made itself)."""


class Unreadable(str):
    """A stored value no configured key can read: empty text that remembers its token.

    Saving the model again writes the token back unchanged, so a wrong key never destroys data.
    """

    def __new__(cls, token: str):
        value = super().__new__(cls, "")
        value.token = token
        return value


def _lookup_key() -> bytes:
    # A key of its own, so a lookup hash never reveals a Fernet key. It must not change when the encryption
    # keys rotate (the stored hashes would no longer match): FIELD_LOOKUP_KEY when set, else derived from
    # the oldest configured encryption key (the last in the list).
    secret = settings.FIELD_LOOKUP_KEY or configured_keys()[-1]
    return hashlib.sha256(b"portal-lookup-hash:" + secret.encode()).digest()


def lookup_hash(value: str) -> str:
    """The keyed hash (HMAC-SHA256) of an encrypted value, stored beside it so it can be found by equality."""
    return hmac.new(_lookup_key(), value.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Text stored encrypted (Fernet, keyed by FIELD_ENCRYPTION_KEY): bank accounts and the like."""

    def get_prep_value(self, value):
        if isinstance(value, Unreadable):
            return value.token
        if isinstance(value, Ciphertext):
            return str(value)
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        try:
            return decrypt(value)
        except InvalidToken:
            return Unreadable(value)


def encrypted_fields() -> Iterator[tuple[type[models.Model], models.Field]]:
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def _stored(model, field, *, after: int, limit: int) -> list[tuple[int, str]]:
    # Cast to plain text: the raw tokens, not the field's decrypted values.
    rows = (
        model._default_manager.exclude(**{field.attname: ""})
        .exclude(**{f"{field.attname}__isnull": True})
        .filter(pk__gt=after)
        .order_by("pk")
        .annotate(_token=Cast(field.attname, models.TextField()))
        .values_list("pk", "_token")[:limit]
    )
    return list(rows)


def unreadable_count(*, sample: int = 200) -> dict[str, int]:
    """Per encrypted column, how many of the latest ``sample`` stored values no configured key reads."""
    found = {}
    for model, field in encrypted_fields():
        rows = (
            model._default_manager.exclude(**{field.attname: ""})
            .exclude(**{f"{field.attname}__isnull": True})
            .order_by("-pk")
            .annotate(_token=Cast(field.attname, models.TextField()))
            .values_list("_token", flat=True)[:sample]
        )
        bad = 0
        for token in rows:
            try:
                decrypt(token)
            except InvalidToken:
                bad += 1
        if bad:
            found[f"{model._meta.label}.{field.name}"] = bad
    return found


def rotate(*, batch_size: int = 500, report: Callable[[str], None] = lambda line: None) -> dict[str, int]:
    """Re-encrypt every stored value with the newest key, in keyset batches of ``batch_size``.

    Each batch is its own transaction and a value already under the newest key is left alone, so an
    interrupted run is resumed by running it again. A value no configured key reads is left as it is and
    counted under ``unreadable``.
    """
    totals = {"rotated": 0, "current": 0, "unreadable": 0}
    newest = _multi(configured_keys())
    for model, field in encrypted_fields():
        label = f"{model._meta.label}.{field.name}"
        after, done = 0, 0
        while rows := _stored(model, field, after=after, limit=batch_size):
            with transaction.atomic():
                for pk, token in rows:
                    if is_current(token):
                        totals["current"] += 1
                        continue
                    try:
                        fresh = newest.rotate(token.encode()).decode()
                    except InvalidToken:
                        totals["unreadable"] += 1
                        continue
                    model._default_manager.filter(pk=pk).update(**{field.attname: Ciphertext(fresh)})
                    totals["rotated"] += 1
            after, done = rows[-1][0], done + len(rows)
            report(f"{label}: {done} 条已处理（至 id {after}）")
    return totals


@register()
def encrypted_values_readable(app_configs=None, **kwargs):
    """Warn when the configured keys cannot read values already stored (a wrong or missing old key)."""
    try:
        found = unreadable_count()
    except DatabaseError:  # no tables yet (before migrate, or a check without a database)
        return []
    return [
        Warning(
            f"{column} 有 {count} 条加密数据无法用当前 FIELD_ENCRYPTION_KEY 解密，页面将显示“无法解密”。",
            hint="把加密这些数据时使用的旧密钥加回 FIELD_ENCRYPTION_KEY（逗号分隔，新密钥在前），"
            "再运行 manage.py rotate_field_encryption。",
            id="portal.W001",
        )
        for column, count in found.items()
    ]
