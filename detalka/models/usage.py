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

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

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


class UsageDay(Model):
    """Charges of one subscriber on one local day (home region zone), by kind and roaming.

    A roll-up of usage_record kept by database triggers (migration 0003), so it is exact
    for every writer. Never written by the application. See docs/decisions.md.
    """

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.BigIntField(primary_key=True)
    subscriber: fields.ForeignKeyRelation[Subscriber] = fields.ForeignKeyField(
        "detalka.Subscriber", related_name="usage_days", on_delete=fields.CASCADE, db_index=False
    )
    day = fields.DateField(description="calendar day in the home region time zone")
    kind = fields.CharEnumField(UsageKind, max_length=20)
    roaming = fields.BooleanField()
    charged = MoneyField(description="sum of usage_record.cost")
    record_count = fields.IntField(description="number of usage records")

    subscriber_id: int

    class Meta:
        table = "usage_day"
        unique_together = (("subscriber", "day", "kind", "roaming"),)


class ZoneOffset(Model):
    """The UTC offset of a time zone from an instant on, copied from the tz database.

    SQLite has no tz database, its usage_day triggers look the local day up here. Written
    by detalka.models.usage_days.sync_zone_offsets for the zones of the regions.
    """

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    time_zone = fields.CharField(max_length=64, description="IANA time zone name")
    starts_at = fields.DatetimeField(description="UTC instant the offset applies from")
    offset_minutes = fields.IntField()

    class Meta:
        table = "zone_offset"
        unique_together = (("time_zone", "starts_at"),)
