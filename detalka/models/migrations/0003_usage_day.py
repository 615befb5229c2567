"""The daily roll-up ``usage_day`` and the triggers that keep it (docs/decisions.md).

The tables come from the models; the triggers and the first fill are written here per
dialect. PostgreSQL: statement-level triggers with transition tables (one grouped upsert a
statement, so COPY stays fast), the local day from ``AT TIME ZONE``. SQLite: row triggers,
the local day from ``zone_offset`` (written from Python's zoneinfo).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from detalka.models.enums import UsageKind
from detalka.models.money import MoneyField
from tortoise.fields.base import OnDelete
from tortoise import fields

from detalka.models.usage_days import sync_zone_offsets


def _sqlite_day(row: str) -> str:
    return (
        f"(SELECT date({row}.occurred_at, z.offset_minutes || ' minutes')"  # noqa: S608 - constant SQL
        " FROM subscriber s JOIN region r ON r.id = s.home_region_id"
        f" JOIN zone_offset z ON z.time_zone = r.time_zone AND z.starts_at <= {row}.occurred_at"
        f" WHERE s.id = {row}.subscriber_id ORDER BY z.starts_at DESC LIMIT 1)"
    )


def _sqlite_checked_day(row: str) -> str:
    # No offset for the record's zone and time: refuse the write rather than lose the row.
    return (
        f"COALESCE({_sqlite_day(row)}, RAISE(ABORT, 'usage_day: no zone_offset row for the"
        " home region zone at occurred_at, see docs/decisions.md'))"
    )


def _sqlite_add(row: str) -> str:
    return (
        "INSERT INTO usage_day (subscriber_id, day, kind, roaming, charged, record_count)"  # noqa: S608 - constant SQL
        f" VALUES ({row}.subscriber_id, {_sqlite_checked_day(row)}, {row}.kind, {row}.roaming,"
        f" {row}.cost, 1)"
        " ON CONFLICT (subscriber_id, day, kind, roaming) DO UPDATE"
        " SET charged = charged + excluded.charged, record_count = record_count + 1;"
    )


def _sqlite_remove(row: str) -> str:
    key = (
        f"subscriber_id = {row}.subscriber_id AND day = {_sqlite_day(row)}"
        f" AND kind = {row}.kind AND roaming = {row}.roaming"
    )
    return (
        f"UPDATE usage_day SET charged = charged - {row}.cost, record_count = record_count - 1"  # noqa: S608 - constant SQL
        f" WHERE {key};"
        f" DELETE FROM usage_day WHERE {key} AND record_count = 0;"
    )


def _sqlite_rebuild(condition: str, *, in_trigger: bool = True) -> str:
    day = _sqlite_checked_day("u") if in_trigger else _sqlite_day("u")  # RAISE: triggers only
    return (
        f"DELETE FROM usage_day WHERE subscriber_id IN ({condition});"  # noqa: S608 - constant SQL
        " INSERT INTO usage_day (subscriber_id, day, kind, roaming, charged, record_count)"
        f" SELECT u.subscriber_id, {day}, u.kind, u.roaming, SUM(u.cost),"
        f" COUNT(*) FROM usage_record u WHERE u.subscriber_id IN ({condition})"
        " GROUP BY 1, 2, 3, 4;"
    )


SQLITE = [
    f"CREATE TRIGGER usage_day_insert AFTER INSERT ON usage_record BEGIN {_sqlite_add('NEW')} END",
    "CREATE TRIGGER usage_day_update"
    " AFTER UPDATE OF subscriber_id, occurred_at, kind, roaming, cost ON usage_record"
    f" BEGIN {_sqlite_remove('OLD')} {_sqlite_add('NEW')} END",
    f"CREATE TRIGGER usage_day_delete AFTER DELETE ON usage_record BEGIN {_sqlite_remove('OLD')} END",
    "CREATE TRIGGER usage_day_subscriber_region AFTER UPDATE OF home_region_id ON subscriber"
    " WHEN OLD.home_region_id IS NOT NEW.home_region_id"
    f" BEGIN {_sqlite_rebuild('NEW.id')} END",
    "CREATE TRIGGER usage_day_region_zone AFTER UPDATE OF time_zone ON region"  # noqa: S608 - constant SQL
    " WHEN OLD.time_zone IS NOT NEW.time_zone"
    f" BEGIN {_sqlite_rebuild('SELECT id FROM subscriber WHERE home_region_id = NEW.id')} END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS usage_day_insert",
    "DROP TRIGGER IF EXISTS usage_day_update",
    "DROP TRIGGER IF EXISTS usage_day_delete",
    "DROP TRIGGER IF EXISTS usage_day_subscriber_region",
    "DROP TRIGGER IF EXISTS usage_day_region_zone",
]

_PG_UPSERT = """
    INSERT INTO usage_day AS d (subscriber_id, day, kind, roaming, charged, record_count)
    SELECT m.subscriber_id, CAST(m.occurred_at AT TIME ZONE r.time_zone AS DATE), m.kind,
           m.roaming, SUM(m.cost), SUM(m.n)
      FROM ({moved}) m
      JOIN subscriber s ON s.id = m.subscriber_id
      JOIN region r ON r.id = s.home_region_id
     GROUP BY 1, 2, 3, 4
    HAVING SUM(m.cost) <> 0 OR SUM(m.n) <> 0
     ORDER BY 1, 2, 3, 4
        ON CONFLICT (subscriber_id, day, kind, roaming) DO UPDATE
       SET charged = d.charged + EXCLUDED.charged,
           record_count = d.record_count + EXCLUDED.record_count;
