"""SAS7BDAT input (DREAM is often delivered so): upper-case names, numeric codes, wide weekly columns."""

import shutil
from pathlib import Path

import pandas as pd

from virkning.registers import load

SAS = Path(__file__).parent.parent / "data" / "sas"


def test_sas_persons_and_wide_benefits(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    for name in ("persons", "benefits"):
        shutil.copy(SAS / f"{name}.sas7bdat", folder)
    pd.DataFrame({"person_id": ["A"], "month": ["2018-01"], "employment_rate": [0.5]}).to_csv(folder / "employment.csv", index=False)
    regs = load(folder)
    assert regs.report.tables["benefits"].layout == "wide"
    weeks = regs.engine.frame("SELECT person_id, wk, code FROM benefits ORDER BY person_id, wk")
    assert weeks.groupby("person_id")["code"].apply(list).to_dict() == {
        "A": ["111", "111", "213", "890"], "B": ["111", "111", "999"], "C": ["130", "130", "130"],
    }
    persons = regs.persons()
    assert persons["municipality"].tolist() == ["101", "851", "751"]
    assert str(persons.loc[0, "birth_date"])[:10] == "1960-03-15"
    regs.close()
