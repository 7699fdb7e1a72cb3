"""`virkning portal --demo`: the synthetic Seniorvikar programme's units, one user per role and its registrations,
so a newcomer can log in at once.

The registrations come from the synthetic registration sheet (`virkning.synth.sheets`), which keeps a handful of
deliberate breaches of the guide: they go through the same import as an upload, so the broken rows are left out
and counted. Synthetic persons have no CPR numbers; each gets a made-up one from its birth date and its number.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml

DEMO_PASSWORD = "demo-portal-2018"
USERS = [  # user name, role, units (by municipality name) or programme
    ("jobcenter-kolding", "jobcenter", ["Kolding"]),
    ("jobcenter-roskilde", "jobcenter", ["Roskilde"]),
    ("projektleder", "projektleder", "programme"),
    ("evaluator", "evaluator", None),
    ("star", "star", None),
    ("admin", "admin", None),
]
# The effect-evaluation part of the demo design (the monitoring part comes from virkning.synth.sheets).
_EFFECT = {
    "name": "Seniorvikar (demo)",
    "language": "da",
    "data": {"folder": "data"},
    "participants": {"event": "informationsmøde"},
    "pool": {"age": [50, 65], "states": {-1: "ledig", 0: "ledig"}},
    "covariates": ["age", "sex", "weeks_ledig_52w"],
    "outcomes": [{"name": "exit_beskaeftiget", "kind": "first_exit", "status": "beskæftiget", "horizon": 7}],
}


def demo_data(home: Path, persons: int = 100_000, progress=print) -> Path:
    """The synthetic registers and sheets in HOME/demo/data (made once; about 15 s)."""
    data = home / "demo" / "data"
    if not (data / "registration.xlsx").exists():
        from virkning.synth import generate
        from virkning.synth.sheets import write_monitoring_data

        progress(f"Making the synthetic programme in {data} (once) ...")
        generate(data, persons=persons, seed=2018, population="seniors")
        write_monitoring_data(data, seed=1)
    return data


def demo_design(home: Path) -> Path:
    from virkning.synth.sheets import default_monitoring_config

    path = home / "demo" / "design.yaml"
    monitoring = default_monitoring_config()
    criteria = monitoring.pop("success_criteria")  # the design's own, at the top of the file
    monitoring.pop("disclosure_threshold", None)
    spec = dict(_EFFECT, success_criteria=criteria, monitoring=monitoring)
    path.write_text("# Demo design written by `virkning portal --demo`.\n"
                    + yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def synthetic_cprs(data: Path, ids: list[str]) -> dict[str, str]:
    """A made-up, stable CPR number per synthetic person: birth date (DDMMYY) + four digits from its number."""
    from virkning.registers.readers import find_files

    found = find_files(data, "persons")  # the synthetic persons table: Parquet or CSV, one file or parts
    assert found is not None  # the one caller passes the demo data folder, which demo_data gave a persons table
    kind, files = found
    columns = ["person_id", "birth_date"]
    persons = pd.concat([pd.read_parquet(f, columns=columns) if kind == "parquet" else
                         pd.read_csv(f, usecols=columns, dtype=str) for f in files], ignore_index=True)
    persons = persons[persons["person_id"].astype(str).isin(set(ids))]
    births = dict(zip(persons["person_id"].astype(str), pd.to_datetime(persons["birth_date"]).dt.date))
    out, used = {}, set()
    for pid in ids:
        b = births.get(pid)
        if b is None:
            continue
        seq = int("".join(ch for ch in pid if ch.isdigit()) or 0) % 10000
        while f"{b:%d%m%y}{seq:04d}" in used:
            seq = (seq + 1) % 10000
        out[pid] = f"{b:%d%m%y}{seq:04d}"
        used.add(out[pid])
    return out


def seed_demo(home: Path, persons: int = 100_000, progress=print) -> dict:
    """Programme, units, users and registrations of the demo (idempotent: a second run adds nothing)."""
    from django.contrib.auth import get_user_model

    from virkning.portal import bridge
    from virkning.portal.models import Profile, Programme, Unit
    from virkning.portal.registrations import guide_for, import_frame
    from virkning.portal.scoping import system_scope

    home = Path(home)
    data = demo_data(home, persons, progress)
    design = demo_design(home)
    truth = json.loads((data / "truth.json").read_text(encoding="utf-8"))
    with system_scope() as scope:
        programme, _ = Programme.objects.get_or_create(
            name="Seniorvikar", defaults={"design_path": str(design),
                                          "export_events": {"deltaget": "informationsmøde",
                                                            "opskrevet": "opskrivning"}})
        units = {p["name"]: Unit.objects.get_or_create(programme=programme, name=p["unit"])[0]
                 for p in truth["projects"]}
        User = get_user_model()
        for name, role, where in USERS:
            user, made = User.objects.get_or_create(username=name)
            if made:
                user.set_password(DEMO_PASSWORD)
                user.is_staff = user.is_superuser = role == "admin"
                user.save()
            profile, _ = Profile.objects.get_or_create(user=user, defaults={"role": role})
            if role == "jobcenter":
                assert isinstance(where, list)  # USERS names the units of every jobcenter user
                profile.units.set([units[m] for m in where])
            elif role == "projektleder":
                profile.programmes.set([programme])
        result = None
        if not Unit.objects.filter(programme=programme, registrations__isnull=False).exists():
            guide = guide_for(programme)
            raw, sheet = bridge.read_sheet(data / "registration.xlsx", guide)
            cprs = synthetic_cprs(data, [str(v) for v in raw[guide.person_column].dropna().unique()])
            raw[guide.person_column] = [cprs.get(str(v), "") for v in raw[guide.person_column]]
            result = import_frame(scope, None, programme, raw, sheet, "demo", import_valid=True)
            progress(f"Demo: {result.created} registrations from the synthetic sheet; {len(result.errors)} "
                     "deliberate breaches of the guide left out.")
    return {"programme": programme, "units": units, "import": result, "data": data, "design": design}
