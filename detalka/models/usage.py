"""The big table: every charge event of every subscriber."""

from tortoise import fields
from tortoise.models import Model

from detalka.models.account import Subscriber
from detalka.models.enums import BalanceKind, Direction, UsageKind
from detalka.models.money import MoneyField


class UsageRecord(Model):
    """A charge event. Package units are used first, ``cost`` is only the excess.

    Read it in keyset pages over (subscriber_id, occurred_at, id), in PostgreSQL this
    table is the one to partition by month (docs/scale.md).
    """

    id = fields.BigIntField(primary_key=True)
    subscriber: fields.ForeignKeyRelation[Subscriber] = fields.ForeignKeyField(
        "detalka.Subscriber", related_name="usage", on_delete=fields.CASCADE, db_index=False
    )
    occurred_at = fields.DatetimeField()
    kind = fields.CharEnumField(UsageKind, max_length=20)
    direction = fields.CharEnumField(Direction, max_length=3, null=True)
    counterparty = fields.CharField(max_length=64, null=True)
    duration_s = fields.IntField(null=True)
    volume_kb = fields.IntField(null=True)
    quantity = fields.IntField(null=True)
    zone = fields.CharField(max_length=64, null=True)
    roaming = fields.BooleanField(default=False)
    description = fields.CharField(max_length=200)
    cost = MoneyField()
    charged_from = fields.CharEnumField(BalanceKind, max_length=12, default=BalanceKind.MAIN)
    package_units = fields.IntField(
        default=0, description="minutes, messages or megabytes taken from the package"
    )
    from_package = fields.BooleanField(default=False)

    subscriber_id: int

    class Meta:
        table = "usage_record"
        indexes = (("subscriber_id", "occurred_at", "id"),)
