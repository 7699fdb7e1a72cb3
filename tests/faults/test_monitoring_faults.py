"""Faults in the inputs of `virkning monitor` (registration sheet, surveys, staff survey, sizes, month, design),
refused with exit code 1, a located message and nothing written."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from faultkit import assert_refused, fingerprint, previous_output, run
from virkning.demo import example

SMALL = ("registration.xlsx", "staff_survey.csv", "citizen_survey.csv", "units.csv")


@pytest.fixture(scope="module")
def monitoring_data(synth_folder, tmp_path_factory) -> Path:
    """The shared synthetic registers with the demo's registration sheet, surveys and sizes."""
    from virkning.synth.sheets import write_monitoring_data

    folder = tmp_path_factory.mktemp("monitoring") / "data"
    folder.mkdir()
    for p in synth_folder.iterdir():
        if p.is_file():
            shutil.copy(p, folder / p.name)
    write_monitoring_data(folder, seed=3)
    return folder


@pytest.fixture
def case(monitoring_data, tmp_path) -> Path:
    """A case folder: design, data (registers linked, the small monitoring inputs copied) and an earlier output."""
    root = tmp_path / "case"
    data = root / "data"
    data.mkdir(parents=True)
    for p in monitoring_data.iterdir():
        if p.name in SMALL:
            shutil.copy(p, data / p.name)
        else:
            (data / p.name).symlink_to(p)
    (root / "design.yaml").write_text(example("seniorvikar"), encoding="utf-8")
    previous_output(root / "out")
    return root


def sheet(fn):
    def mutate(d: Path) -> None:
        f = pd.read_excel(d / "registration.xlsx", sheet_name="Registrering", dtype=str)
        fn(f).to_excel(d / "registration.xlsx", sheet_name="Registrering", index=False)
    return mutate


def csv(name: str, fn):
    def mutate(d: Path) -> None:
        f = pd.read_csv(d / name, dtype=str, keep_default_na=False)
        fn(f).to_csv(d / name, index=False)
    return mutate


def raw(name: str, data: bytes):
    def mutate(d: Path) -> None:
        (d / name).write_bytes(data)
    return mutate


def truncate_xlsx(d: Path) -> None:
    p = d / "registration.xlsx"
    p.write_bytes(p.read_bytes()[: 3000])


def rename_sheet(d: Path) -> None:
    f = pd.read_excel(d / "registration.xlsx", sheet_name="Registrering", dtype=str)
    f.to_excel(d / "registration.xlsx", sheet_name="Ark1", index=False)


def xlsx_without_sheets_xml(d: Path) -> None:
    p = d / "registration.xlsx"
    with zipfile.ZipFile(p) as z:
        items = [(i, z.read(i)) for i in z.infolist() if not i.filename.startswith("xl/worksheets/")]
    with zipfile.ZipFile(p, "w") as z:
        for info, data in items:
            z.writestr(info, data)


def design(old: str, new: str):
    def mutate(root: Path) -> None:
        p = root / "design.yaml"
        text = p.read_text(encoding="utf-8")
        assert old in text
        p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return mutate


def remove(name: str):
    return lambda d: (d / name).unlink()


