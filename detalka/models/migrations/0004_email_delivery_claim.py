"""EmailDelivery.claimed_until: a sender holds the row, so no email goes out twice at once."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("detalka", "0003_usage_day")]

    operations = [
        ops.AddField(
            model_name="EmailDelivery",
            name="claimed_until",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
