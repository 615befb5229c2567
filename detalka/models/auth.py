"""Sign-in state: captchas, SMS passwords, sessions and API tokens (all secrets hashed)."""

from tortoise import fields
from tortoise.models import Model

from detalka.models.account import Subscriber


class Captcha(Model):
    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)
    id = fields.UUIDField(primary_key=True)
    answer_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "captcha"


class PasswordChallenge(Model):
    """A one-time password sent by SMS. Kept for unknown numbers too (rate limits)."""

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    msisdn = fields.CharField(max_length=16)
    subscriber: fields.ForeignKeyNullableRelation[Subscriber] = fields.ForeignKeyField(
        "detalka.Subscriber",
        related_name="password_challenges",
        null=True,
        on_delete=fields.CASCADE,
    )
    code_hash = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    subscriber_id: int | None

    class Meta:
        table = "password_challenge"
        indexes = (("msisdn", "created_at"),)


class SignInThrottle(Model):
    """Failed sign-ins in a row per number, known or not, so that a lock tells nothing."""

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    msisdn = fields.CharField(max_length=16, unique=True)
    failures = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "sign_in_throttle"


class RateCounter(Model):
    """Hits of one kind from one source in a fixed window, e.g. captchas from an address."""

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=120, unique=True)
    hits = fields.IntField(default=0)
    window_ends = fields.DatetimeField(db_index=True)

    class Meta:
        table = "rate_counter"


class Session(Model):
    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)
    id = fields.IntField(primary_key=True)
    subscriber: fields.ForeignKeyRelation[Subscriber] = fields.ForeignKeyField(
        "detalka.Subscriber", related_name="sessions", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    subscriber_id: int

    class Meta:
        table = "session"


class ApiToken(Model):
    """A named, scoped token for aggregators, the token itself is shown once."""

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    subscriber: fields.ForeignKeyRelation[Subscriber] = fields.ForeignKeyField(
        "detalka.Subscriber", related_name="api_tokens", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    token_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=12, description="first characters, to tell tokens apart")
    scopes: fields.JSONField[list[str]] = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    # Null for a token made before tokens expired: it ends a year after created_at.
    expires_at = fields.DatetimeField(null=True)

    subscriber_id: int

    class Meta:
        table = "api_token"
