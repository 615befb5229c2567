"""Reference data: regions, stores, tariffs and their packages."""

from tortoise import fields
from tortoise.models import Model

from detalka.models.enums import PackageKind, PackageUnit
from detalka.models.money import MoneyField


class Region(Model):
    """A home region of numbers, periods are counted in its time zone."""

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=8, unique=True)
    name = fields.CharField(max_length=100)
    time_zone = fields.CharField(max_length=64, description="IANA time zone name")

    class Meta:
        table = "region"
        ordering = ("code",)


class Store(Model):
    """A store (салон-магазин) where a paper report is picked up."""

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "detalka.Region", related_name="stores", on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=200)
    address = fields.CharField(max_length=300)

    region_id: int

    class Meta:
        table = "store"
        unique_together = (("region", "name"),)
        ordering = ("name",)


class Tariff(Model):
    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    monthly_fee = MoneyField()
    # Prices past the packages, per started minute / message / megabyte.
    minute_price = MoneyField()
    sms_price = MoneyField()
    mms_price = MoneyField()
    megabyte_price = MoneyField()

    allowances: fields.ReverseRelation["PackageAllowance"]

    class Meta:
        table = "tariff"


class PackageAllowance(Model):
    """What a tariff includes each billing month."""

    _no_comments = True  # tortoise: skip reading the source for field comments (models/__init__)

    id = fields.IntField(primary_key=True)
    tariff: fields.ForeignKeyRelation[Tariff] = fields.ForeignKeyField(
        "detalka.Tariff", related_name="allowances", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(PackageKind, max_length=8)
    name = fields.CharField(max_length=100)
    included = fields.IntField()
    unit = fields.CharEnumField(PackageUnit, max_length=12)

    tariff_id: int

    class Meta:
        table = "package_allowance"
        unique_together = (("tariff", "kind"),)
