"""Webhooks: the endpoints a subscriber's programs registered, the events of their orders
and one delivery row per event and endpoint (the outbox, written with the state change)."""

from tortoise import fields
from tortoise.models import Model

from detalka.models.account import Subscriber
from detalka.models.auth import ApiToken
from detalka.models.enums import WebhookDeliveryStatus
from detalka.models.orders import DetailOrder


class WebhookEndpoint(Model):
    """A URL that hears of the subscriber's orders, signed with a secret derived from a salt."""

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    subscriber: fields.ForeignKeyRelation[Subscriber] = fields.ForeignKeyField(
        "detalka.Subscriber", related_name="webhook_endpoints", on_delete=fields.CASCADE
    )
    # The token that registered it (null: a session): it alone sees it, and a revoked
    # token's endpoints hear nothing more.
    api_token: fields.ForeignKeyNullableRelation[ApiToken] = fields.ForeignKeyField(
        "detalka.ApiToken", related_name="webhook_endpoints", null=True, on_delete=fields.CASCADE
    )
    url = fields.CharField(max_length=2000)
    event_types: fields.JSONField[list[str]] = fields.JSONField(
        description="list of WebhookEventType values"
    )
    # The signing secret is HMAC(key from DETALKA_SECRET_KEY, salt): never stored itself.
    secret_salt = fields.CharField(max_length=64)
    enabled = fields.BooleanField(default=True)
    disabled_at = fields.DatetimeField(null=True)
    disabled_reason = fields.CharField(max_length=500, null=True)
    # Failed attempts in a row (any delivery); a success resets it.
    failure_streak = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    subscriber_id: int
    api_token_id: int | None

    class Meta:
        table = "webhook_endpoint"
        indexes = (("subscriber_id", "created_at"),)


class WebhookEvent(Model):
    """Something that happened to an order, its payload frozen at that moment."""

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    uid = fields.CharField(max_length=40, unique=True, description="webhook-id is msg_<uid>")
    type = fields.CharField(max_length=40)
    order: fields.ForeignKeyRelation[DetailOrder] = fields.ForeignKeyField(
        "detalka.DetailOrder", related_name="webhook_events", on_delete=fields.CASCADE
    )
    payload = fields.TextField(description="the exact JSON body that is signed and sent")
    created_at = fields.DatetimeField()

    order_id: int

    class Meta:
        table = "webhook_event"


class WebhookDelivery(Model):
    """One event to one endpoint: the outbox row, then its attempts and outcome."""

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    event: fields.ForeignKeyRelation[WebhookEvent] = fields.ForeignKeyField(
        "detalka.WebhookEvent", related_name="deliveries", on_delete=fields.CASCADE
    )
    endpoint: fields.ForeignKeyRelation[WebhookEndpoint] = fields.ForeignKeyField(
        "detalka.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(WebhookDeliveryStatus, max_length=10, default="PENDING")
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    # When a message was last sent for it: the round re-sends a lost one.
    enqueued_at = fields.DatetimeField(null=True)
    # A sender holds the row until then, so two workers never send it at once.
    claimed_until = fields.DatetimeField(null=True)
    last_attempt_at = fields.DatetimeField(null=True)
    last_status_code = fields.IntField(null=True)
    last_error = fields.CharField(max_length=500, null=True)
    delivered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    event_id: int
    endpoint_id: int

    class Meta:
        table = "webhook_delivery"
        unique_together = (("event", "endpoint"),)
        indexes = (("status", "next_attempt_at"), ("endpoint_id", "created_at"))
