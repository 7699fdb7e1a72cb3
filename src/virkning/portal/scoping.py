"""Unit isolation in the data layer.

A `Scope` says which units a user may read and write. Models holding person data use `ScopedManager`, whose plain
queryset refuses to run: every query starts with `Model.objects.scoped(scope)`, so a view that forgets the filter
fails with `UnscopedQuery` instead of showing another unit's citizens. Writes check the scope in `save()`.

On PostgreSQL the same scope is also handed to the database (session settings, registers/portal_sql.py) at the
start of every request, and row-level security policies (migration 0002) filter the rows again: raw SQL or a bug in this
module still cannot cross units. Aggregation for the status pages reads a whole programme inside `aggregation()`,
which opens exactly that programme to the database for the duration and returns only what the caller computes.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, models

from virkning.registers import portal_sql

ALL = None  # read_units/status_units: every unit


class UnscopedQuery(RuntimeError):
    """A query on person data without a scope: use Model.objects.scoped(request.scope)."""


@dataclass(frozen=True)
class Scope:
    """What one user may do. `read_units`/`status_units` None = all units; frozensets of unit ids otherwise."""

    user_id: int | None
    role: str
    read_units: frozenset | None
    write_units: frozenset
    status_units: frozenset | None
    person_data: bool
    export: bool = False
    manage: bool = False

    @classmethod
    def nobody(cls) -> "Scope":
        return cls(None, "", frozenset(), frozenset(), frozenset(), False)

    @classmethod
    def system(cls) -> "Scope":
        """For seeding and maintenance outside a request (never for a logged-in user)."""
        return cls(None, "system", ALL, frozenset({"*"}), ALL, True, export=True)

    def may_read(self, unit_id) -> bool:
        return self.person_data and (self.read_units is ALL or unit_id in self.read_units)

    def may_write(self, unit_id) -> bool:
        return "*" in self.write_units or unit_id in self.write_units

    def may_see_status(self, unit_id) -> bool:
        return self.status_units is ALL or unit_id in self.status_units

    @property
    def writes(self) -> bool:
        return bool(self.write_units)


def scope_for(user) -> Scope:
    """The scope of a user from the portal profile's role (docs/portal.md, Roles)."""
    from virkning.portal.models import Role, Unit

    if user is None or not user.is_authenticated or not user.is_active:
        return Scope.nobody()
    profile = getattr(user, "portal_profile", None)
    if profile is None:
        return Scope.nobody()
    role = profile.role
    if role == Role.STAFF:
        units = frozenset(profile.units.values_list("id", flat=True))
        return Scope(user.pk, role, units, units, units, True)
    if role == Role.LEAD:
        units = frozenset(Unit.objects.filter(programme__in=profile.programmes.all()).values_list("id", flat=True))
        return Scope(user.pk, role, units, units, units, True)
    if role == Role.EVALUATOR:
        return Scope(user.pk, role, ALL, frozenset(), ALL, True, export=True)
    if role == Role.STAR:  # the agency follows the programme in aggregate; no person-level records
        return Scope(user.pk, role, frozenset(), frozenset(), ALL, False)
    if role == Role.ADMIN:  # manages users and reads the audit log; no person data
        return Scope(user.pk, role, frozenset(), frozenset(), frozenset(), False, manage=True)
    return Scope.nobody()


class ScopedQuerySet(models.QuerySet):
    def create(self, **kwargs):
        raise UnscopedQuery("create person data with Model(...).save(scope=...)")


# named first: the type checker takes a class built at run time as a base only through a variable
_ScopedManagerBase: Any = models.Manager.from_queryset(ScopedQuerySet)


class ScopedManager(_ScopedManagerBase):
    """The default manager of person-data models: `.all()`, `.filter()` ... refuse; `.scoped(scope)` works."""

    unit_field = "unit_id"

    def get_queryset(self):
        raise UnscopedQuery(f"{self.model.__name__}: query without a unit scope; use "
                            f"{self.model.__name__}.objects.scoped(scope)")

    def scoped(self, scope: Scope) -> models.QuerySet:
        qs = super().get_queryset()
        if not scope.person_data:
            return qs.none()
        if scope.read_units is ALL:
            return qs
        return qs.filter(**{f"{self.unit_field}__in": scope.read_units})

    def for_aggregation(self, programme_id: int) -> models.QuerySet:
        """All rows of one programme, for aggregate status only: use inside `aggregation(programme_id)`."""
        return super().get_queryset().filter(programme_id=programme_id)


def check_write(scope: Scope | None, unit_id) -> None:
    if scope is None:
        raise UnscopedQuery("saving person data needs save(scope=...)")
    if not scope.may_write(unit_id):
        raise PermissionDenied("no write access to this unit")


# ---- the second line: PostgreSQL row-level security ---------------------------------------------------------------

def _ids(units) -> str:
    if units is ALL:
        return "*"
    if "*" in units:
        return "*"
    return ",".join(str(int(u)) for u in sorted(units))


def apply_db_scope(scope: Scope, conn=None) -> None:
    """Hand the scope to PostgreSQL for the policies of migration 0002 (a no-op on SQLite)."""
    conn = conn or connection
    if conn.vendor != "postgresql":
        return
    read = _ids(scope.read_units) if scope.person_data else ""
    with conn.cursor() as cur:
        cur.execute(portal_sql.SET_SCOPE, [read, _ids(scope.write_units)])


@contextmanager
def aggregation(programme_id: int):
    """Open one programme's rows to the database for an aggregate computation, then close them again."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(portal_sql.SET_AGGREGATE, [str(int(programme_id))])
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(portal_sql.CLEAR_AGGREGATE)


@contextmanager
def system_scope():
    """Seeding and maintenance: full access in the data layer and the database, restored afterwards."""
    apply_db_scope(Scope.system())
    try:
        yield Scope.system()
    finally:
        apply_db_scope(Scope.nobody())


class ScopeMiddleware:
    """request.scope for every request, and the same scope in the PostgreSQL session while it runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.scope = scope_for(getattr(request, "user", None))
        apply_db_scope(request.scope)
        try:
            return self.get_response(request)
        finally:
            apply_db_scope(Scope.nobody())


def scope_context(request) -> dict:
    return {"scope": getattr(request, "scope", Scope.nobody())}
