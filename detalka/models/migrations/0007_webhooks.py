"""Webhooks (#14): endpoints, order events and one delivery row per event and endpoint."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from detalka.models.enums import WebhookDeliveryStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("detalka", "0006_usage_partitions")]

    initial = False

    operations = [
        ops.CreateModel(
            name="WebhookEndpoint",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "subscriber",
                    fields.ForeignKeyField(
                        "detalka.Subscriber",
                        source_field="subscriber_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="webhook_endpoints",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "api_token",
                    fields.ForeignKeyField(
                        "detalka.ApiToken",
                        source_field="api_token_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="webhook_endpoints",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("url", fields.CharField(max_length=2000)),
                (
                    "event_types",
                    fields.JSONField(
                        description="list of WebhookEventType values",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("secret_salt", fields.CharField(max_length=64)),
                ("enabled", fields.BooleanField(default=True)),
                (
                    "disabled_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("disabled_reason", fields.CharField(null=True, max_length=500)),
                ("failure_streak", fields.IntField(default=0)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "webhook_endpoint",
                "app": "detalka",
                "indexes": [Index(fields=["subscriber_id", "created_at"])],
                "pk_attr": "id",
                "table_description": "A URL that hears of the subscriber's orders, signed with a secret derived from a salt.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WebhookEvent",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "uid",
                    fields.CharField(
                        unique=True, description="webhook-id is msg_<uid>", max_length=40
                    ),
                ),
                ("type", fields.CharField(max_length=40)),
                (
                    "order",
                    fields.ForeignKeyField(
                        "detalka.DetailOrder",
                        source_field="order_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="webhook_events",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "payload",
                    fields.TextField(
                        description="the exact JSON body that is signed and sent", unique=False
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "webhook_event",
                "app": "detalka",
                "pk_attr": "id",
                "table_description": "Something that happened to an order, its payload frozen at that moment.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WebhookDelivery",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "event",
                    fields.ForeignKeyField(
                        "detalka.WebhookEvent",
                        source_field="event_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="deliveries",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "endpoint",
                    fields.ForeignKeyField(
                        "detalka.WebhookEndpoint",
                        source_field="endpoint_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="deliveries",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default="PENDING",
                        description="PENDING: PENDING\nSUCCEEDED: SUCCEEDED\nFAILED: FAILED",
                        enum_type=WebhookDeliveryStatus,
                        max_length=10,
                    ),
                ),
                ("attempts", fields.IntField(default=0)),
                ("next_attempt_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "enqueued_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "claimed_until",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "last_attempt_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("last_status_code", fields.IntField(null=True)),
                ("last_error", fields.CharField(null=True, max_length=500)),
                (
                    "delivered_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "webhook_delivery",
                "app": "detalka",
                "unique_together": (("event", "endpoint"),),
                "indexes": [
                    Index(fields=["status", "next_attempt_at"]),
                    Index(fields=["endpoint_id", "created_at"]),
                ],
                "pk_attr": "id",
                "table_description": "One event to one endpoint: the outbox row, then its attempts and outcome.",
            },
            bases=["Model"],
        ),
    ]
