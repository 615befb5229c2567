"""``usage_record`` partitioned by month on PostgreSQL (docs/scale.md); SQLite: nothing.

The existing table is converted in place: renamed aside, a partitioned table of the same
columns, defaults, indexes and foreign keys made under the old name, a partition a month
from its oldest row to three months ahead plus a DEFAULT one (no write ever fails for a
month without a partition), the rows copied, the old table dropped. The primary key becomes
``(id, occurred_at)`` (a partition key must be part of it); the id sequence carries on.

The usage_day roll-up triggers of 0003 (statement-level, on the partitioned table, with
transition tables) are made again on the new table once the rows are in, so the copy does
not count twice; usage_day is untouched by the conversion and stays exact.

``usage_record_ensure_partitions(first, last)`` creates the missing months between two
dates and those of rows in DEFAULT; the scheduler's housekeeping round calls it (``detalka.models.partitions``). A
month whose rows had landed in the DEFAULT partition gets them moved into its own: a
move between partitions, made directly on them, fires no roll-up trigger (the rows are the
same rows), so usage_day stays exact.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

ADD_PARTITION = """
CREATE FUNCTION usage_record_add_partition(month_start date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  lo timestamptz := date_trunc('month', month_start)::timestamp AT TIME ZONE 'UTC';
  hi timestamptz := (date_trunc('month', month_start) + interval '1 month')::timestamp
                    AT TIME ZONE 'UTC';
  name text := 'usage_record_' || to_char(month_start, 'YYYY_MM');
BEGIN
  IF to_regclass(name) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE usage_record INCLUDING DEFAULTS)', name);
  IF to_regclass('usage_record_default') IS NOT NULL THEN
    EXECUTE format(
      'WITH moved AS (DELETE FROM usage_record_default WHERE occurred_at >= $1'
      ' AND occurred_at < $2 RETURNING *) INSERT INTO %I SELECT * FROM moved', name)
    USING lo, hi;
  END IF;
  EXECUTE format('ALTER TABLE usage_record ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                 name, lo, hi);
  RETURN true;
END $$"""

ENSURE_PARTITIONS = """
CREATE FUNCTION usage_record_ensure_partitions(first_month date, last_month date)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  month date := date_trunc('month', first_month)::date;
  stray date;
  made integer := 0;
BEGIN
  -- Two schedulers' rounds at once: one creates, the other then finds them there.
  PERFORM pg_advisory_xact_lock(hashtext('usage_record_partitions'));
  -- Months that landed in DEFAULT (history loaded after the conversion) get their own.
  FOR stray IN SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date
                 FROM usage_record_default LOOP
    IF usage_record_add_partition(stray) THEN
      made := made + 1;
    END IF;
  END LOOP;
  WHILE month <= last_month LOOP
    IF usage_record_add_partition(month) THEN
      made := made + 1;
    END IF;
    month := (month + interval '1 month')::date;
  END LOOP;
  RETURN made;
END $$"""

ROLL_UP_TRIGGERS = [
    "CREATE TRIGGER usage_day_insert AFTER INSERT ON usage_record"
    " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_day_apply()",
    "CREATE TRIGGER usage_day_update AFTER UPDATE ON usage_record"
    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION usage_day_apply()",
    "CREATE TRIGGER usage_day_delete AFTER DELETE ON usage_record"
    " REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_day_apply()",
    "CREATE TRIGGER usage_day_truncate AFTER TRUNCATE ON usage_record"
    " FOR EACH STATEMENT EXECUTE FUNCTION usage_day_truncate()",
]
MONTHS_AHEAD = 3
OLD = "usage_record_unpartitioned"


async def _rows(client, sql: str) -> list[dict]:
    return list(await client.execute_query_dict(sql))


async def partition(apps, schema_editor) -> None:
    if schema_editor.DIALECT != "postgres":
        return
    client = schema_editor.client
    kind = await _rows(
        client, "SELECT relkind::text AS relkind FROM pg_class WHERE oid = 'usage_record'::regclass"
    )
    if kind[0]["relkind"] == "p":
        return
    indexes = await _rows(
        client,
        "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition"
        " FROM pg_index i WHERE i.indrelid = 'usage_record'::regclass AND NOT i.indisprimary",
    )
    foreign_keys = await _rows(
        client,
        "SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint"
        " WHERE conrelid = 'usage_record'::regclass AND contype IN ('f', 'c')",
    )
    sequence = await _rows(client, "SELECT pg_get_serial_sequence('usage_record', 'id') AS seq")
    statements = [
        f"ALTER TABLE usage_record RENAME TO {OLD}",
        f"ALTER TABLE {OLD} RENAME CONSTRAINT usage_record_pkey TO {OLD}_pkey",
        *(f'ALTER INDEX "{i["name"]}" RENAME TO "{i["name"][:40]}_unpartitioned"' for i in indexes),
        f"CREATE TABLE usage_record (LIKE {OLD} INCLUDING DEFAULTS)"
        " PARTITION BY RANGE (occurred_at)",
        "ALTER TABLE usage_record ADD CONSTRAINT usage_record_pkey PRIMARY KEY (id, occurred_at)",
        *(i["definition"] for i in indexes),
        *(
            f'ALTER TABLE usage_record ADD CONSTRAINT "{c["name"]}" {c["definition"]}'
            for c in foreign_keys
        ),
        ENSURE_PARTITIONS.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"),
        ADD_PARTITION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"),
        "CREATE TABLE usage_record_default PARTITION OF usage_record DEFAULT",
        "SELECT usage_record_ensure_partitions("  # noqa: S608 - constant SQL
        f"  COALESCE((SELECT MIN(occurred_at) FROM {OLD})::date, CURRENT_DATE),"
        f"  (CURRENT_DATE + interval '{MONTHS_AHEAD} months')::date)",
        f"INSERT INTO usage_record SELECT * FROM {OLD}",  # noqa: S608 - constant SQL
    ]
    if sequence[0]["seq"]:
        statements.append(f"ALTER SEQUENCE {sequence[0]['seq']} OWNED BY usage_record.id")
    statements += [f"DROP TABLE {OLD}", *ROLL_UP_TRIGGERS, "ANALYZE usage_record"]
    for statement in statements:
        await client.execute_script(statement)


async def unpartition(apps, schema_editor) -> None:
    if schema_editor.DIALECT != "postgres":
        return
    client = schema_editor.client
    statements = [
        "ALTER TABLE usage_record RENAME TO usage_record_partitioned",
        "ALTER TABLE usage_record_partitioned RENAME CONSTRAINT usage_record_pkey"
        " TO usage_record_partitioned_pkey",
        "CREATE TABLE usage_record (LIKE usage_record_partitioned INCLUDING DEFAULTS)",
        "ALTER TABLE usage_record ADD PRIMARY KEY (id)",
        "INSERT INTO usage_record SELECT * FROM usage_record_partitioned",
        "DROP TABLE usage_record_partitioned CASCADE",
        "DROP FUNCTION IF EXISTS usage_record_ensure_partitions(date, date)",
        "DROP FUNCTION IF EXISTS usage_record_add_partition(date)",
        "CREATE INDEX idx_usage_recor_subscri_368504 ON usage_record"
        " (subscriber_id, occurred_at, id)",
        "ALTER TABLE usage_record ADD CONSTRAINT usage_record_subscriber_id_fkey FOREIGN KEY"
        " (subscriber_id) REFERENCES subscriber(id) ON DELETE CASCADE",
        *ROLL_UP_TRIGGERS,
    ]
    for statement in statements:
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("detalka", "0005_edge_access")]

    operations = [ops.RunPython(partition, unpartition)]
