"""Billing-detail orders, their documents, schedules and delivery records."""

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from detalka.models.account import Subscriber
from detalka.models.catalog import Region, Store
from detalka.models.enums import (
    DeliveryMethod,
    DeliveryStatus,
    DetailOrderStatus,
    ReportFormat,
    ScheduleFrequency,
)


class DetailSchedule(Model):
    """Periodic delivery by email of the previous full week or month."""

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    subscriber: fields.ForeignKeyRelation[Subscriber] = fields.ForeignKeyField(
        "detalka.Subscriber", related_name="detail_schedules", on_delete=fields.CASCADE
    )
    frequency = fields.CharEnumField(ScheduleFrequency, max_length=8)
    format = fields.CharEnumField(ReportFormat, max_length=4)
    sections: fields.JSONField[list[str]] = fields.JSONField(
        description="list of ReportSection values"
    )
    email = fields.CharField(max_length=254)
    paused = fields.BooleanField(default=False)
    next_run_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    subscriber_id: int

    class Meta:
        table = "detail_schedule"
        indexes = (("paused", "next_run_at"),)


class DetailOrder(Model):
    """An ordered report, the row is the truth about its progress."""

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    subscriber: fields.ForeignKeyRelation[Subscriber] = fields.ForeignKeyField(
        "detalka.Subscriber", related_name="detail_orders", on_delete=fields.CASCADE
    )
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "detalka.Region", related_name="detail_orders", on_delete=fields.RESTRICT
    )
    status = fields.CharEnumField(DetailOrderStatus, max_length=10, default="PENDING")
    period_from = fields.DateField()
    period_to = fields.DateField()
    format = fields.CharEnumField(ReportFormat, max_length=4)
    delivery = fields.CharEnumField(DeliveryMethod, max_length=8)
    sections: fields.JSONField[list[str]] = fields.JSONField(
        description="list of ReportSection values"
    )
    email = fields.CharField(max_length=254, null=True)
    store: fields.ForeignKeyNullableRelation[Store] = fields.ForeignKeyField(
        "detalka.Store", related_name="detail_orders", null=True, on_delete=fields.RESTRICT
    )
    schedule: fields.ForeignKeyNullableRelation[DetailSchedule] = fields.ForeignKeyField(
        "detalka.DetailSchedule", related_name="orders", null=True, on_delete=fields.SET_NULL
    )
    delivery_status = fields.CharEnumField(DeliveryStatus, max_length=10, default="NONE")
    delivery_error = fields.CharField(max_length=500, null=True)
    progress = fields.FloatField(default=0.0)
    row_count = fields.IntField(null=True)
    failure_reason = fields.CharField(max_length=500, null=True)
    attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    enqueued_at = fields.DatetimeField(null=True)
    ready_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True)

    subscriber_id: int
    region_id: int
    store_id: int | None
    schedule_id: int | None

    class Meta:
        table = "detail_order"
        indexes = (("subscriber_id", "created_at"), ("status", "updated_at"))
        # One order per schedule and period, however many schedulers run.
        unique_together = (("schedule", "period_from"),)
        constraints = (
            CheckConstraint(check="period_from <= period_to", name="do_period_order"),
            CheckConstraint(check="progress >= 0 AND progress <= 1", name="do_progress_range"),
        )


class Document(Model):
    """A rendered file in the personal archive, downloadable until it expires."""

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    order: fields.OneToOneRelation[DetailOrder] = fields.OneToOneField(
        "detalka.DetailOrder", related_name="document", on_delete=fields.CASCADE
    )
    file_name = fields.CharField(max_length=200)
    format = fields.CharEnumField(ReportFormat, max_length=4)
    content_type = fields.CharField(max_length=100)
    size_bytes = fields.BigIntField()
    sha256 = fields.CharField(max_length=64)
    storage_key = fields.CharField(max_length=300)
    download_token = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)
    deleted_at = fields.DatetimeField(null=True)

    order_id: int

    class Meta:
        table = "document"


class IdempotencyKey(Model):
    """A client idempotency key for detailOrderCreate, kept 24 hours."""

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    subscriber: fields.ForeignKeyRelation[Subscriber] = fields.ForeignKeyField(
        "detalka.Subscriber", related_name="idempotency_keys", on_delete=fields.CASCADE
    )
    key = fields.CharField(max_length=100)
    request_hash = fields.CharField(max_length=64)
    order: fields.ForeignKeyRelation[DetailOrder] = fields.ForeignKeyField(
        "detalka.DetailOrder", related_name="idempotency_keys", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    order_id: int

    class Meta:
        table = "idempotency_key"
        unique_together = (("subscriber", "key"),)


class EmailDelivery(Model):
    """One email of a report, ``sent_at`` makes a retried send a no-op."""

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[DetailOrder] = fields.ForeignKeyField(
        "detalka.DetailOrder", related_name="email_deliveries", on_delete=fields.CASCADE
    )
    recipient = fields.CharField(max_length=254)
    message_id = fields.CharField(max_length=200, unique=True)
    attempts = fields.IntField(default=0)
    # A sender holds the row until then, so two workers never send the same email at once.
    claimed_until = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "email_delivery"
        unique_together = (("order", "recipient"),)

    order_id: int