"""
_PG_NEW = "SELECT subscriber_id, occurred_at, kind, roaming, cost, 1 AS n FROM new_rows"
_PG_OLD = "SELECT subscriber_id, occurred_at, kind, roaming, -cost AS cost, -1 AS n FROM old_rows"
_PG_EMPTIED = """
    DELETE FROM usage_day WHERE record_count = 0
       AND subscriber_id IN (SELECT DISTINCT subscriber_id FROM old_rows);
"""
POSTGRES = [
    f"""
CREATE FUNCTION usage_day_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- One grouped upsert a statement; keys in order, so concurrent writers lock alike.
  IF TG_OP = 'INSERT' THEN
    {_PG_UPSERT.format(moved=_PG_NEW)}
  ELSIF TG_OP = 'UPDATE' THEN
    {_PG_UPSERT.format(moved=_PG_NEW + " UNION ALL " + _PG_OLD)}
    {_PG_EMPTIED}
  ELSE
    {_PG_UPSERT.format(moved=_PG_OLD)}
    {_PG_EMPTIED}
  END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER usage_day_insert AFTER INSERT ON usage_record"
    " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_day_apply()",
    "CREATE TRIGGER usage_day_update AFTER UPDATE ON usage_record"
    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION usage_day_apply()",
    "CREATE TRIGGER usage_day_delete AFTER DELETE ON usage_record"
    " REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_day_apply()",
    """
CREATE FUNCTION usage_day_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE usage_day;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER usage_day_truncate AFTER TRUNCATE ON usage_record"
    " FOR EACH STATEMENT EXECUTE FUNCTION usage_day_truncate()",
    """
CREATE FUNCTION usage_day_rebuild(ids integer[]) RETURNS void LANGUAGE sql AS $$
  DELETE FROM usage_day WHERE subscriber_id = ANY(ids);
  INSERT INTO usage_day (subscriber_id, day, kind, roaming, charged, record_count)
  SELECT u.subscriber_id, CAST(u.occurred_at AT TIME ZONE r.time_zone AS DATE), u.kind,
         u.roaming, SUM(u.cost), COUNT(*)
    FROM usage_record u
    JOIN subscriber s ON s.id = u.subscriber_id
    JOIN region r ON r.id = s.home_region_id
   WHERE u.subscriber_id = ANY(ids)
   GROUP BY 1, 2, 3, 4;
$$""",
    """
