"""A small Seniorvikar world for the portal's tests: the real design file (virkning/examples/seniorvikar/design.yaml), two
job-centre units with six citizens each, and one user per role."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

DESIGN = Path(__file__).resolve().parents[2] / "examples" / "seniorvikar" / "design.yaml"
PASSWORD = "en-lang-test-adgangskode-42"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]

# synthetic CPR numbers (birth dates of 1955-1965 with made-up sequence digits)
CPR_A = ["0103551234", "1504601111", "2207592222", "3112613333", "0909574444", "1706625555"]
CPR_B = ["0202561212", "1111581313", "0505631414", "2808551515", "1212601616", "0301641717"]


def row(day: int = 1, deltaget: str = "ja", opskrevet: str = "ja", **extra) -> dict:
    """Cells of a valid Seniorvikar registration in March 2018."""
    d = {"indkaldelsesdato": f"2018-03-{day:02d}", "deltaget": deltaget}
    if deltaget == "ja":
        d.update(moededato=f"2018-03-{day + 7:02d}", opskrevet=opskrevet)
        if opskrevet == "ja":
            d.update(opskrivningsdato=f"2018-03-{day + 9:02d}")
    d.update(extra)
    return d


@dataclass
class World:
    programme: object
    unit_a: object
    unit_b: object
    users: dict
    regs_a: list
    regs_b: list


def make_user(username: str, role: str, units=(), programmes=()):
    from django.contrib.auth import get_user_model

    from virkning.portal.models import Profile

    user = get_user_model().objects.create_user(username, password=PASSWORD)
    if role:
        p = Profile.objects.create(user=user, role=role)
        p.units.set(units)
        p.programmes.set(programmes)
    return user


def build_world() -> World:
    from virkning.portal.models import Programme, Unit
    from virkning.portal.registrations import save
    from virkning.portal.scoping import system_scope

    with system_scope() as scope:
        programme = Programme.objects.create(name="Seniorvikar", design_path=str(DESIGN),
                                             export_events={"deltaget": "informationsmøde",
                                                            "opskrevet": "opskrivning"})
        a = Unit.objects.create(programme=programme, name="Seniorvikar Kolding")
        b = Unit.objects.create(programme=programme, name="Seniorvikar Roskilde")
        users = {
            "staff_a": make_user("jc-kolding", "jobcenter", units=[a]),
            "staff_b": make_user("jc-roskilde", "jobcenter", units=[b]),
            "lead": make_user("leder", "projektleder", programmes=[programme]),
            "evaluator": make_user("evaluator", "evaluator"),
            "star": make_user("star", "star"),
            "admin": make_user("admin", "admin"),
            "norole": make_user("udenrolle", ""),
        }
        users["admin"].is_staff = users["admin"].is_superuser = True
        users["admin"].save()
        regs_a = [save(scope, None, a, row(day=1 + i, opskrevet="ja" if i % 3 else "nej"), "test", cpr=c)[0]
                  for i, c in enumerate(CPR_A)]
        regs_b = [save(scope, None, b, row(day=2 + i), "test", cpr=c)[0] for i, c in enumerate(CPR_B)]
    return World(programme, a, b, users, regs_a, regs_b)


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def live_world(transactional_db) -> World:
    return build_world()


def login(client, user) -> None:
    """Log a test client in as `user` through the real login page (lockout, signals and all)."""
    resp = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert resp.status_code == 302, resp.content[:500]


@pytest.fixture
def as_user(client):
    def go(user):
        client.logout()
        login(client, user)
        return client
    return go


def chromium_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return "needs the system Chromium (Debian package chromium; .ci/run installs it)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "needs playwright (pip install -r requirements-dev.lock)"
    return None
