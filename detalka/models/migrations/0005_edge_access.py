"""#11 access: API tokens expire (expires_at; null for older tokens, which end a year after
they were made) and RateCounter, per-address limits on captchas and failed sign-ins."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("detalka", "0004_email_delivery_claim")]

    initial = False

    operations = [
        ops.CreateModel(
            name="RateCounter",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("key", fields.CharField(unique=True, max_length=120)),
                ("hits", fields.IntField(default=0)),
                (
                    "window_ends",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "rate_counter",
                "app": "detalka",
                "pk_attr": "id",
                "table_description": "Hits of one kind from one source in a fixed window, e.g. captchas from an address.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="ApiToken",
            name="expires_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
