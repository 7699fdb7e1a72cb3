"""Every SQL statement of the portal's own database, kept with the rest of the package's SQL.

PostgreSQL only: row-level security on person data as a second line behind the portal's scoped manager, and an
audit log that refuses updates and deletes. The application connects as a role that owns the tables but is no
superuser; FORCE makes the policies bind the owner too. `virkning.portal.scoping.apply_db_scope` sets the session
variables the policies read, at the start of every request: `virkning.read_units` / `virkning.write_units` ('*' or
unit ids, comma separated) and `virkning.aggregate` (a programme id while its status is computed). The last block
holds the statements the portal's tests use to try the policies from raw SQL.
"""

from __future__ import annotations

RLS_TABLES = ("portal_registration", "portal_registrationversion")
_POLICIES = ("read", "insert", "update")


def rls_forward(tables: tuple[str, ...] = RLS_TABLES) -> list[str]:
    """The policies, their helper functions and the audit log's trigger."""
    out = [
        """CREATE OR REPLACE FUNCTION portal_unit_allowed(unit bigint, setting text) RETURNS boolean
           LANGUAGE sql STABLE AS $$
             SELECT coalesce(current_setting(setting, true), '') = '*'
                 OR coalesce(unit = ANY (string_to_array(nullif(current_setting(setting, true), ''), ',')::bigint[]),
                             false) $$""",
        """CREATE OR REPLACE FUNCTION portal_programme_aggregated(programme bigint) RETURNS boolean
           LANGUAGE sql STABLE AS $$
             SELECT coalesce(programme::text = nullif(current_setting('virkning.aggregate', true), ''), false) $$""",
    ]
    for t in tables:
        out += [
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
    out += [
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
    return out


def rls_backward(tables: tuple[str, ...] = RLS_TABLES) -> list[str]:
    out = ["DROP TRIGGER IF EXISTS portal_audit_append_only ON portal_auditevent",
           "DROP FUNCTION IF EXISTS portal_audit_append_only()"]
    for t in tables:
        out += [f"DROP POLICY IF EXISTS {t}_{p} ON {t}" for p in _POLICIES]
        out += [f"ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY", f"ALTER TABLE {t} DISABLE ROW LEVEL SECURITY"]
    return out + ["DROP FUNCTION IF EXISTS portal_unit_allowed(bigint, text)",
                  "DROP FUNCTION IF EXISTS portal_programme_aggregated(bigint)"]


# ---- the session's scope (parameters: read units, write units; a programme id) -----------------------------------

SET_SCOPE = ("SELECT set_config('virkning.read_units', %s, false), set_config('virkning.write_units', %s, false), "
             "set_config('virkning.aggregate', '', false)")
SET_AGGREGATE = "SELECT set_config('virkning.aggregate', %s, false)"
CLEAR_AGGREGATE = "SELECT set_config('virkning.aggregate', '', false)"

# ---- what the tests try from raw SQL -------------------------------------------------------------------------------

ROLE_FLAGS = "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
REGISTRATION_RLS_FLAGS = ("SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
                          "WHERE relname = 'portal_registration'")
ALL_REGISTRATIONS = "SELECT * FROM portal_registration"
SET_VERSION_OF_UNIT = "UPDATE portal_registration SET version = 99 WHERE unit_id = %s"
DELETE_OF_UNIT = "DELETE FROM portal_registration WHERE unit_id = %s"
MOVE_UNIT = "UPDATE portal_registration SET unit_id = %s WHERE unit_id = %s"
INSERT_REGISTRATION = ("INSERT INTO portal_registration (id, programme_id, unit_id, cpr_hash, cpr_encrypted, "
                       "cpr_masked, data, version, created_at, updated_at) VALUES (gen_random_uuid(), %s, %s, "
                       "'x', 'x', 'x', '{}', 1, now(), now())")
CHANGE_AUDIT = "UPDATE portal_auditevent SET action = 'x'"
DELETE_AUDIT = "DELETE FROM portal_auditevent"


def count_rows(table: str) -> str:
    if table not in (*RLS_TABLES, "portal_auditevent"):
        raise ValueError(f"count_rows: expected one of the portal's person-data tables; got {table!r}")
    return f"SELECT count(*) FROM {table}"
