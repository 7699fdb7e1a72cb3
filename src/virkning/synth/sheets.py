"""Monitoring data to go with a synthetic register folder: the job centres' registration sheet, a staff survey on
fidelity (three waves) and a citizen survey (two waves), plus a monitoring configuration that fits them.

    from virkning.synth.sheets import write_monitoring_data, default_monitoring_config
    paths = write_monitoring_data("data/", seed=1)      # reads events, persons, employment, truth.json

The sheet agrees with the registers: a row per invited citizen and project; attendees are the citizens with an
`informationsmøde` event (the meeting date is their first one), `opskrevet` is yes exactly when there is an
`opskrivning` event, and a temp job starts in the first month with temp-agency employment after the meeting.
Invited citizens who did not attend are drawn from the senior cohorts of the project municipality. A handful of
deliberate breaches of the registration guide are written to `registration_errors.json` (sheet, row, column,
rule), so the checker has something known to find.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np
import pandas as pd

from virkning.spreadsheets import deterministic_xlsx

SHEET = "Registrering"
INDUSTRIES = ["Industri", "Bygge og anlæg", "Transport", "Handel", "Offentlig administration mv.", "Andet"]
MEASURES = ["virksomhedspraktik", "løntilskud", "uddannelse", "andet"]
LIKERT = ["helt uenig", "uenig", "hverken enig eller uenig", "enig", "helt enig"]
SCALE = ["slet ikke", "i mindre grad", "i nogen grad", "i høj grad", "i meget høj grad"]
BANDS = ["0-20 pct.", "21-40 pct.", "41-60 pct.", "61-80 pct.", "81-100 pct."]
WAVES = ["nulpunkt", "midtvejs", "slut"]
CITIZEN_WAVES = ["efter informationsmøde", "efter opfølgning"]

ELEMENTS = {
    "k1": "Informationsmøde om vikarbranchen",
    "k2": "Samarbejde med vikarbureauer",
    "k3": "Opfølgning efter mødet",
    "k4": "Hjælp til opskrivning",
}
ITEMS = {
    "k1_indhold": "k1", "k1_bureauer_deltager": "k1",
    "k2_aftaler": "k2", "k2_kontakt": "k2",
    "k3_opfoelgning": "k3", "k3_andel_fulgt_op": "k3",
    "k4_hjaelp": "k4", "k4_cv": "k4",
}
BANDED = ["k3_andel_fulgt_op"]
SURVEY_ITEMS = {
    "god_viden": "Mødet gav god og relevant viden om mulighederne i vikarbranchen",
    "motiveret": "Jeg er motiveret for at gå til samtale i et vikarbureau",
    "vilkaar": "Jeg fik viden om løn- og ansættelsesvilkår i vikarbranchen",
    "dagpengeret": "Jeg ved, hvad vikarjob betyder for min dagpengeret",
}


def default_monitoring_config() -> dict:
    """The monitoring configuration (as a dict for MonitoringConfig.model_validate) matching the files written by
    `write_monitoring_data` and the success criteria of the Seniorvikar programme."""
    return {
        "programme": "Seniorvikar",
        "registration_file": "registration.xlsx",
        "registration": {
            "sheet": SHEET,
            "layout": "per_citizen",
            "person_column": "person_id",
            "unit_column": "projekt",
            "index_column": "indkaldelsesdato",
            "columns": [
                {"name": "indkaldelsesdato", "type": "date", "required": True, "label": "Indkaldt"},
                {"name": "deltaget", "type": "bool", "required": True, "label": "Deltaget i informationsmøde"},
                {"name": "moededato", "type": "date", "label": "Dato for informationsmøde"},
                {"name": "matchsamtale", "type": "date", "label": "Matchsamtale med vikarbureau"},
                {"name": "opskrevet", "type": "bool", "label": "Opskrevet hos vikarbureau"},
                {"name": "opskrivningsdato", "type": "date", "label": "Dato for opskrivning"},
                {"name": "opfoelgningsdato", "type": "date", "label": "Opfølgning"},
                {"name": "vikarjob_start", "type": "date", "label": "Start i vikarjob"},
                {"name": "vikar_branche", "type": "choice", "values": INDUSTRIES,
                 "label": "Branche for vikarjob"},
                {"name": "alternativ_indsats", "type": "choice", "values": MEASURES,
                 "label": "Anden indsats"},
            ],
            "required_if": [
                {"column": "moededato", "when": "deltaget"},
                {"column": "opskrevet", "when": "deltaget"},
            ],
            "date_rules": [
                {"column": "moededato", "after": "indkaldelsesdato", "within_weeks": 8},
                {"column": "matchsamtale", "after": "moededato", "within_weeks": 13},
                {"column": "opskrivningsdato", "after": "moededato", "within_weeks": 13},
                {"column": "opfoelgningsdato", "after": "moededato", "within_weeks": 13},
                {"column": "vikarjob_start", "after": "moededato"},
            ],
        },
        "funnel": [
            {"name": "inviteret", "label": "Indkaldt", "column": "indkaldelsesdato"},
            {"name": "deltaget", "label": "Deltaget i informationsmøde", "column": "deltaget",
             "date_column": "moededato"},
            {"name": "opskrevet", "label": "Opskrevet hos vikarbureau", "column": "opskrevet",
             "date_column": "opskrivningsdato"},
            {"name": "vikarjob", "label": "I vikarjob", "column": "vikarjob_start"},
            {"name": "alternativ", "label": "Anden indsats", "column": "alternativ_indsats",
             "date_column": "moededato"},
        ],
        "success_criteria": [
            {"name": "deltagere", "label": "Mindst 100-150 deltagere pr. projekt", "kind": "count",
             "numerator": "deltaget", "target": [100, 150], "per": "project"},
            {"name": "opskrivning", "label": "80 pct. af deltagerne opskrives", "kind": "share",
             "numerator": "opskrevet", "denominator": "deltaget", "target": 0.8, "per": "project"},
            {"name": "vikaransaettelse", "label": "40 pct. af de opskrevne i vikarjob", "kind": "share",
             "numerator": "vikarjob", "denominator": "opskrevet", "target": 0.4, "per": "project"},
        ],
        "register_results": {"employment_after_weeks": 13, "temp_from_step": "deltaget",
                             "industry_column": "vikar_branche"},
        "fidelity": {
            "file": "staff_survey.csv",
            "waves": WAVES,
            "elements": ELEMENTS,
            "items": ITEMS,
            "bands": [{"items": BANDED, "mapping": {b: i + 1 for i, b in enumerate(BANDS)}}],
            "outcome_criterion": "opskrivning",
            "sizes_file": "units.csv",
        },
        "surveys": [{
            "name": "borgersurvey", "label": "Borgernes oplevelse af informationsmødet",
            "file": "citizen_survey.csv", "items": SURVEY_ITEMS, "population_step": "deltaget",
        }],
    }


def _read(folder: Path, name: str, columns: list[str], persons: list[str] | None = None) -> pd.DataFrame:
    """Columns of a synthetic register table as written by `virkning synth` (Parquet or CSV), read without the
    pipeline: synth depends on the data contract only. `persons`: only these persons' rows of a Parquet file,
    filtered as it is read (the caller still filters: a CSV file is read whole)."""
    parquet, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
    if parquet.exists():
        if persons is not None:  # not tens of millions of ids turned into Python strings only to drop most
            from virkning.registers.readers import parquet_rows

            return parquet_rows(parquet, columns, {}, persons=persons)
        return pd.read_parquet(parquet, columns=columns)
    if csv.exists():
        return pd.read_csv(csv, usecols=columns, dtype=str, keep_default_na=False)
    raise FileNotFoundError(f"{folder}: no {name}.parquet or {name}.csv")


def _as_date(v) -> dt.date:
    return pd.Timestamp(v).date()


class _AttendanceRow(Protocol):
    """A row of the attendance frame in _registration (dates as datetime.date, from _as_date)."""

    person_id: str
    moededato: dt.date
    opskrivningsdato: Any  # a date, or NaN where the person never signed up (the left merge)


def _registration(folder: Path, rng: np.random.Generator, projects: list[dict]) -> pd.DataFrame:
    events = _read(folder, "events", ["person_id", "date", "event", "unit"])
    events["date"] = pd.to_datetime(events["date"])

    def first_date(event: str, name: str) -> pd.DataFrame:
        # the minimum of the timestamps, not of date objects: pandas has no fast path for the latter
        # as_index=False makes the aggregate a frame (the stubs type a selected column's min as a Series)
        f = cast(pd.DataFrame, events[events["event"] == event].groupby(["person_id", "unit"], as_index=False)["date"].min())
        f[name] = [_as_date(d) for d in f.pop("date")]
        return f

    att = first_date("informationsmøde", "moededato").merge(first_date("opskrivning", "opskrivningsdato"),
                                                          on=["person_id", "unit"], how="left")
    # first temp-agency month on or after the meeting month
    ids = att["person_id"].unique().tolist()
    emp = _read_employment(folder, ids)
    starts: list[dt.date | None] = []
    for r in cast(Iterable[_AttendanceRow], att.itertuples()):
        if pd.isna(r.opskrivningsdato):
            starts.append(None)
            continue
        mo0 = r.moededato.year * 12 + r.moededato.month - 1
        e = emp.get(r.person_id, [])
        later = [m for m in e if m >= mo0]
        if not later:
            starts.append(None)
            continue
        d = dt.date(later[0] // 12, later[0] % 12 + 1, 1)
        starts.append(max(d, r.opskrivningsdato))
    att["vikarjob_start"] = starts
    n = len(att)
    att["indkaldelsesdato"] = [d - dt.timedelta(days=int(k)) for d, k in zip(att["moededato"], rng.integers(7, 22, n))]
    att["deltaget"] = "ja"
    att["opskrevet"] = np.where(att["opskrivningsdato"].notna(), "ja", "nej")
    att["matchsamtale"] = [(d + dt.timedelta(days=int(k))) if (s == "ja" or u < 0.3) else None
                           for d, k, s, u in zip(att["moededato"], rng.integers(1, 15, n), att["opskrevet"], rng.random(n))]
    att["opfoelgningsdato"] = [(d + dt.timedelta(days=int(k))) if u < 0.85 else None
                               for d, k, u in zip(att["moededato"], rng.integers(14, 80, n), rng.random(n))]
    att["vikar_branche"] = [(INDUSTRIES[int(rng.choice(len(INDUSTRIES), p=[.35, .12, .12, .1, .06, .25]))]
                             if (s is not None and rng.random() > 0.3) else None) for s in att["vikarjob_start"]]
    att["alternativ_indsats"] = [(MEASURES[int(rng.integers(0, len(MEASURES)))] if (o == "nej" and rng.random() < 0.25)
                                  else None) for o in att["opskrevet"]]
    # invited, did not attend: seniors of the project municipality
    seniors = _project_seniors(folder, [str(p["municipality"]) for p in projects])
    seniors = seniors[~seniors["person_id"].isin(ids)]
    extra = []
    for p in projects:
        unit = p["unit"]
        dates = sorted(att.loc[att["unit"] == unit, "moededato"].unique())
        if not dates:
            continue
        pool = seniors.loc[seniors["municipality"].astype(str) == str(p["municipality"]), "person_id"].to_numpy()
        k = min(len(pool), int(round(0.35 * (att["unit"] == unit).sum())))
        for pid in rng.choice(pool, size=k, replace=False) if k else []:
            d = dates[int(rng.integers(0, len(dates)))]
            extra.append({"person_id": pid, "unit": unit,
                          "indkaldelsesdato": d - dt.timedelta(days=int(rng.integers(7, 22))), "deltaget": "nej",
                          "alternativ_indsats": MEASURES[int(rng.integers(0, 4))] if rng.random() < 0.1 else None})
    sheet = pd.concat([att, pd.DataFrame(extra)], ignore_index=True)
    sheet = sheet.rename(columns={"unit": "projekt"})
    sheet = sheet.sort_values(["projekt", "indkaldelsesdato", "person_id"], kind="stable").reset_index(drop=True)
    cols = ["person_id", "projekt", "indkaldelsesdato", "deltaget", "moededato", "matchsamtale", "opskrevet",
            "opskrivningsdato", "opfoelgningsdato", "vikarjob_start", "vikar_branche", "alternativ_indsats"]
    sheet = sheet[cols].astype(object)
    return sheet.where(sheet.notna(), None)


def _project_seniors(folder: Path, municipalities: list[str]) -> pd.DataFrame:
    """person_id, municipality of the senior cohorts living in the project municipalities, in person_id order."""
    p = _read(folder, "persons", ["person_id", "birth_date", "municipality"])
    birth = pd.to_datetime(p["birth_date"])
    mun = p["municipality"].astype(str)
    keep = (birth >= pd.Timestamp("1953-01-02")) & (birth <= pd.Timestamp("1968-12-31")) & mun.isin(municipalities)
    out = pd.DataFrame({"person_id": p.loc[keep, "person_id"].astype(str), "municipality": mun[keep]})
    return out.sort_values("person_id", kind="stable").reset_index(drop=True)


def _read_employment(folder: Path, ids: list[str]) -> dict[str, list[int]]:
    try:
        e = _read(folder, "employment", ["person_id", "month", "employment_rate", "temp_agency"], persons=ids)
    except FileNotFoundError:
        return {}
    temp = e["temp_agency"].astype(str).str.lower().isin(["true", "1"]) if e["temp_agency"].dtype == object \
        else e["temp_agency"].astype(bool)
    keep = temp & (pd.to_numeric(e["employment_rate"]) > 0) & e["person_id"].isin(ids)
    rows = pd.DataFrame({"person_id": e.loc[keep, "person_id"].astype(str), "month": e.loc[keep, "month"].astype(str)})
    rows = rows.sort_values(["person_id", "month"], kind="stable")
    out: dict[str, list[int]] = {}
    for pid, month in zip(rows["person_id"], rows["month"]):
        y, m = int(month[:4]), int(month[5:7])
        out.setdefault(pid, []).append(y * 12 + m - 1)
    return out


def _break(sheet: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, list[dict]]:
    """A few deliberate breaches of the guide; returns the sheet and what was broken (spreadsheet row numbers)."""
    s = sheet.copy()
    errors: list[dict] = []
    att = s.index[s["deltaget"] == "ja"].tolist()
    picks = [int(i) for i in rng.choice(att, size=6, replace=False)]

    def note(i, column, rule, value):
        errors.append({"sheet": SHEET, "row": int(i) + 2, "column": column, "rule": rule, "value": value})

    i = picks[0]
    s.at[i, "opfoelgningsdato"] = "31-02-2018"
    note(i, "opfoelgningsdato", "not a date", "31-02-2018")
    i = picks[1]
    # the sheet's date columns hold datetime.date objects (the stubs type a cell as any scalar)
    s.at[i, "opfoelgningsdato"] = cast(dt.date, s.at[i, "moededato"]) + dt.timedelta(weeks=20)
    note(i, "opfoelgningsdato", "within 13 weeks", cast(dt.date, s.at[i, "opfoelgningsdato"]).isoformat())
    i = picks[2]
    s.at[i, "opskrevet"] = "måske"
    note(i, "opskrevet", "not yes/no", "måske")
    i = picks[3]
    s.at[i, "alternativ_indsats"] = "jobklub"
    note(i, "alternativ_indsats", "not an allowed value", "jobklub")
    i = picks[4]
    s.at[i, "moededato"] = cast(dt.date, s.at[i, "indkaldelsesdato"]) - dt.timedelta(days=3)
    note(i, "moededato", "on or after", cast(dt.date, s.at[i, "moededato"]).isoformat())
    i = picks[5]
    s.at[i, "projekt"] = None
    note(i, "projekt", "required value is empty", "")
    dup = s.loc[[picks[0] - 1 if picks[0] > 0 else picks[0] + 1]].copy()
    s = pd.concat([s, dup], ignore_index=True)
    errors.append({"sheet": SHEET, "row": int(len(s)) + 1, "column": "person_id", "rule": "registered twice",
                   "value": str(dup["person_id"].iloc[0])})
    return s, errors


def _write_xlsx(path: Path, frame: pd.DataFrame, sheet_name: str) -> None:
    """`frame` as one sheet, header in row 1 and None as an empty cell. Write-only mode streams the rows, about twice
    as fast as `DataFrame.to_excel`; dates get openpyxl's `yyyy-mm-dd` format and read back as the same dates."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(sheet_name)
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        ws.append(row)
    # stamped with a fixed date, not the clock: the same seed gives the same bytes on any day
    path.write_bytes(deterministic_xlsx(wb, dt.date(1980, 1, 1)))


