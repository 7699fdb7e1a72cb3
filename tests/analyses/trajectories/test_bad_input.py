"""Bad input to the trajectories analysis gives located errors or declared warnings, never silent drops: design
mistakes name the file, line and key; broken records and flags name the file, column and rows; collinear or
constant covariates name the columns; one-member and few clusters are warned about and handled; persons of the
records missing from the registers are counted; an empty group is refused."""

from __future__ import annotations

import dataclasses
import os
import warnings

import numpy as np
import pandas as pd
import pytest

from tests.analyses.trajectories.fsm_fixture import fsm_run  # noqa: F401 (the shared run)
from virkning.analyses.base import Context
from virkning.analyses.trajectories.compute import build_groups, run_design
from virkning.analyses.trajectories.lpm import fit_lpm
from virkning.analyses.trajectories.spec import Binary, Group
from virkning.demo import example
from virkning.design import parse_design
from virkning.design.messages import DesignFileError
from virkning.errors import ContractError, DesignError, EstimationError
from virkning.estimate.regression import SingletonClusterWarning
from virkning.registers import load


def _problems(text: str) -> list:
    with pytest.raises(DesignFileError) as e:
        parse_design(text, "design.yaml")
    return e.value.problems


def _line(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if fragment in line)


def test_design_mistakes_are_located():
    text = example("flere_skal_med")
    bad = text.replace("groups: [gruppe_1, flere_skal_med, sammenligning]", "groups: [gruppe_1, gruppe_9, sammenligning]")
    (p,) = _problems(bad)
    assert (p.line, p.path) == (_line(bad, "gruppe_9"), "trajectories.curves.groups[2]")
    assert "expected a group declared in groups: one of gruppe_1" in p.message and "gruppe_9" in p.message
    bad = text.replace("any_of: [virksomhedsrettet, ordinær_uddannelse", "any_of: [virksomhedsrettede, ordinær_uddannelse")
    (p,) = _problems(bad)
    assert p.path == "trajectories.outcomes[2].any_of[1]" and "state, group or monthly status" in p.message
    bad = text.replace('records: ["3"]', 'records: ["4"]')
    (p,) = _problems(bad)
    assert p.path == "trajectories.groups[3].records" and "group codes of the records table" in p.message
    bad = text.replace("{name: handicap, label: Handicap, flag: handicap}",
                       "{name: handicap, label: Handicap, flag: handicap, from: age}")
    (p,) = _problems(bad)
    assert p.line == _line(bad, "flag: handicap, from: age") and "either from" in p.message
    bad = text.replace("  horizon: 29", "  horizon: 29\n  horison: 29")
    (p,) = _problems(bad)
    assert p.path == "trajectories.horison" and "unknown key" in p.message
    bad = text.replace("outcome: virksomhedsforloeb\n      share: 0.4", "outcome: virksomhedsforloeb\n      share: 40")
    (p,) = _problems(bad)
    assert p.path == "trajectories.units.criterion.share"


def _copy(folder, dest, **replace: pd.DataFrame):
    """A data folder: the fixture's files linked, some tables replaced (written as CSV)."""
    dest.mkdir()
    for f in folder.iterdir():
        if f.stem not in replace and f.suffix == ".parquet":
            os.symlink(f, dest / f.name)
    for name, frame in replace.items():
        if frame is not None:
            frame.to_csv(dest / f"{name}.csv", index=False)
    return dest


def test_broken_records_and_flags_name_file_column_and_rows(fsm_run, tmp_path):
    data = fsm_run["data"]
    rec = pd.read_parquet(data / "records.parquet").head(50).astype(object)
    rec.loc[3, "group"] = "4"
    rec.loc[7, "start_date"] = "2017-02-30"
    rec.loc[9, "start_date"] = None
    flags = pd.read_parquet(data / "person_flags.parquet").head(50)
    flags.loc[5, "handicap"] = 2
    flags = pd.concat([flags, flags.head(1)])
    with pytest.raises(ContractError) as e:
        load(_copy(data, tmp_path / "d", records=rec, person_flags=flags))
    msg = str(e.value)
    assert "records.csv, column 'group', row 4: must be one of 1, 2, 3, udskudt, 6" in msg
    assert "records.csv, column 'start_date', row 8: is not a date" in msg
    assert "records.csv, column 'start_date', row 10: is missing" in msg
    assert "person_flags.csv, column 'handicap', row 6: must be 0 or 1" in msg
    assert "person_flags.csv, column 'person_id', rows 1, 51: each person may appear only once" in msg


