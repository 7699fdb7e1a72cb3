"""Isolation, CSRF, lockout, two-factor, password hashing, headers, CPR handling and the audit log.

Runs on SQLite in the normal suite and again on PostgreSQL in the `postgres` test."""

from __future__ import annotations

import logging
import re

import pyotp
import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client

from virkning.portal import cpr as cprmod
from virkning.portal.models import AuditEvent, LoginAttempt, Registration, RegistrationVersion, TotpDevice
from virkning.portal.scoping import Scope, UnscopedQuery, scope_for, system_scope
from virkning.portal.tests.conftest import CPR_A, CPR_B, PASSWORD, login, row
from virkning.registers import portal_sql

pytestmark = pytest.mark.django_db


def cross_unit_urls(reg_b, unit_b) -> list[tuple[str, str]]:
    return [("get", f"/registreringer/{reg_b.pk}/"), ("get", f"/registreringer/{reg_b.pk}/ret/"),
            ("post", f"/registreringer/{reg_b.pk}/ret/"), ("get", f"/status/{unit_b.pk}/"),
            ("get", f"/api/registreringer/{reg_b.pk}/"), ("get", f"/api/status/{unit_b.pk}/")]


def test_every_cross_unit_url_and_api_call_is_refused(world, as_user):
    client = as_user(world.users["staff_a"])
    for method, url in cross_unit_urls(world.regs_b[0], world.unit_b):
        resp = getattr(client, method)(url, {"c_deltaget": "nej"} if method == "post" else None)
        assert resp.status_code in (403, 404), (method, url, resp.status_code)
        assert CPR_B[0][:6].encode() not in resp.content
    # registering in another unit through the API
    resp = client.post("/api/registreringer/", {"unit": world.unit_b.pk, "cpr": "0101701234",
                                                "data": row()}, content_type="application/json")
    assert resp.status_code == 404
    # the other unit's id in the list filter shows nothing of it
    resp = client.get(f"/registreringer/?enhed={world.unit_b.pk}")
    assert resp.status_code == 200 and b"Roskilde" not in resp.content
    # the own unit works
    assert client.get(f"/registreringer/{world.regs_a[0].pk}/").status_code == 200
    assert client.get(f"/status/{world.unit_a.pk}/").status_code == 200


def test_roles_reach_what_they_should(world, as_user):
    reg_a = world.regs_a[0]
    expect = {  # user: (detail of unit A's citizen, edit, status B, overview, export, audit log)
        "staff_a": (200, 200, 404, 403, 403, 403),
        "staff_b": (404, 404, 200, 403, 403, 403),
        "lead": (200, 200, 200, 403, 403, 403),
        "evaluator": (200, 403, 200, 200, 200, 403),
        "star": (403, 403, 200, 200, 403, 403),
        "admin": (403, 403, 404, 403, 403, 200),
        "norole": (403, 403, 404, 403, 403, 403),
    }
    for who, codes in expect.items():
        client = as_user(world.users[who])
        got = tuple(client.get(u).status_code for u in (
            f"/registreringer/{reg_a.pk}/", f"/registreringer/{reg_a.pk}/ret/", f"/status/{world.unit_b.pk}/",
            "/oversigt/", "/eksport/", "/auditlog/"))
        assert got == codes, who


def test_scoped_manager_refuses_a_query_without_scope(world):
    for model in (Registration, RegistrationVersion):
        with pytest.raises(UnscopedQuery):
            list(model.objects.all())
        with pytest.raises(UnscopedQuery):
            model.objects.filter(unit=world.unit_a).count()
        with pytest.raises(UnscopedQuery):
            model.objects.create()
    with pytest.raises(UnscopedQuery):  # a related manager is the same manager
        list(world.unit_a.registrations.all())
    with system_scope():
        scope_a = scope_for(world.users["staff_a"])
        assert Registration.objects.scoped(scope_a).count() == 6
        assert not Registration.objects.scoped(scope_a).filter(pk=world.regs_b[0].pk).exists()
        assert Registration.objects.scoped(scope_for(world.users["star"])).count() == 0
        assert Registration.objects.scoped(scope_for(world.users["evaluator"])).count() == 12


def test_writes_check_the_scope(world):
    scope_a = Scope(1, "jobcenter", frozenset({world.unit_a.pk}), frozenset({world.unit_a.pk}),
                    frozenset({world.unit_a.pk}), True)
    with system_scope():
        reg_b = Registration.objects.scoped(Scope.system()).get(pk=world.regs_b[0].pk)
    reg_b.data = {"deltaget": "nej"}
    with pytest.raises(PermissionDenied):
        reg_b.save(scope=scope_a)
    with pytest.raises(UnscopedQuery):
        reg_b.save()
    with pytest.raises(PermissionError):
        reg_b.delete()


