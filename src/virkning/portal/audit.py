"""The audit log: one append-only row per change, read of person data, export and login (who, when, what).

Details never hold a CPR number: registrations are named by their id, citizens by nothing else.
"""

from __future__ import annotations

from virkning.portal.models import AuditEvent

CREATE, UPDATE, READ, LIST, SEARCH, HISTORY, UPLOAD, EXPORT, STATUS = (
    "create", "update", "read", "list", "search", "history", "upload", "export", "status")
LOGIN, LOGIN_FAILED, LOCKED, LOGOUT, TOTP_SETUP, DENIED = (
    "login", "login_failed", "login_locked", "logout", "totp_setup", "denied")


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def record(request, action: str, *, user=None, username: str | None = None, obj=None, unit=None,
           **detail) -> AuditEvent:
    """Write one audit event. `request` gives user and address; `user`/`username` override (for logins)."""
    u = user if user is not None else (getattr(request, "user", None) if request is not None else None)
    if u is not None and not getattr(u, "is_authenticated", False):
        u = None
    name = username if username is not None else (u.get_username() if u is not None else "")
    return AuditEvent.objects.create(
        user=u, username=name[:150], action=action,
        object_type=type(obj).__name__ if obj is not None else "", object_id=str(obj.pk) if obj is not None else "",
        unit=unit if unit is not None else getattr(obj, "unit", None), detail=detail, ip=client_ip(request))
