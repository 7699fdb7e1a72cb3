"""Registration through the form, the upload and the API with the guide's rules; history; status; the demo."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from virkning.analyses.monitoring import MonitoringConfig, read_registration
from virkning.design import load_design
from virkning.portal import bridge
from virkning.portal.models import Registration, RegistrationVersion, Upload
from virkning.portal.scoping import Scope, system_scope
from virkning.portal.tests.conftest import CPR_A, DESIGN, row

pytestmark = pytest.mark.django_db


def form_data(cpr: str, unit, **cells) -> dict:
    return {"cpr": cpr, "unit": unit.pk, **{"c_" + k: v for k, v in cells.items()}}


def registrations(**filters):
    with system_scope():
        return list(Registration.objects.scoped(Scope.system()).filter(**filters))


def test_form_shows_the_guides_rules_inline_in_danish(world, as_user):
    client = as_user(world.users["staff_a"])
    bad = row(day=10, moededato="2018-03-01", opskrevet="måske", vikar_branche="Fiskeri")
    page = client.post("/registreringer/ny/", form_data("0101701234", world.unit_a, **bad)).content.decode()
    assert "Registreringen er ikke gemt" in page
    assert "Datoen skal ligge samme dag som eller efter »Indkaldt« (10-03-2018)." in page
    assert "Skal være ja eller nej." in page and "Ikke en tilladt værdi. Vælg en af: Industri" in page
    assert 'id="felt-c_moededato"' in page and "field invalid" in page
    assert not registrations(unit=world.unit_a, cpr_masked="010170-****")
    page = client.post("/registreringer/ny/", form_data("010170", world.unit_a, **row())).content.decode()
    assert "Et CPR-nummer har 10 cifre" in page
    resp = client.post("/registreringer/ny/", form_data("010170-1234", world.unit_a, **row(day=10)))
    assert resp.status_code == 302
    reg = registrations(cpr_masked="010170-****")[0]
    assert reg.unit == world.unit_a and reg.data["moededato"] == "2018-03-17" and reg.version == 1


def test_form_checks_are_the_monitoring_checks(world, tmp_path):
    """One source: the same rows give the same violations through the portal and through read_registration."""
    guide = bridge.load_guide(DESIGN)
    rows = [dict(row(day=1), person_id="p1", projekt="A"),
            dict(row(day=2, moededato="2018-06-30"), person_id="p2", projekt="A"),
            dict(row(day=3, deltaget="maaske"), person_id="p3", projekt="A"),
            dict(row(day=4), person_id="p1", projekt="A")]
    sheet = tmp_path / "ark.csv"
    columns = ["person_id", "projekt", *[f.name for f in guide.fields]]
    pd.DataFrame(rows).reindex(columns=columns).to_csv(sheet, index=False)
    config = load_design(DESIGN).monitoring
    direct = read_registration(sheet, config).violations[["row", "column", "rule"]].to_dict("records")
    via = [{k: e[k] for k in ("row", "column", "rule")} for e in bridge.check_rows(guide, rows).errors]
    assert via == direct and len(direct) == 3


def test_edit_keeps_history(world, as_user):
    client = as_user(world.users["staff_a"])
    reg = world.regs_a[1]
    new = row(day=2, vikarjob_start="2018-04-01", vikar_branche="Industri")
    assert client.post(f"/registreringer/{reg.pk}/ret/", {"c_" + k: v for k, v in new.items()}).status_code == 302
    page = client.get(f"/registreringer/{reg.pk}/").content.decode()
    assert "Start i vikarjob: – → 2018-04-01" in page and "ændret (formular)" in page
    with system_scope():
        versions = list(RegistrationVersion.objects.scoped(Scope.system()).filter(registration=reg))
    assert [v.version for v in versions] == [1, 2] and versions[1].changed_by == world.users["staff_a"]
    assert versions[0].data.get("vikarjob_start", "") == "" and versions[1].data["vikarjob_start"] == "2018-04-01"


def sheet_bytes(rows: list[list], header: list[str], kind: str = "xlsx") -> SimpleUploadedFile:
    if kind == "csv":
        text = "\n".join(",".join(str(c) for c in r) for r in [header, *rows])
        return SimpleUploadedFile("ark.csv", text.encode("utf-8"), content_type="text/csv")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Registrering"
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("ark.xlsx", buf.getvalue())


HEADER = ["person_id", "projekt", "indkaldelsesdato", "deltaget", "moededato", "opskrevet", "opskrivningsdato",
          "matchsamtale", "opfoelgningsdato", "vikarjob_start", "vikar_branche", "alternativ_indsats"]
PAD = ["", "", "", "", ""]


def test_upload_locates_errors_by_row_and_imports_nothing_by_default(world, as_user):
    client = as_user(world.users["staff_a"])
    rows = [["0101701234", "Seniorvikar Kolding", "2018-04-02", "ja", "2018-04-09", "ja", "2018-04-10"],
            ["0202701234", "Seniorvikar Kolding", "2018-04-02", "ja", "2018-03-01", "nej", ""],
            ["0303701234", "Seniorvikar Roskilde", "2018-04-02", "nej", "", "", ""],
            ["12345", "Seniorvikar Kolding", "2018-04-02", "nej", "", "", ""],
            [CPR_A[0], "Seniorvikar Kolding", "2018-03-01", "ja", "2018-03-08", "nej", ""]]
    rows = [r + PAD for r in rows]
    resp = client.post("/upload/", {"programme": world.programme.pk, "file": sheet_bytes(rows, HEADER)})
    page = resp.content.decode()
    assert "3 fejl i arket; intet er importeret" in page
    errors = Upload.objects.get().errors
    assert [(e["row"], e["column"]) for e in errors] == [(3, "moededato"), (4, "projekt"), (5, "person_id")]
    assert "»Seniorvikar Roskilde« findes ikke" in errors[1]["message"]
    assert not registrations(cpr_masked="010170-****")
    # with "import the valid rows": a new citizen and an update of an existing one (version 2)
    resp = client.post("/upload/", {"programme": world.programme.pk, "import_valid": "on",
                                     "file": sheet_bytes(rows, HEADER, "csv")})
    assert "1 nye, 1 opdateret" in resp.content.decode()
    assert registrations(cpr_masked="010170-****")[0].unit == world.unit_a
    assert registrations(pk=world.regs_a[0].pk)[0].version == 2
    assert "12345" not in str(Upload.objects.last().errors) and CPR_A[0] not in page


def test_status_page_and_api_show_the_unit_and_the_total_only(world, as_user):
    client = as_user(world.users["staff_a"])
    page = client.get(f"/status/{world.unit_a.pk}/?maaned=2018-03").content.decode()
    assert "Seniorvikar Kolding" in page and "I alt" in page and "Roskilde" not in page
    data = client.get(f"/api/status/{world.unit_a.pk}/?maaned=2018-03").json()
    funnel = {(r["unit"], r["step"]): r["persons"] for r in data["tables"]["funnel"] if r["period"] == "cumulative"}
    assert funnel[("Seniorvikar Kolding", "inviteret")] == 6 and funnel[("I alt", "deltaget")] == 12
    assert funnel[("Seniorvikar Kolding", "opskrevet")] is None  # 4 of 6: removes 2 persons, hidden
    assert {r["unit"] for r in data["tables"]["ranking"]} == {"Seniorvikar Kolding"}
    ev = as_user(world.users["evaluator"]).get(f"/oversigt/?maaned=2018-03").content.decode()
    assert "Seniorvikar Kolding" in ev and "Seniorvikar Roskilde" in ev


def test_api_registers_with_the_same_rules(world, as_user):
    client = as_user(world.users["staff_b"])
    bad = client.post("/api/registreringer/", {"unit": world.unit_b.pk, "cpr": "0101701234",
                                               "data": row(deltaget="")}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["message"] == "Skal udfyldes."
    ok = client.post("/api/registreringer/", {"unit": world.unit_b.pk, "cpr": "0101701234", "data": row()},
                     content_type="application/json")
    assert ok.status_code == 201 and ok.json()["cpr"] == "010170-****"
    again = client.post("/api/registreringer/", {"unit": world.unit_b.pk, "cpr": "010170-1234", "data": row()},
                        content_type="application/json")
    assert again.status_code == 409
