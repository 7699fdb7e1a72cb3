"""Row-level security, the second line: raw SQL that bypasses the scoped manager still sees only the scope's units.

PostgreSQL only (the `postgres` test runs this file against a throwaway cluster); skipped on SQLite."""

from __future__ import annotations

import os

import pytest
from django.db import DatabaseError, connection, transaction

from virkning.registers import portal_sql
from virkning.portal.scoping import aggregation, apply_db_scope, scope_for, system_scope

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgres_only(db):
    if connection.vendor != "postgresql":
        if os.environ.get("VIRKNING_PORTAL_EXPECT_POSTGRES") == "1":
            pytest.fail("VIRKNING_PORTAL_EXPECT_POSTGRES=1 but the test database is not PostgreSQL")
        pytest.skip("row-level security is PostgreSQL's; the postgres test runs this file on a cluster")


def count(table: str = "portal_registration") -> int:
    with connection.cursor() as cur:
        cur.execute(portal_sql.count_rows(table))
        return cur.fetchone()[0]


def test_the_application_role_is_bound_by_the_policies():
    with connection.cursor() as cur:
        cur.execute(portal_sql.ROLE_FLAGS)
        assert cur.fetchone() == (False, False)
        cur.execute(portal_sql.REGISTRATION_RLS_FLAGS)
        assert cur.fetchone() == (True, True)


def test_raw_sql_sees_only_the_scope(world):
    apply_db_scope(scope_for(world.users["staff_a"]))
    assert count() == 6 and count("portal_registrationversion") == 6
    apply_db_scope(scope_for(world.users["evaluator"]))
    assert count() == 12
    for who in ("star", "admin", "norole"):
        apply_db_scope(scope_for(world.users[who]))
        assert count() == 0, who
    with aggregation(world.programme.pk):  # status computation: the one programme, for the duration
        assert count() == 12
    assert count() == 0
    with system_scope():
        assert count() == 12


def test_raw_sql_cannot_write_across_units(world):
    apply_db_scope(scope_for(world.users["staff_a"]))
    with connection.cursor() as cur:
        cur.execute(portal_sql.SET_VERSION_OF_UNIT, [world.unit_b.pk])
        assert cur.rowcount == 0
        cur.execute(portal_sql.DELETE_OF_UNIT, [world.unit_a.pk])
        assert cur.rowcount == 0  # no delete policy at all
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cur.execute(portal_sql.MOVE_UNIT, [world.unit_b.pk, world.unit_a.pk])
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cur.execute(portal_sql.INSERT_REGISTRATION, [world.programme.pk, world.unit_b.pk])


def test_audit_log_is_append_only_in_the_database(world, as_user):
    as_user(world.users["staff_a"]).get("/registreringer/")
    with connection.cursor() as cur:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cur.execute(portal_sql.CHANGE_AUDIT)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cur.execute(portal_sql.DELETE_AUDIT)
