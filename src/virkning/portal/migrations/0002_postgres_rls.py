"""PostgreSQL only: row-level security on person data and an append-only audit log; the statements and what they
do are in `virkning.registers.portal_sql`."""

from django.db import migrations

from virkning.registers.portal_sql import rls_backward, rls_forward

FORWARD = rls_forward()
BACKWARD = rls_backward()


def _run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return  # SQLite has no row-level security; the scoped manager is the only line there
        for sql in statements:
            schema_editor.execute(sql)
    return apply


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]
    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