def _staff_survey(projects: list[dict], rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    rid = 0
    for p in projects:
        base = rng.normal(2.6, 0.5)
        growth = rng.uniform(0.3, 0.8)
        for w, wave in enumerate(WAVES):
            n = int(rng.integers(3, 9))
            for _ in range(n):
                rid += 1
                role = "leder" if rng.random() < 0.25 else "medarbejder"
                for item in ITEMS:
                    level = base + w * growth + rng.normal(0, 0.7)
                    k = int(np.clip(round(level), 1, 5))
                    if rng.random() < 0.06:
                        answer = "ved ikke"
                    elif item in BANDED:
                        answer = BANDS[k - 1]
                    else:
                        answer = SCALE[k - 1]
                    rows.append({"respondent": f"M{rid:05d}", "unit": p["unit"], "role": role, "wave": wave,
                                 "item": item, "answer": answer})
    return pd.DataFrame(rows)


def _citizen_survey(sheet: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    att = sheet[sheet["deltaget"] == "ja"]
    rid = 0
    for w, wave in enumerate(CITIZEN_WAVES):
        rate = 0.7 if w == 0 else 0.45
        for unit, grp in att.groupby("projekt"):
            mood = rng.normal(0.6, 0.4)
            for _ in range(int(rng.binomial(len(grp), rate))):
                rid += 1
                rec = {"respondent": f"B{rid:05d}", "projekt": unit, "wave": wave}
                for j, item in enumerate(SURVEY_ITEMS):
                    if rng.random() < 0.05:
                        rec[item] = "ved ikke"
                    else:
                        k = int(np.clip(round(2.6 + mood - 0.3 * j + rng.normal(0, 1.0)), 0, 4))
                        rec[item] = LIKERT[k]
                rows.append(rec)
    return pd.DataFrame(rows, columns=["respondent", "projekt", "wave", *SURVEY_ITEMS])


def write_monitoring_data(folder: str | Path, seed: int = 1) -> dict[str, Path]:
    """Write registration.xlsx, registration_errors.json, staff_survey.csv, citizen_survey.csv, units.csv and
    monitoring.json (the default configuration) into a synthetic register folder."""
    folder = Path(folder)
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    projects = truth["projects"]
    rng = np.random.default_rng(seed)
    sheet = _registration(folder, rng, projects)
    sheet, errors = _break(sheet, rng)
    paths = {}
    paths["registration"] = folder / "registration.xlsx"
    _write_xlsx(paths["registration"], sheet, SHEET)
    paths["registration_errors"] = folder / "registration_errors.json"
    paths["registration_errors"].write_text(json.dumps(errors, ensure_ascii=False, indent=1), encoding="utf-8")
    paths["staff_survey"] = folder / "staff_survey.csv"
    _staff_survey(projects, rng).to_csv(paths["staff_survey"], index=False)
    paths["citizen_survey"] = folder / "citizen_survey.csv"
    _citizen_survey(sheet[sheet["projekt"].notna()], rng).to_csv(paths["citizen_survey"], index=False)
    from importlib.resources import files

    muni = pd.read_csv(str(files("virkning.registers") / "municipalities.csv"), dtype={"code": str})
    units = pd.DataFrame(projects).merge(muni[["code", "population"]], left_on="municipality", right_on="code", how="left")
    paths["units"] = folder / "units.csv"
    units[["unit", "municipality", "population"]].to_csv(paths["units"], index=False)
    paths["config"] = folder / "monitoring.json"
    paths["config"].write_text(json.dumps(default_monitoring_config(), ensure_ascii=False, indent=1), encoding="utf-8")
    return paths
