"""Whole evaluations give identical results on DuckDB and on Spark (local[2], 2 shuffle partitions, no UI).

Three designs on the same tiny synthetic registers (381 persons: the 81 persons with events of a 30,000-person
Seniorvikar-like folder and 300 unemployed seniors drawn from it): the minimal example design, the Seniorvikar example
design (exclusions, exact matching, spell covariate, subgroups, three of its four robustness variants) and a design
with other choices (matching with replacement and a caliper, 'not yet' participants as controls, full follow-up, its
own robustness variants). For each, the flow table, every pair's covariates and outcomes, the matched sets, the
effects, subgroups and robustness tables must be equal to the last bit: the SQL is the same (transpiled), sums of
rates are exact decimals, and everything after the registers is the same numpy code.

The registers are loaded once per engine for the module and the three designs run on them (as `virkning evaluate`
runs a design's robustness variants on one load), so the Spark runs cost a few statements' overhead each, not a
session or a load.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from virkning.analyses import KINDS
from virkning.analyses.base import Context
from virkning.design import parse_design
from virkning.examples import __file__ as examples_init
from virkning.registers import LoadOptions, load

pytestmark = pytest.mark.spark

ROBUST = """
participants:
  event: informationsmøde
  from: 2018-01-01
  to: 2018-12-31
pool:
  age: [50, 65]
  states: {-1: ledig, 0: ledig}
  participants: not_yet
covariates: [age, sex, region, weeks_ledig_52w, weeks_sygdom_104w, employment_12m, in_aktiv_at_-4]
matching:
  ratio: 2
  replace: true
  caliper: 0.5
outcomes:
  - name: exit_beskaeftiget
    kind: first_exit
    status: beskæftiget
    horizon: 6
  - name: exit_ydelse
    kind: first_exit
    status: selvforsørgende
    horizon: 6
censoring: full_followup
n_boot: 50
robustness:
  uden sygdom:
    covariates: [age, sex, region, weeks_ledig_52w, employment_12m]
  1:1 uden tilbagelægning:
    matching:
      ratio: 1
      replace: false
  ældre kontrolgruppe:
    pool:
      age: [55, 65]
"""


@pytest.fixture(scope="module")
def registers_folder(tmp_path_factory) -> Path:
    """Everyone with an event in a 30,000-person synthetic folder, and 300 seniors with at least 4 weeks of ledighed
    codes (1xx) in 2018: enough participants and comparison persons for matching, a few hundred persons to read."""
    from virkning.synth import generate

    root = tmp_path_factory.mktemp("engines")
    generate(root / "full", persons=30_000, seed=5)
    persons = pd.read_parquet(root / "full" / "persons.parquet")
    benefits = pd.read_parquet(root / "full" / "benefits.parquet")
    events = pd.read_parquet(root / "full" / "events.parquet")
    keep = set(events["person_id"])
    born = pd.to_datetime(persons["birth_date"]).dt.year
    y2018 = benefits[benefits["week"].between(201801, 201852) & benefits["code"].astype(str).str.match(r"^1[0-4]\d$")]
    weeks = y2018.groupby("person_id").size()
    seniors = persons["person_id"][born.between(1950, 1968) & persons["person_id"].isin(weeks[weeks >= 4].index)
                                   & ~persons["person_id"].isin(keep)]
    keep |= set(np.random.default_rng(1).choice(np.sort(seniors.to_numpy()), size=300, replace=False))
    out = root / "data"
    out.mkdir()
    for f in (root / "full").glob("*.parquet"):
        frame = pd.read_parquet(f)
        frame[frame["person_id"].isin(keep)].to_parquet(out / f.name, index=False)
    return out


@pytest.fixture(scope="module")
def loaded(registers_folder, spark_session):
    """The folder loaded once on each engine."""
    regs = {kind: load(registers_folder, LoadOptions(engine=kind, master="local[2]" if kind == "spark" else None))
            for kind in ("duckdb", "spark")}
    yield regs
    for r in regs.values():
        r.close()


def _design(name: str, folder: Path, tmp: Path):
    if name == "robust":
        text = ROBUST
    else:
        text = (Path(examples_init).parent / name / "design.yaml").read_text(encoding="utf-8")
    tmp.mkdir(parents=True, exist_ok=True)
    source = tmp / f"{name}.yaml"
    source.write_text(text, encoding="utf-8")
    design = parse_design(text, str(source))
    if name == "seniorvikar":
        # the example's 499 bootstrap replicates cost time and test nothing more here; its variant of one job centre
        # has too few participants in a few hundred persons for a propensity model (separation)
        # seed 000's four exact variables leave too few candidates per cell in a few hundred persons (education
        # separates): the test is about the engines, so the score takes origin and region and the cells sex
        design.analyses["effect"] = dataclasses.replace(design.analyses["effect"], n_boot=60, exact=("sex",),
                                                        covariates=("age", "origin", "region", "weeks_ledig_156w",
                                                                    "employment_36m"))
        design = dataclasses.replace(design, variants={k: v for k, v in design.variants.items()
                                                       if k != "kun kommuner uden screening"})
        assert len(design.variants) == 3
    return design


def _run(design, folder: Path, regs):
    ctx = Context(data=folder, threshold=design.disclosure_threshold, seed=design.seed, _registers=regs)
    return KINDS["effect"].run(design, ctx), regs.report


def _equal(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_exact=True, obj=what)


@pytest.mark.parametrize("name", ["minimal", "seniorvikar", "robust"])
def test_a_whole_evaluation_is_identical_on_both_engines(name, registers_folder, loaded, tmp_path):
    design = _design(name, registers_folder, tmp_path)
    duck, duck_report = _run(design, registers_folder, loaded["duckdb"])
    spark, spark_report = _run(design, registers_folder, loaded["spark"])
    assert loaded["spark"].engine.kind == "spark" and loaded["duckdb"].engine.kind == "duckdb"
    a, b = duck.evaluation, spark.evaluation
    assert len(a.populations.participants) > 20 and a.matching.info.n_treated_matched > 10  # not a vacuous run
    _equal(a.populations.flow, b.populations.flow, "flow table")
    _equal(a.populations.participants, b.populations.participants, "participants")
    _equal(a.populations.pool, b.populations.pool, "pool pairs")
    _equal(a.data, b.data, "covariates and outcomes per pair")
    np.testing.assert_array_equal(a.matching.match_matrix, b.matching.match_matrix)
    np.testing.assert_array_equal(a.matching.weights, b.matching.weights)
    _equal(a.matching.pairs, b.matching.pairs, "matched sets")
    _equal(a.effects, b.effects, "effects")
    _equal(a.subgroups, b.subgroups, "subgroups")
    _equal(a.counts, b.counts, "counts")
    if duck.robustness is not None:
        _equal(duck.robustness.table, spark.robustness.table, "robustness")
        _equal(duck.robustness.counts, spark.robustness.counts, "robustness counts")
    assert duck.robustness is not None or name == "minimal"
    assert {k: v.to_dict() for k, v in duck_report.tables.items()} == {
        k: v.to_dict() for k, v in spark_report.tables.items()}
    _equal(duck_report.codes, spark_report.codes, "code counts")
    assert duck_report.orphans == spark_report.orphans