def test_csrf_is_enforced(world):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/login/", {"username": "jc-kolding", "password": PASSWORD}).status_code == 403
    client.force_login(world.users["staff_a"])
    for url, data in [("/registreringer/ny/", {"cpr": "0101701234", "unit": world.unit_a.pk, **{
            "c_" + k: v for k, v in row().items()}}), ("/api/registreringer/", {}), ("/logout/", {})]:
        assert client.post(url, data).status_code == 403, url
    with system_scope():
        assert Registration.objects.scoped(Scope.system()).count() == 12


def test_lockout_after_five_failures_refuses_even_the_right_password(world, client):
    for i in range(5):
        resp = client.post("/login/", {"username": "jc-kolding", "password": "forkert"})
        assert resp.status_code == 200
        assert ("Forkert brugernavn" if i < 4 else "låst").encode() in resp.content  # the fifth failure locks
    resp = client.post("/login/", {"username": "jc-kolding", "password": PASSWORD})
    assert resp.status_code == 200 and "låst".encode() in resp.content
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="login_locked", username="jc-kolding").exists()
    # an unknown name locks the same way (no hint which names exist); another user is not affected
    for _ in range(6):
        resp = client.post("/login/", {"username": "ingen-saadan", "password": "x"})
    assert "låst".encode() in resp.content
    login(Client(), world.users["staff_b"])
    # the administrator unlocks by deleting the failures
    LoginAttempt.objects.filter(username="jc-kolding", success=False).delete()
    login(Client(), world.users["staff_a"])


def test_passwords_are_argon2(world):
    import virkning.portal.settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert world.users["staff_a"].password.startswith("argon2$argon2id$")


