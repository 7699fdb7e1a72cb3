"""PostgreSQL only: row-level security on person data as a second line behind the scoped manager, and an audit log
that refuses updates and deletes. The application connects as a role that owns the tables but is no superuser;
FORCE makes the policies bind the owner too. `virkning.portal.scoping.apply_db_scope` sets the session variables
the policies read, at the start of every request: `virkning.read_units` / `virkning.write_units` ('*' or unit ids,
comma separated) and `virkning.aggregate` (a programme id while its status is computed)."""

from django.db import migrations

TABLES = ("portal_registration", "portal_registrationversion")

FORWARD = [
    """CREATE OR REPLACE FUNCTION portal_unit_allowed(unit bigint, setting text) RETURNS boolean
       LANGUAGE sql STABLE AS $$
         SELECT coalesce(current_setting(setting, true), '') = '*'
             OR coalesce(unit = ANY (string_to_array(nullif(current_setting(setting, true), ''), ',')::bigint[]),
                         false) $$""",
    """CREATE OR REPLACE FUNCTION portal_programme_aggregated(programme bigint) RETURNS boolean
       LANGUAGE sql STABLE AS $$
         SELECT coalesce(programme::text = nullif(current_setting('virkning.aggregate', true), ''), false) $$""",
]
for t in TABLES:
    FORWARD += [
        f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY",
        f"""CREATE POLICY {t}_read ON {t} FOR SELECT
            USING (portal_unit_allowed(unit_id, 'virkning.read_units') OR portal_programme_aggregated(programme_id))""",
        f"""CREATE POLICY {t}_insert ON {t} FOR INSERT
            WITH CHECK (portal_unit_allowed(unit_id, 'virkning.write_units'))""",
        f"""CREATE POLICY {t}_update ON {t} FOR UPDATE
            USING (portal_unit_allowed(unit_id, 'virkning.write_units'))
            WITH CHECK (portal_unit_allowed(unit_id, 'virkning.write_units'))""",
        # no DELETE policy: rows of person data are never deleted through the application's role
    ]
FORWARD += [
    """CREATE OR REPLACE FUNCTION portal_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         -- deleting a user or unit may blank the reference (ON DELETE SET NULL in the application); nothing else
         IF TG_OP = 'UPDATE' AND (NEW.at, NEW.username, NEW.action, NEW.object_type, NEW.object_id,
                                  NEW.detail::text, NEW.ip) IS NOT DISTINCT FROM
                                 (OLD.at, OLD.username, OLD.action, OLD.object_type, OLD.object_id,
                                  OLD.detail::text, OLD.ip) THEN
           RETURN NEW;
         END IF;
         RAISE EXCEPTION 'the audit log is append-only';
       END $$""",
    """CREATE TRIGGER portal_audit_append_only BEFORE UPDATE OR DELETE ON portal_auditevent
       FOR EACH ROW EXECUTE FUNCTION portal_audit_append_only()""",
]

BACKWARD = ["DROP TRIGGER IF EXISTS portal_audit_append_only ON portal_auditevent",
            "DROP FUNCTION IF EXISTS portal_audit_append_only()"]
for t in TABLES:
    BACKWARD += [f"DROP POLICY IF EXISTS {t}_{p} ON {t}" for p in ("read", "insert", "update")]
    BACKWARD += [f"ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY", f"ALTER TABLE {t} DISABLE ROW LEVEL SECURITY"]
BACKWARD += ["DROP FUNCTION IF EXISTS portal_unit_allowed(bigint, text)",
             "DROP FUNCTION IF EXISTS portal_programme_aggregated(bigint)"]


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
