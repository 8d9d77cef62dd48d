"""The database cache table (``arena_cache``): the login limits' store in `make run`, and their
fallback while Redis is down. A migration, so every `migrate` (make run, compose, tests) has it."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):  # type: ignore[no-untyped-def]
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("courses", "0002_schedule_bundle_update")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
