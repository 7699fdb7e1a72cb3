"""Faults in the data folder, refused by `virkning evaluate` before anything is computed or written."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from faultkit import assert_refused, base, fingerprint, run  # noqa: F401 - base is a fixture


def table(name: str):
    def read(d: Path) -> pd.DataFrame:
        return pd.read_csv(d / f"{name}.csv", dtype=str, keep_default_na=False)
    return read


def cell(name: str, row: int, column: str, value: str):
    def mutate(d: Path) -> None:
        f = table(name)(d)
        f.loc[row, column] = value
        f.to_csv(d / f"{name}.csv", index=False)
    return mutate


def frame(name: str, fn):
    def mutate(d: Path) -> None:
        f = fn(table(name)(d))
        f.to_csv(d / f"{name}.csv", index=False)
    return mutate


def text(name: str, fn, encoding: str = "utf-8"):
    def mutate(d: Path) -> None:
        p = d / f"{name}.csv"
        p.write_bytes(fn(p.read_text(encoding="utf-8")).encode(encoding) if isinstance(fn(""), str)
                      else fn(p.read_text(encoding="utf-8")))
    return mutate


def raw(name: str, data: bytes, suffix: str = ".csv"):
    def mutate(d: Path) -> None:
        (d / f"{name}.csv").unlink()
        (d / f"{name}{suffix}").write_bytes(data)
    return mutate


def to_parquet(name: str, fn=None):
    def mutate(d: Path) -> None:
        f = table(name)(d)
        if fn is not None:
            f = fn(f)
        (d / f"{name}.csv").unlink()
        f.to_parquet(d / f"{name}.parquet", index=False)
    return mutate


def parts(name: str, fn):
    """The table as a folder of two Parquet parts; `fn(first, second)` -> the two frames."""
    def mutate(d: Path) -> None:
        f = table(name)(d)
        (d / f"{name}.csv").unlink()
        (d / name).mkdir()
        a, b = fn(f.iloc[: len(f) // 2].copy(), f.iloc[len(f) // 2:].copy())
        a.to_parquet(d / name / "part-0.parquet", index=False)
        b.to_parquet(d / name / "part-1.parquet", index=False)
    return mutate


def corrupt_parquet(name: str, how: str):
    def mutate(d: Path) -> None:
        to_parquet(name)(d)
        p = d / f"{name}.parquet"
        b = bytearray(p.read_bytes())
        if how == "truncated":
            b = b[: len(b) // 2] + b[-8:]  # the footer's length and magic survive, the footer does not
        else:  # the first page's header
            b[4:40] = b"\xff" * 36
        p.write_bytes(bytes(b))
    return mutate


def remove(name: str):
    def mutate(d: Path) -> None:
        (d / f"{name}.csv").unlink()
    return mutate


def drop_column(name: str, column: str):
    return frame(name, lambda f: f.drop(columns=[column]))


def add_row(name: str, values: dict):
    def fn(f):
        row = {c: f.iloc[0][c] for c in f.columns}
        row.update(values)
        return pd.concat([f, pd.DataFrame([row])], ignore_index=True)
    return frame(name, fn)


INJECT = 'x"; COPY (SELECT 1) TO \'/tmp/virkning-pwned.csv\'; --'

# (id, mutation, substrings the message must hold)
FAULTS = [
    # files that are not tables
    ("persons-missing", remove("persons"), ("persons",)),
    ("benefits-missing", remove("benefits"), ("benefits",)),
    ("persons-0-byte", raw("persons", b""), ("persons.csv", "empty")),
    ("benefits-0-byte", raw("benefits", b""), ("benefits.csv", "empty")),
    ("employment-0-byte", raw("employment", b""), ("employment.csv", "empty")),
    ("events-0-byte", raw("events", b""), ("events.csv", "empty")),
    ("persons-header-only", frame("persons", lambda f: f.iloc[:0]), ("persons.csv", "no rows")),
    ("benefits-header-only", frame("benefits", lambda f: f.iloc[:0]), ("benefits.csv", "no rows")),
    ("employment-header-only", frame("employment", lambda f: f.iloc[:0]), ("employment.csv", "no rows")),
    ("events-header-only", frame("events", lambda f: f.iloc[:0]), ("events.csv", "no rows")),
    ("benefits-binary", raw("benefits", bytes(range(256)) * 8), ("benefits.csv",)),
    ("persons-binary-parquet", raw("persons", b"PAR1" + bytes(range(256)) * 4 + b"PAR1", ".parquet"), ("persons.parquet",)),
    ("employment-truncated-parquet", corrupt_parquet("employment", "truncated"), ("employment.parquet",)),
    ("benefits-damaged-page-parquet", corrupt_parquet("benefits", "page"), ("benefits.parquet",)),
    ("events-damaged-page-parquet", corrupt_parquet("events", "page"), ("events.parquet",)),
    ("events-two-formats", lambda d: table("events")(d).to_parquet(d / "events.parquet", index=False), ("events",)),
    # columns
    ("persons-no-birth-date", drop_column("persons", "birth_date"), ("persons.csv", "birth_date")),
    ("persons-no-sex", drop_column("persons", "sex"), ("persons.csv", "sex")),
    ("benefits-no-code", drop_column("benefits", "code"), ("benefits.csv", "code")),
    ("employment-no-rate", drop_column("employment", "employment_rate"), ("employment.csv", "employment_rate")),
    ("events-no-date", drop_column("events", "date"), ("events.csv", "date")),
    ("events-no-person", drop_column("events", "person_id"), ("events.csv", "person_id")),
    ("benefits-injected-column", frame("benefits", lambda f: f.assign(**{INJECT: "1"})), ("benefits.csv",)),
    ("persons-injected-column", frame("persons", lambda f: f.assign(**{INJECT: "1"})), ("persons.csv",)),
    ("events-injected-column", frame("events", lambda f: f.assign(**{INJECT: "1"})), ("events.csv",)),
    ("employment-duplicate-header", text("employment", lambda s: s.replace("employment_rate", "month", 1)),
     ("employment.csv", "month")),
    # malformed CSV text
    ("benefits-ragged-row", text("benefits", lambda s: s + "A,2018-W20,111,extra,fields\n"), ("benefits.csv", "row")),
    ("persons-ragged-row", text("persons", lambda s: s.replace("\n", ",x,y\n", 2)), ("persons.csv", "row")),
    ("events-unterminated-quote", text("events", lambda s: s + 'A,"2018-05-01,informationsmøde,P1\n'), ("events.csv",)),
    ("benefits-semicolon", text("benefits", lambda s: s.replace(",", ";")), ("benefits.csv", "semicolons", "commas")),
    ("employment-decimal-comma", text("employment", lambda s: s.replace(",", ";").replace("0.5", "0,5").replace(
        "0.25", "0,25").replace("1.0", "1,0").replace("0.0", "0,0")), ("employment.csv",)),
    ("events-latin1", lambda d: (d / "events.csv").write_bytes((d / "events.csv").read_text().encode("latin-1")),
     ("events.csv", "UTF-8", "line 2")),
    ("persons-utf16", lambda d: (d / "persons.csv").write_bytes((d / "persons.csv").read_text().encode("utf-16")),
     ("persons.csv", "UTF-16")),
    # values: numbers
    ("employment-nan-text", cell("employment", 0, "employment_rate", "NaN"), ("employment.csv", "employment_rate", "row 1")),
    ("employment-inf-text", cell("employment", 1, "employment_rate", "inf"), ("employment.csv", "employment_rate", "row 2")),
    ("employment-1e308", cell("employment", 2, "employment_rate", "1e308"), ("employment.csv", "employment_rate", "row 3")),
    ("employment-negative", cell("employment", 0, "employment_rate", "-0.5"), ("employment.csv", "employment_rate", "row 1")),
    ("employment-above-two", cell("employment", 0, "employment_rate", "2.5"), ("employment.csv", "employment_rate", "row 1")),
    ("employment-text-rate", cell("employment", 0, "employment_rate", "halv"), ("employment.csv", "employment_rate", "row 1")),
    ("employment-parquet-nan", to_parquet("employment", lambda f: f.assign(
        employment_rate=[np.nan] + list(f["employment_rate"].astype(float)[1:]))), ("employment", "employment_rate", "row 1")),
    ("employment-parquet-inf", to_parquet("employment", lambda f: f.assign(
        employment_rate=[np.inf] + list(f["employment_rate"].astype(float)[1:]))), ("employment", "employment_rate", "row 1")),
    ("employment-mixed-parts", parts("employment", lambda a, b: (
        a.assign(employment_rate=a["employment_rate"].astype(float)), b)), ("employment/part-1.parquet", "employment_rate")),
    ("benefits-mixed-parts", parts("benefits", lambda a, b: (a, b.assign(code=b["code"].astype(int)))), ("benefits/part-1.parquet", "code", "types")),
    # values: calendar
    ("benefits-week-54", cell("benefits", 3, "week", "2018-W54"), ("benefits.csv", "week", "row 4")),
    ("benefits-week-garbage", cell("benefits", 0, "week", "uge 5"), ("benefits.csv", "week", "row 1")),
    ("benefits-week-2055", cell("benefits", 5, "week", "2055-W01"), ("benefits.csv", "week", "row 6")),
    ("employment-month-13", cell("employment", 1, "month", "2018-13"), ("employment.csv", "month", "row 2")),
    ("employment-month-2055", cell("employment", 1, "month", "2055-01"), ("employment.csv", "month", "row 2")),
    ("events-date-2099", cell("events", 0, "date", "2099-03-14"), ("events.csv", "date", "row 1")),
    ("events-date-invalid", cell("events", 1, "date", "2018-02-30"), ("events.csv", "date", "row 2")),
    ("events-date-garbage", cell("events", 1, "date", "i går"), ("events.csv", "date", "row 2")),
    ("persons-birth-future", cell("persons", 0, "birth_date", "2090-01-01"), ("persons.csv", "birth_date", "row 1")),
    ("persons-birth-invalid", cell("persons", 0, "birth_date", "1960-02-31"), ("persons.csv", "birth_date", "row 1")),
    ("persons-birth-1800", cell("persons", 0, "birth_date", "1800-01-01"), ("persons.csv", "birth_date", "row 1")),
    # values: identifiers and categories
    ("persons-duplicate-id", cell("persons", 1, "person_id", "A"), ("persons.csv", "person_id", "rows 1, 2")),
    ("persons-empty-id", cell("persons", 1, "person_id", ""), ("persons.csv", "person_id", "row 2")),
    ("benefits-empty-id", cell("benefits", 0, "person_id", ""), ("benefits.csv", "person_id", "row 1")),
    ("benefits-duplicate-week", add_row("benefits", {}), ("benefits.csv", "row")),
    ("persons-padded-ids-parquet", to_parquet("persons", lambda f: f.assign(person_id=" " + f["person_id"])),
     ("benefits.csv", "person_id", "spaces")),
    ("benefits-all-orphans", frame("benefits", lambda f: f.assign(person_id="Z" + f["person_id"])),
     ("benefits.csv", "person_id")),
    ("employment-all-orphans", frame("employment", lambda f: f.assign(person_id="Z" + f["person_id"])),
     ("employment.csv", "person_id")),
    ("events-all-orphans", frame("events", lambda f: f.assign(person_id="Z" + f["person_id"])), ("events.csv", "person_id")),
    ("persons-sex-unknown", cell("persons", 0, "sex", "X"), ("persons.csv", "sex", "row 1")),
    ("persons-origin-unknown", cell("persons", 0, "origin", "mars"), ("persons.csv", "origin", "row 1")),
    ("benefits-code-garbage", cell("benefits", 0, "code", "1;DROP"), ("benefits.csv", "code", "row 1")),
    ("benefits-code-too-long", cell("benefits", 0, "code", "1" * 500), ("benefits.csv", "code", "row 1")),
    ("events-empty-name", cell("events", 0, "event", ""), ("events.csv", "event", "row 1")),
    ("employment-duplicate-month", add_row("employment", {}), ("employment.csv", "row")),
]


@pytest.mark.parametrize("mutate,must", [pytest.param(m, s, id=i) for i, m, s in FAULTS])
def test_data_fault_refused(base, capsys, mutate, must):
    data, out = base / "data", base / "out"
    mutate(data)
    before = fingerprint(data, out)
    code, text = run(["evaluate", base / "design.yaml", "--out", out], capsys)
    assert_refused(code, text, must, before, fingerprint(data, out), base)
    assert not Path("/tmp/virkning-pwned.csv").exists()


def test_fault_count():
    assert len(FAULTS) >= 60