def test_totp_second_factor(world, settings):
    settings.REQUIRE_2FA = True
    client = Client()
    login(client, world.users["staff_a"])
    resp = client.get("/registreringer/")  # password alone reaches only the set-up page
    assert resp.status_code == 302 and resp["Location"].endswith("/konto/2fa/")
    page = client.get("/konto/2fa/").content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert client.post("/konto/2fa/", {"code": "000000"}).status_code == 200
    code = pyotp.TOTP(secret).now()
    assert client.post("/konto/2fa/", {"code": code}).status_code == 302
    assert client.get("/registreringer/").status_code == 200
    assert TotpDevice.objects.get(user=world.users["staff_a"]).confirmed
    # the next login asks for a code; a used code is refused (no replay), a wrong one counts as a failure
    c2 = Client()
    resp = c2.post("/login/", {"username": "jc-kolding", "password": PASSWORD})
    assert resp["Location"].endswith("/login/kode/")
    assert c2.get("/registreringer/").status_code == 302
    assert "Koden er forkert".encode() in c2.post("/login/kode/", {"code": code}).content
    assert LoginAttempt.objects.filter(username="jc-kolding", success=False).count() == 1
    device = TotpDevice.objects.get(user=world.users["staff_a"])
    device.last_counter -= 2  # as if the next 30-second steps had come
    device.save()
    assert c2.post("/login/kode/", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert c2.get("/registreringer/").status_code == 200


def test_headers_and_cookies(world, as_user):
    client = as_user(world.users["staff_a"])
    resp = client.get("/registreringer/")
    csp = resp["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert resp["X-Frame-Options"] == "DENY" and resp["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in resp["Cache-Control"]
    cookie = client.cookies["portal-session"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Strict"
    status = client.get(f"/status/{world.unit_a.pk}/").content.decode()
    nonce = re.search(r"'nonce-([^']+)'", client.get(f"/status/{world.unit_a.pk}/")["Content-Security-Policy"])
    assert nonce and "<style nonce=" in status and "<script" not in status


def test_cpr_is_hashed_encrypted_and_masked(world, as_user):
    reg = world.regs_a[0]
    assert reg.cpr_hash == cprmod.keyed_hash(CPR_A[0]) and len(reg.cpr_hash) == 64
    assert CPR_A[0] not in reg.cpr_encrypted and cprmod.decrypt(reg.cpr_encrypted) == CPR_A[0]
    assert reg.cpr_masked == "010355-****"
    with connection.cursor() as cur:  # nothing in any column of the table holds the number
        cur.execute(portal_sql.ALL_REGISTRATIONS)
        cells = " ".join(str(v) for r in cur.fetchall() for v in r)
    assert not any(c in cells for c in CPR_A + CPR_B)
    assert cprmod.redact("cpr 010355-1234 og 0103551234, ikke 12345678901") == \
        "cpr 010355-**** og 010355-****, ikke 12345678901"
    with pytest.raises(cprmod.InvalidCpr):
        cprmod.normalise("3213551234")


def test_no_cpr_number_in_page_sources_or_logs(world, as_user, caplog):
    caplog.set_level(logging.DEBUG)
    client = as_user(world.users["staff_a"])
    pages = [client.get("/registreringer/"), client.get(f"/registreringer/{world.regs_a[0].pk}/"),
             client.get(f"/registreringer/{world.regs_a[0].pk}/ret/"),
             client.post("/registreringer/", {"cpr": CPR_A[1]}),  # find by CPR
             client.post("/registreringer/ny/", {"cpr": CPR_A[2], "unit": world.unit_a.pk,
                                                 **{"c_" + k: v for k, v in row().items()}}),  # duplicate
             client.post("/registreringer/ny/", {"cpr": "3299991234", "unit": world.unit_a.pk}),  # invalid
             client.get(f"/api/registreringer/{world.regs_a[0].pk}/"), client.get(f"/status/{world.unit_a.pk}/")]
    logging.getLogger("django.request").warning("attempt with %s", CPR_A[3])  # a careless log call is masked
    source = " ".join(p.content.decode() for p in pages)
    assert "010355-****" in source and "150460-****" in source
    for number in CPR_A + CPR_B:
        assert number not in source and f"{number[:6]}-{number[6:]}" not in source
    handler_output = []
    filt = __import__("virkning.portal.security", fromlist=["RedactCprFilter"]).RedactCprFilter()
    for rec in caplog.records:
        filt.filter(rec)
        handler_output.append(rec.getMessage())
    assert any("-****" in m for m in handler_output)
    assert not any(n in m for m in handler_output for n in CPR_A + CPR_B + ["3299991234"])
    audit_text = " ".join(str(e.detail) for e in AuditEvent.objects.all())
    assert not any(n in audit_text for n in CPR_A + CPR_B)


def test_audit_log_records_changes_and_reads(world, as_user):
    client = as_user(world.users["staff_a"])
    reg = world.regs_a[0]
    client.get(f"/registreringer/{reg.pk}/")
    client.post(f"/registreringer/{reg.pk}/ret/", {"c_" + k: v for k, v in
                                                   row(day=1, opskrevet="nej", alternativ_indsats="løntilskud").items()})
    client.get(f"/api/registreringer/{reg.pk}/")
    events = list(AuditEvent.objects.filter(user=world.users["staff_a"]).order_by("at", "id"))
    actions = [(e.action, e.object_id) for e in events]
    assert ("read", str(reg.pk)) in actions and ("update", str(reg.pk)) in actions
    assert [a for a, _ in actions].count("read") >= 2 and actions[0][0] == "login"
    upd = next(e for e in events if e.action == "update")
    assert upd.unit == world.unit_a and upd.detail["version"] == 2 and upd.ip == "127.0.0.1"
    with pytest.raises(PermissionError):
        upd.save()
    with pytest.raises(PermissionError):
        upd.delete()
    # a refused cross-unit attempt is logged too
    client.get("/oversigt/")
    assert AuditEvent.objects.filter(action="denied", user=world.users["staff_a"]).exists()


def test_export_is_the_events_table_for_evaluators_only(world, as_user):
    client = as_user(world.users["evaluator"])
    resp = client.post("/eksport/", {"program": world.programme.pk, "person_id": "cpr",
                                     "ev_deltaget": "informationsmøde", "ev_opskrevet": "opskrivning"})
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    lines = resp.content.decode().strip().splitlines()
    assert lines[0] == "person_id,date,event,unit"
    rows = [line.split(",") for line in lines[1:]]
    # 12 attendees; opskrevet in unit A for i % 3 != 0 (4 of 6) and all 6 of unit B
    assert sum(r[2] == "informationsmøde" for r in rows) == 12 and sum(r[2] == "opskrivning" for r in rows) == 10
    first = next(r for r in rows if r[0] == CPR_A[0] and r[2] == "informationsmøde")
    assert first[1] == "2018-03-08" and first[3] == "Seniorvikar Kolding"  # the meeting date of row(day=1)
    assert AuditEvent.objects.filter(action="export", user=world.users["evaluator"]).count() == 1
    hashed = client.post("/eksport/", {"program": world.programme.pk, "person_id": "hash", "ev_deltaget": "x"})
    assert CPR_A[0] not in hashed.content.decode() and cprmod.keyed_hash(CPR_A[0]) in hashed.content.decode()
    for who in ("staff_a", "lead", "star", "admin"):
        assert as_user(world.users[who]).post("/eksport/", {"program": world.programme.pk}).status_code == 403