CREATE FUNCTION usage_day_rezone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'subscriber' THEN
    PERFORM usage_day_rebuild(ARRAY[NEW.id]);
  ELSE
    PERFORM usage_day_rebuild(ARRAY(SELECT id FROM subscriber WHERE home_region_id = NEW.id));
  END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER usage_day_subscriber_region AFTER UPDATE OF home_region_id ON subscriber"
    " FOR EACH ROW WHEN (OLD.home_region_id IS DISTINCT FROM NEW.home_region_id)"
    " EXECUTE FUNCTION usage_day_rezone()",
    "CREATE TRIGGER usage_day_region_zone AFTER UPDATE OF time_zone ON region"
    " FOR EACH ROW WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone)"
    " EXECUTE FUNCTION usage_day_rezone()",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS usage_day_region_zone ON region",
    "DROP TRIGGER IF EXISTS usage_day_subscriber_region ON subscriber",
    "DROP TRIGGER IF EXISTS usage_day_truncate ON usage_record",
    "DROP TRIGGER IF EXISTS usage_day_delete ON usage_record",
    "DROP TRIGGER IF EXISTS usage_day_update ON usage_record",
    "DROP TRIGGER IF EXISTS usage_day_insert ON usage_record",
    "DROP FUNCTION IF EXISTS usage_day_rezone()",
    "DROP FUNCTION IF EXISTS usage_day_rebuild(integer[])",
    "DROP FUNCTION IF EXISTS usage_day_truncate()",
    "DROP FUNCTION IF EXISTS usage_day_apply()",
]


async def create_triggers(apps, schema_editor) -> None:
    client = schema_editor.client
    if schema_editor.DIALECT == "postgres":
        for statement in POSTGRES:
            await client.execute_script(statement)
        await client.execute_script(
            "SELECT usage_day_rebuild(ARRAY(SELECT DISTINCT subscriber_id FROM usage_record))"
        )
        return
    # The offsets of the regions' zones first: the triggers and the first fill need them.
    _, rows = await client.execute_query("SELECT DISTINCT time_zone FROM region")
    await sync_zone_offsets([row[0] for row in rows], client)
    for statement in SQLITE:
        await client.execute_query(statement)
    for statement in _sqlite_rebuild(
        "SELECT DISTINCT subscriber_id FROM usage_record", in_trigger=False
    ).split(";"):
        if statement.strip():
            await client.execute_query(statement)


async def drop_triggers(apps, schema_editor) -> None:
    statements = POSTGRES_DROP if schema_editor.DIALECT == "postgres" else SQLITE_DROP
    for statement in statements:
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("detalka", "0002_check_constraints")]

    initial = False

    operations = [
        ops.CreateModel(
            name="UsageDay",
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
                        related_name="usage_days",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("day", fields.DateField(description="calendar day in the home region time zone")),
                (
                    "kind",
                    fields.CharEnumField(
                        description="CALL: CALL\nSMS: SMS\nMMS: MMS\nDATA: DATA\nSUBSCRIPTION_FEE: SUBSCRIPTION_FEE\nONE_TIME: ONE_TIME\nROAMING: ROAMING",
                        enum_type=UsageKind,
                        max_length=20,
                    ),
                ),
                ("roaming", fields.BooleanField()),
                (
                    "charged",
                    MoneyField(
                        description="sum of usage_record.cost",
                        generated=False,
                        null=False,
                        unique=False,
                    ),
                ),
                ("record_count", fields.IntField(description="number of usage records")),
            ],
            options={
                "table": "usage_day",
                "app": "detalka",
                "unique_together": (("subscriber", "day", "kind", "roaming"),),
                "pk_attr": "id",
                "table_description": "Charges of one subscriber on one local day (home region zone), by kind and roaming.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ZoneOffset",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("time_zone", fields.CharField(description="IANA time zone name", max_length=64)),
                (
                    "starts_at",
                    fields.DatetimeField(
                        description="UTC instant the offset applies from",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                ("offset_minutes", fields.IntField()),
            ],
            options={
                "table": "zone_offset",
                "app": "detalka",
                "unique_together": (("time_zone", "starts_at"),),
                "pk_attr": "id",
                "table_description": "The UTC offset of a time zone from an instant on, copied from the tz database.",
            },
            bases=["Model"],
        ),
        ops.RunPython(create_triggers, drop_triggers),
    ]
