"""A subscriber and the money side of the account."""

from decimal import Decimal

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from detalka.models.catalog import Region, Tariff
from detalka.models.enums import BalanceKind, PaymentMethod
from detalka.models.money import MoneyField


class Subscriber(Model):
    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)
    id = fields.IntField(primary_key=True)
    msisdn = fields.CharField(max_length=16, unique=True, description="E.164, e.g. +79161234567")
    full_name = fields.CharField(max_length=200)
    home_region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "detalka.Region", related_name="subscribers", on_delete=fields.RESTRICT
    )
    tariff: fields.ForeignKeyRelation[Tariff] = fields.ForeignKeyField(
        "detalka.Tariff", related_name="subscribers", on_delete=fields.RESTRICT
    )
    email = fields.CharField(max_length=254, null=True)
    password_hash = fields.CharField(max_length=200, null=True)
    activated_at = fields.DatetimeField()
    deactivated_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    home_region_id: int
    tariff_id: int

    class Meta:
        table = "subscriber"


class Balance(Model):
    """Main balance (one per subscriber) and additional ones (bonus, cashback...)."""

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    subscriber: fields.ForeignKeyRelation[Subscriber] = fields.ForeignKeyField(
        "detalka.Subscriber", related_name="balances", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(BalanceKind, max_length=12)
    name = fields.CharField(max_length=100)
    amount = MoneyField()
    expires_at = fields.DatetimeField(null=True)

    subscriber_id: int

    class Meta:
        table = "balance"
        unique_together = (("subscriber", "kind"),)


class Payment(Model):
    """A movement onto the main balance: top-ups, and a promised payment and its return."""

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.BigIntField(primary_key=True)
    subscriber: fields.ForeignKeyRelation[Subscriber] = fields.ForeignKeyField(
        "detalka.Subscriber", related_name="payments", on_delete=fields.CASCADE
    )
    occurred_at = fields.DatetimeField()
    amount = MoneyField()
    method = fields.CharEnumField(PaymentMethod, max_length=20)
    description = fields.CharField(max_length=200)

    subscriber_id: int

    class Meta:
        table = "payment"
        indexes = (("subscriber_id", "occurred_at"),)


class PromisedPayment(Model):
    """Short credit (обещанный платёж), debt = amount + fee - repaid."""

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    subscriber: fields.ForeignKeyRelation[Subscriber] = fields.ForeignKeyField(
        "detalka.Subscriber", related_name="promised_payments", on_delete=fields.CASCADE
    )
    amount = MoneyField()
    fee = MoneyField()
    taken_at = fields.DatetimeField()
    due_at = fields.DatetimeField()
    repaid = MoneyField(default=Decimal(0))
    repaid_at = fields.DatetimeField(null=True)

    subscriber_id: int

    class Meta:
        table = "promised_payment"
        indexes = (("subscriber_id", "taken_at"),)
        constraints = (
            CheckConstraint(check="repaid >= 0 AND repaid <= amount + fee", name="pp_repaid_range"),
            CheckConstraint(check="due_at > taken_at", name="pp_due_after_taken"),
        )


class MonthlyStatement(Model):
    """The main balance over one billing month (calendar month in the home region zone).

    Written by billing (here: the seed), opening + payments - charges = closing.
    """

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    subscriber: fields.ForeignKeyRelation[Subscriber] = fields.ForeignKeyField(
        "detalka.Subscriber", related_name="statements", on_delete=fields.CASCADE
    )
    month = fields.DateField(description="first day of the billing month")
    opening = MoneyField()
    payments = MoneyField()
    charges = MoneyField()
    closing = MoneyField()

    subscriber_id: int

    class Meta:
        table = "monthly_statement"
        unique_together = (("subscriber", "month"),)
        constraints = (
            CheckConstraint(check="opening + payments - charges = closing", name="ms_balanced"),
        )
