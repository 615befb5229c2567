"""Add the models' CHECK constraints on PostgreSQL.

tortoise-orm 1.1's CreateModel keeps ``Meta.constraints`` in the migration state but does
not emit CHECK clauses, and SQLite cannot add one to an existing table. PostgreSQL gets them
here; on SQLite the same rules are held by the code and proven by tests.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import CheckConstraint

CHECKS = {
    "PromisedPayment": (
        CheckConstraint(check="repaid >= 0 AND repaid <= amount + fee", name="pp_repaid_range"),
        CheckConstraint(check="due_at > taken_at", name="pp_due_after_taken"),
    ),
    "MonthlyStatement": (
        CheckConstraint(check="opening + payments - charges = closing", name="ms_balanced"),
    ),
    "DetailOrder": (
        CheckConstraint(check="period_from <= period_to", name="do_period_order"),
        CheckConstraint(check="progress >= 0 AND progress <= 1", name="do_progress_range"),
    ),
}


async def add_checks(apps, schema_editor) -> None:
    if schema_editor.DIALECT != "postgres":
        return
    for model_name, checks in CHECKS.items():
        model = apps.get_model(f"detalka.{model_name}")
        for check in checks:
            await schema_editor.add_constraint(model, check)


async def remove_checks(apps, schema_editor) -> None:
    if schema_editor.DIALECT != "postgres":
        return
    for model_name, checks in CHECKS.items():
        model = apps.get_model(f"detalka.{model_name}")
        for check in checks:
            await schema_editor.remove_constraint(model, check)


class Migration(migrations.Migration):
    dependencies = [("detalka", "0001_initial")]

    operations = [ops.RunPython(add_checks, remove_checks)]
