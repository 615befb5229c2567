from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from decimal import Decimal
from detalka.models.enums import (
    BalanceKind,
    DeliveryMethod,
    DeliveryStatus,
    DetailOrderStatus,
    Direction,
    PackageKind,
    PackageUnit,
    PaymentMethod,
    ReportFormat,
    ScheduleFrequency,
    UsageKind,
)
from detalka.models.money import MoneyField
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Captcha",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("answer_hash", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "expires_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={"table": "captcha", "app": "detalka", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Region",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("code", fields.CharField(unique=True, max_length=8)),
                ("name", fields.CharField(max_length=100)),
                ("time_zone", fields.CharField(description="IANA time zone name", max_length=64)),
            ],
            options={
                "table": "region",
                "app": "detalka",
                "pk_attr": "id",
                "table_description": "A home region of numbers, periods are counted in its time zone.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SignInThrottle",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("msisdn", fields.CharField(unique=True, max_length=16)),
                ("failures", fields.IntField(default=0)),
                (
                    "locked_until",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "sign_in_throttle",
                "app": "detalka",
                "pk_attr": "id",
                "table_description": "Failed sign-ins in a row per number, known or not, so that a lock tells nothing.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Store",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "region",
                    fields.ForeignKeyField(
                        "detalka.Region",
                        source_field="region_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="stores",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("name", fields.CharField(max_length=200)),
                ("address", fields.CharField(max_length=300)),
            ],
            options={
                "table": "store",
                "app": "detalka",
                "unique_together": (("region", "name"),),
                "pk_attr": "id",
                "table_description": "A store (салон-магазин) where a paper report is picked up.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Tariff",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(unique=True, max_length=100)),
                ("monthly_fee", MoneyField(generated=False, null=False, unique=False)),
                ("minute_price", MoneyField(generated=False, null=False, unique=False)),
                ("sms_price", MoneyField(generated=False, null=False, unique=False)),
                ("mms_price", MoneyField(generated=False, null=False, unique=False)),
                ("megabyte_price", MoneyField(generated=False, null=False, unique=False)),
            ],
            options={"table": "tariff", "app": "detalka", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PackageAllowance",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "tariff",
                    fields.ForeignKeyField(
                        "detalka.Tariff",
                        source_field="tariff_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="allowances",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="VOICE: VOICE\nSMS: SMS\nDATA: DATA",
                        enum_type=PackageKind,
                        max_length=8,
                    ),
                ),
                ("name", fields.CharField(max_length=100)),
                ("included", fields.IntField()),
                (
                    "unit",
                    fields.CharEnumField(
                        description="MINUTES: MINUTES\nMESSAGES: MESSAGES\nMEGABYTES: MEGABYTES",
                        enum_type=PackageUnit,
                        max_length=12,
                    ),
                ),
            ],
            options={
                "table": "package_allowance",
                "app": "detalka",
                "unique_together": (("tariff", "kind"),),
                "pk_attr": "id",
                "table_description": "What a tariff includes each billing month.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Subscriber",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "msisdn",
                    fields.CharField(
                        unique=True, description="E.164, e.g. +79161234567", max_length=16
                    ),
                ),
                ("full_name", fields.CharField(max_length=200)),
                (
                    "home_region",
                    fields.ForeignKeyField(
                        "detalka.Region",
                        source_field="home_region_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="subscribers",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "tariff",
                    fields.ForeignKeyField(
                        "detalka.Tariff",
                        source_field="tariff_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="subscribers",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("email", fields.CharField(null=True, max_length=254)),
                ("password_hash", fields.CharField(null=True, max_length=200)),
                ("activated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "deactivated_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "subscriber", "app": "detalka", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ApiToken",
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
                        related_name="api_tokens",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("name", fields.CharField(max_length=100)),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                (
                    "prefix",
                    fields.CharField(
                        description="first characters, to tell tokens apart", max_length=12
                    ),
                ),
                (
                    "scopes",
                    fields.JSONField(
                        encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "last_used_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "api_token",
                "app": "detalka",
                "pk_attr": "id",
                "table_description": "A named, scoped token for aggregators, the token itself is shown once.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Balance",
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
                        related_name="balances",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="MAIN: MAIN\nBONUS: BONUS\nCASHBACK: CASHBACK\nCONTENT: CONTENT",
                        enum_type=BalanceKind,
                        max_length=12,
                    ),
                ),
                ("name", fields.CharField(max_length=100)),
                ("amount", MoneyField(generated=False, null=False, unique=False)),
                ("expires_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "balance",
                "app": "detalka",
                "unique_together": (("subscriber", "kind"),),
                "pk_attr": "id",
                "table_description": "Main balance (one per subscriber) and additional ones (bonus, cashback...).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DetailSchedule",
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
                        related_name="detail_schedules",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "frequency",
                    fields.CharEnumField(
                        description="WEEKLY: WEEKLY\nMONTHLY: MONTHLY",
                        enum_type=ScheduleFrequency,
                        max_length=8,
                    ),
                ),
                (
                    "format",
                    fields.CharEnumField(
                        description="HTML: HTML\nPDF: PDF\nXLSX: XLSX\nCSV: CSV",
                        enum_type=ReportFormat,
                        max_length=4,
                    ),
                ),
                (
                    "sections",
                    fields.JSONField(
                        description="list of ReportSection values",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("email", fields.CharField(max_length=254)),
                ("paused", fields.BooleanField(default=False)),
                (
                    "next_run_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "detail_schedule",
                "app": "detalka",
                "indexes": [Index(fields=["paused", "next_run_at"])],
                "pk_attr": "id",
                "table_description": "Periodic delivery by email of the previous full week or month.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DetailOrder",
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
                        related_name="detail_orders",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "region",
                    fields.ForeignKeyField(
                        "detalka.Region",
                        source_field="region_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="detail_orders",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default="PENDING",
                        description="PENDING: PENDING\nRENDERING: RENDERING\nREADY: READY\nEXPIRED: EXPIRED\nFAILED: FAILED\nCANCELED: CANCELED",
                        enum_type=DetailOrderStatus,
                        max_length=10,
                    ),
                ),
                ("period_from", fields.DateField()),
                ("period_to", fields.DateField()),
                (
                    "format",
                    fields.CharEnumField(
                        description="HTML: HTML\nPDF: PDF\nXLSX: XLSX\nCSV: CSV",
                        enum_type=ReportFormat,
                        max_length=4,
                    ),
                ),
                (
                    "delivery",
                    fields.CharEnumField(
                        description="ARCHIVE: ARCHIVE\nEMAIL: EMAIL\nPAPER: PAPER",
                        enum_type=DeliveryMethod,
                        max_length=8,
                    ),
                ),
                (
                    "sections",
                    fields.JSONField(
                        description="list of ReportSection values",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("email", fields.CharField(null=True, max_length=254)),
                (
                    "store",
                    fields.ForeignKeyField(
                        "detalka.Store",
                        source_field="store_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="detail_orders",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "schedule",
                    fields.ForeignKeyField(
                        "detalka.DetailSchedule",
                        source_field="schedule_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="orders",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "delivery_status",
                    fields.CharEnumField(
                        default="NONE",
                        description="NONE: NONE\nPENDING: PENDING\nSENT: SENT\nFAILED: FAILED\nAT_STORE: AT_STORE",
                        enum_type=DeliveryStatus,
                        max_length=10,
                    ),
                ),
                ("delivery_error", fields.CharField(null=True, max_length=500)),
                ("progress", fields.FloatField(default=0.0)),
                ("row_count", fields.IntField(null=True)),
                ("failure_reason", fields.CharField(null=True, max_length=500)),
                ("attempts", fields.IntField(default=0)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                (
                    "enqueued_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("ready_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("expires_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "detail_order",
                "app": "detalka",
                "unique_together": (("schedule", "period_from"),),
                "constraints": [
                    CheckConstraint(check="period_from <= period_to", name="do_period_order"),
                    CheckConstraint(
                        check="progress >= 0 AND progress <= 1", name="do_progress_range"
                    ),
                ],
                "indexes": [
                    Index(fields=["subscriber_id", "created_at"]),
                    Index(fields=["status", "updated_at"]),
                ],
                "pk_attr": "id",
                "table_description": "An ordered report, the row is the truth about its progress.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Document",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "order",
                    fields.OneToOneField(
                        "detalka.DetailOrder",
                        source_field="order_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="document",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("file_name", fields.CharField(max_length=200)),
                (
                    "format",
                    fields.CharEnumField(
                        description="HTML: HTML\nPDF: PDF\nXLSX: XLSX\nCSV: CSV",
                        enum_type=ReportFormat,
                        max_length=4,
                    ),
                ),
                ("content_type", fields.CharField(max_length=100)),
                ("size_bytes", fields.BigIntField()),
                ("sha256", fields.CharField(max_length=64)),
                ("storage_key", fields.CharField(max_length=300)),
                ("download_token", fields.CharField(unique=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "expires_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "document",
                "app": "detalka",
                "pk_attr": "id",
                "table_description": "A rendered file in the personal archive, downloadable until it expires.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="EmailDelivery",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "order",
                    fields.ForeignKeyField(
                        "detalka.DetailOrder",
                        source_field="order_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="email_deliveries",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("recipient", fields.CharField(max_length=254)),
                ("message_id", fields.CharField(unique=True, max_length=200)),
                ("attempts", fields.IntField(default=0)),
                ("sent_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("last_error", fields.CharField(null=True, max_length=500)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "email_delivery",
                "app": "detalka",
                "unique_together": (("order", "recipient"),),
                "pk_attr": "id",
                "table_description": "One email of a report, ``sent_at`` makes a retried send a no-op.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="IdempotencyKey",
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
                        related_name="idempotency_keys",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("key", fields.CharField(max_length=100)),
                ("request_hash", fields.CharField(max_length=64)),
                (
                    "order",
                    fields.ForeignKeyField(
                        "detalka.DetailOrder",
                        source_field="order_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="idempotency_keys",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "created_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True),
                ),
            ],
            options={
                "table": "idempotency_key",
                "app": "detalka",
                "unique_together": (("subscriber", "key"),),
                "pk_attr": "id",
                "table_description": "A client idempotency key for detailOrderCreate, kept 24 hours.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="MonthlyStatement",
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
                        related_name="statements",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("month", fields.DateField(description="first day of the billing month")),
                ("opening", MoneyField(generated=False, null=False, unique=False)),
                ("payments", MoneyField(generated=False, null=False, unique=False)),
                ("charges", MoneyField(generated=False, null=False, unique=False)),
                ("closing", MoneyField(generated=False, null=False, unique=False)),
            ],
            options={
                "table": "monthly_statement",
                "app": "detalka",
                "unique_together": (("subscriber", "month"),),
                "constraints": [
                    CheckConstraint(
                        check="opening + payments - charges = closing", name="ms_balanced"
                    )
                ],
                "pk_attr": "id",
                "table_description": "The main balance over one billing month (calendar month in the home region zone).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PasswordChallenge",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("msisdn", fields.CharField(max_length=16)),
                (
                    "subscriber",
                    fields.ForeignKeyField(
                        "detalka.Subscriber",
                        source_field="subscriber_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="password_challenges",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("code_hash", fields.CharField(null=True, max_length=200)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "password_challenge",
                "app": "detalka",
                "indexes": [Index(fields=["msisdn", "created_at"])],
                "pk_attr": "id",
                "table_description": "A one-time password sent by SMS. Kept for unknown numbers too (rate limits).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Payment",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "subscriber",
                    fields.ForeignKeyField(
                        "detalka.Subscriber",
                        source_field="subscriber_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="payments",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("occurred_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("amount", MoneyField(generated=False, null=False, unique=False)),
                (
                    "method",
                    fields.CharEnumField(
                        description="CARD: CARD\nCASH: CASH\nBANK_TRANSFER: BANK_TRANSFER\nAUTOPAY: AUTOPAY\nPROMISED_PAYMENT: PROMISED_PAYMENT\nPROMISED_REPAYMENT: PROMISED_REPAYMENT",
                        enum_type=PaymentMethod,
                        max_length=20,
                    ),
                ),
                ("description", fields.CharField(max_length=200)),
            ],
            options={
                "table": "payment",
                "app": "detalka",
                "indexes": [Index(fields=["subscriber_id", "occurred_at"])],
                "pk_attr": "id",
                "table_description": "A movement onto the main balance: top-ups, and a promised payment and its return.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PromisedPayment",
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
                        related_name="promised_payments",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("amount", MoneyField(generated=False, null=False, unique=False)),
                ("fee", MoneyField(generated=False, null=False, unique=False)),
                ("taken_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("due_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "repaid",
                    MoneyField(default=Decimal("0"), generated=False, null=False, unique=False),
                ),
                ("repaid_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "promised_payment",
                "app": "detalka",
                "constraints": [
                    CheckConstraint(
                        check="repaid >= 0 AND repaid <= amount + fee", name="pp_repaid_range"
                    ),
                    CheckConstraint(check="due_at > taken_at", name="pp_due_after_taken"),
                ],
                "indexes": [Index(fields=["subscriber_id", "taken_at"])],
                "pk_attr": "id",
                "table_description": "Short credit (обещанный платёж), debt = amount + fee - repaid.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Session",
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
                        related_name="sessions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={"table": "session", "app": "detalka", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="UsageRecord",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "subscriber",
                    fields.ForeignKeyField(
                        "detalka.Subscriber",
                        source_field="subscriber_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="usage",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("occurred_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="CALL: CALL\nSMS: SMS\nMMS: MMS\nDATA: DATA\nSUBSCRIPTION_FEE: SUBSCRIPTION_FEE\nONE_TIME: ONE_TIME\nROAMING: ROAMING",
                        enum_type=UsageKind,
                        max_length=20,
                    ),
                ),
                (
                    "direction",
                    fields.CharEnumField(
                        null=True, description="IN: IN\nOUT: OUT", enum_type=Direction, max_length=3
                    ),
                ),
                ("counterparty", fields.CharField(null=True, max_length=64)),
                ("duration_s", fields.IntField(null=True)),
                ("volume_kb", fields.IntField(null=True)),
                ("quantity", fields.IntField(null=True)),
                ("zone", fields.CharField(null=True, max_length=64)),
                ("roaming", fields.BooleanField(default=False)),
                ("description", fields.CharField(max_length=200)),
                ("cost", MoneyField(generated=False, null=False, unique=False)),
                (
                    "charged_from",
                    fields.CharEnumField(
                        default=BalanceKind.MAIN,
                        description="MAIN: MAIN\nBONUS: BONUS\nCASHBACK: CASHBACK\nCONTENT: CONTENT",
                        enum_type=BalanceKind,
                        max_length=12,
                    ),
                ),
                (
                    "package_units",
                    fields.IntField(
                        default=0,
                        description="minutes, messages or megabytes taken from the package",
                    ),
                ),
                ("from_package", fields.BooleanField(default=False)),
            ],
            options={
                "table": "usage_record",
                "app": "detalka",
                "indexes": [Index(fields=["subscriber_id", "occurred_at", "id"])],
                "pk_attr": "id",
                "table_description": "A charge event. Package units are used first, ``cost`` is only the excess.",
            },
            bases=["Model"],
        ),
    ]