def test_records_missing_or_unknown_persons(fsm_run, tmp_path):
    data, design = fsm_run["data"], fsm_run["design"].analyses["trajectories"]
    regs = load(_copy(data, tmp_path / "none", records=None))
    try:
        with pytest.raises(DesignError, match="come from the records table, but the data folder .* has none"):
            build_groups(regs, design, [])
    finally:
        regs.close()
    rec = pd.read_parquet(data / "records.parquet")
    extra = pd.DataFrame({"person_id": ["X1", "X2"], "unit": ["101", "101"], "group": ["1", "1"],
                          "start_date": ["2017-03-01", "2017-03-02"], "end_date": [None, None]})
    rec = pd.concat([rec.astype(str).replace({"NaT": None, "None": None}), extra], ignore_index=True)
    regs = load(_copy(data, tmp_path / "orphans", records=rec))
    notes: list = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, members, flow, _, _ = build_groups(regs, design, notes)
    finally:
        regs.close()
    assert regs.report.orphans["records"] == {"persons": 2, "rows": 2}
    note = next(n for n in notes if n["kind"] == "records_not_in_persons")
    assert note["persons"] == 2 and str(len(rec) - 1) in note["text"]  # the data rows of the records file
    f = flow.set_index("step")
    assert f.loc["one record per person (the rule)", "persons"] - f.loc["in the persons table", "persons"] == 2
    assert len(members["gruppe_1"]) == fsm_run["truth"]["groups"]["group_1"]


def _lpm_inputs(fsm_run, n: int | None = None):
    r = fsm_run["result"]
    members = {"gruppe_1": r.members["gruppe_1"].reset_index(drop=True)}
    months = r.months["gruppe_1"]
    if n is not None:
        members["gruppe_1"] = members["gruppe_1"].head(n)
        months = {k: v[:n] for k, v in months.items()}
    return members, months, {"gruppe_1": np.arange(len(members["gruppe_1"]))}


def test_collinear_and_constant_covariates_name_the_columns(fsm_run):
    regs, design = fsm_run["regs"], fsm_run["design"].analyses["trajectories"]
    members, months, rows = _lpm_inputs(fsm_run)
    kvinde = Binary("kvinde", "Kvinde", source="sex", test=("equals", "K"))
    collinear = dataclasses.replace(design, lpm={**design.lpm, "covariates": (*design.lpm["covariates"], kvinde)})
    with pytest.raises(EstimationError, match=r"trajectories > lpm: .*collinear.*'kvinde' = 1\*\(Intercept\) \+ -1\*mand"):
        fit_lpm(regs, regs.panel(), collinear, members, months, rows, [])
    always = Binary("voksen", "Voksen", source="age", test=("at_least", 18))
    constant = dataclasses.replace(design, lpm={**design.lpm, "covariates": (*design.lpm["covariates"], always)})
    with pytest.raises(EstimationError, match=r"'voksen' \(always 1\) do not vary"):
        fit_lpm(regs, regs.panel(), constant, members, months, rows, [])
    wrong = Binary("x", "X", flag="no_such_flag")
    with pytest.raises(DesignError, match="covariate 'x': person_flags has no column 'no_such_flag'; it has hospital_visits, handicap"):
        fit_lpm(regs, regs.panel(), dataclasses.replace(design, lpm={**design.lpm, "covariates": (wrong,)}),
                members, months, rows, [])


def test_one_member_and_few_clusters(fsm_run):
    regs, design = fsm_run["regs"], fsm_run["design"].analyses["trajectories"]
    members, months, rows = _lpm_inputs(fsm_run)
    g = members["gruppe_1"]
    top = g["unit"].value_counts().index[:10]
    keep = np.array(g["unit"].isin(top))
    keep[np.flatnonzero(~keep)[0]] = True  # one person of another unit: a cluster of one
    members = {"gruppe_1": g[keep].reset_index(drop=True)}
    months = {k: v[keep] for k, v in months.items()}
    notes: list = []
    with pytest.warns(SingletonClusterWarning, match="have a single row"):
        out = fit_lpm(regs, regs.panel(), design, members, months, {"gruppe_1": np.arange(keep.sum())}, notes)
    assert {n["kind"] for n in notes} >= {"SingletonClusterWarning", "standard_errors_wild"}
    assert set(out["lpm_outcomes"]["se_type"]) == {"wild"} and (out["lpm_outcomes"]["n_clusters"] == 11).all()
    assert out["lpm"]["p"].between(0, 1).all() and "webb" in out["fit"].to_frame()["inference"].iloc[0]


def test_an_empty_group_is_refused(fsm_run):
    regs, design = fsm_run["regs"], fsm_run["design"].analyses["trajectories"]
    late = Group("senere", "Senere", date=pd.Timestamp("2030-01-07").date(), state="ikke_jobparat")
    bad = dataclasses.replace(design, groups=(*design.groups, late), lpm=None, units=None, seniority=None)
    with pytest.raises(EstimationError, match=r"group\(s\) senere have no persons"):
        run_design(bad, Context(data=fsm_run["data"], threshold=5, _registers=regs))