# (id, data mutation, design mutation, extra arguments, substrings the message must hold)
FAULTS = [
    ("month-13", None, None, ["--month", "2018-13"], ("--month", "2018-13")),
    ("month-text", None, None, ["--month", "marts"], ("--month", "marts")),
    ("month-after-programme", None, None, ["--month", "2031-01"], ("--month", "2031-01")),
    ("month-before-programme", None, None, ["--month", "2001-01"], ("--month", "2001-01")),
    ("sheet-missing", remove("registration.xlsx"), None, [], ("registration.xlsx",)),
    ("sheet-0-byte", raw("registration.xlsx", b""), None, [], ("registration.xlsx",)),
    ("sheet-random-bytes", raw("registration.xlsx", bytes(range(256)) * 64), None, [], ("registration.xlsx",)),
    ("sheet-truncated", truncate_xlsx, None, [], ("registration.xlsx",)),
    ("sheet-no-worksheets", xlsx_without_sheets_xml, None, [], ("registration.xlsx",)),
    ("sheet-renamed", rename_sheet, None, [], ("registration.xlsx", "Registrering")),
    ("sheet-column-missing", sheet(lambda f: f.drop(columns=["deltaget"])), None, [], ("registration.xlsx", "deltaget")),
    ("sheet-header-only", sheet(lambda f: f.iloc[:0]), None, [], ("registration.xlsx", "no rows")),
    ("sheet-strict-broken", None, None, ["--strict"], ("registration.xlsx", "row")),
    ("sheet-future-date", sheet(lambda f: f.assign(indkaldelsesdato=["2099-01-01"] + list(f["indkaldelsesdato"][1:]))),
     None, ["--strict"], ("registration.xlsx", "indkaldelsesdato", "row 2")),
    ("staff-survey-missing", remove("staff_survey.csv"), None, [], ("staff_survey.csv",)),
    ("staff-survey-0-byte", raw("staff_survey.csv", b""), None, [], ("staff_survey.csv", "empty")),
    ("staff-survey-latin1", lambda d: (d / "staff_survey.csv").write_bytes(
        (d / "staff_survey.csv").read_text(encoding="utf-8").replace("unit", "unit", 1).encode("latin-1", "replace")
        + "ø\n".encode("latin-1")), None, [], ("staff_survey.csv", "UTF-8")),
    ("citizen-survey-missing", remove("citizen_survey.csv"), None, [], ("citizen_survey.csv",)),
    ("citizen-survey-ragged", lambda d: (d / "citizen_survey.csv").write_text(
        (d / "citizen_survey.csv").read_text(encoding="utf-8") + "a,b,c,d,e,f,g,h,i,j,k,l,m,n\n", encoding="utf-8"),
     None, [], ("citizen_survey.csv", "line")),
    ("citizen-survey-bad-answer", csv("citizen_survey.csv", lambda f: f.assign(god_viden=["9"] + list(f["god_viden"][1:]))),
     None, [], ("citizen_survey.csv", "god_viden", "row 1")),
    ("units-missing", remove("units.csv"), None, [], ("units.csv",)),
    ("design-monitoring-unknown-key", None, design("  programme: Seniorvikar", "  programme: Seniorvikar\n  programm: x"),
     [], ("design.yaml", "monitoring.programm")),
    ("design-funnel-unknown-column", None, design("    column: opskrevet\n", "    column: opskrevt\n"), [],
     ("design.yaml", "opskrevt")),
    ("design-no-monitoring", None, lambda root: (root / "design.yaml").write_text(
        (root / "design.yaml").read_text(encoding="utf-8").split("\nmonitoring:")[0] + "\n", encoding="utf-8"), [],
     ("design.yaml", "monitoring")),
]


@pytest.mark.parametrize("data_fault,design_fault,args,must",
                         [pytest.param(d, s, a, m, id=i) for i, d, s, a, m in FAULTS])
def test_monitoring_fault_refused(case, capsys, data_fault, design_fault, args, must):
    data, out = case / "data", case / "out"
    if data_fault is not None:
        data_fault(data)
    if design_fault is not None:
        design_fault(case)
    before = fingerprint(out) | {str(p): p.read_bytes().hex()[:64] for p in data.iterdir() if not p.is_symlink()}
    # one early month unless the fault is the month: a fault that slipped through fails fast, not after a programme
    month = [] if "--month" in args else ["--month", "2018-02"]
    code, text = run(["monitor", case / "design.yaml", "--data", data, "--out", out, "--no-registers", *month, *args],
                     capsys)
    after = fingerprint(out) | {str(p): p.read_bytes().hex()[:64] for p in data.iterdir() if not p.is_symlink()}
    assert_refused(code, text, must, before, after, case)


def test_fault_count():
    assert len(FAULTS) >= 20
