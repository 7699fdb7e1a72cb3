"""`virkning evidence check | report | add`: exit codes 0/1, located errors for bad files, and `add` on a real
evaluation folder written by a small `virkning evaluate` run (the session's synthetic registers, the minimal design).

References: the study's numbers are the evaluation's own published effects (effects.csv, x 100 for percentage
points, to 1e-9); the located errors are the loader's (tests/evidence/test_evidence_validation.py checks them in
Python, here they must reach the terminal with exit code 1 and leave the files untouched)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from virkning.cli import app
from virkning.disclosure.audit import audit
from virkning.evidence import example_path, grade, load_base

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "virkning" / "examples"
runner = CliRunner()

GOOD = """\
  - id: {sid}
    title: T
    authors: ["A, B"]
    year: 2015
    country: DK
    design: rct
    core_elements: [samtaler]
    method:
      reliability: {{score: 5}}
      transferability: 4
    findings:
      - {{id: f1, core_element: samtaler, outcome: employment, metric: {metric}, value: {value}, se: 1.0,
         direction: positive}}
"""
NO_METRIC = """\
  - id: c
    title: T
    authors: ["A, B"]
    year: 2016
    country: DK
    design: rct
    core_elements: [samtaler]
    method: {reliability: 5, transferability: 5}
    findings:
      - {id: f1, core_element: samtaler, outcome: employment, direction: positive}
"""


def write(tmp_path: Path, text: str, name: str = "base.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def two(metric_b: str = "employment_pp") -> str:
    return GOOD.format(sid="a", metric="employment_pp", value=3.0) + GOOD.format(sid="b", metric=metric_b,
                                                                                value=-2.0 if "unemployment" in
                                                                                metric_b else 2.0)


# ---- check ---------------------------------------------------------------------------------------------------------

def test_check_the_example_base():
    res = runner.invoke(app, ["evidence", "check", str(example_path())])
    assert res.exit_code == 0, res.output
    assert "valid" in res.output and "12 studies (DK 10, IT 1, SE 1" in res.output
    assert "Statements by rule virkning default/1 (STAR evidence hierarchy):" in res.output
    assert "samtaler / employment: strong evidence of positive effect" in res.output
    res = runner.invoke(app, ["evidence", "check", str(example_path()), "--rule", "jobeffekter"])
    assert res.exit_code == 0 and "samtaler / employment: Positive job effect" in res.output


@pytest.mark.parametrize("case", ["score", "duplicate", "no_metric", "mixed_metrics"])
def test_check_bad_files_exit_1_with_located_errors(tmp_path, case):
    head = "format_version: 1\n"
    if case == "score":
        text = head + "studies:\n" + GOOD.format(sid="a", metric="employment_pp", value=3.0).replace(
            "{score: 5}", "{score: 6}")
        expect = "base.yaml, line 11: study 'a', field 'method.reliability.score': score 6 is outside 1-5"
    elif case == "duplicate":
        text = head + "studies:\n" + GOOD.format(sid="a", metric="employment_pp", value=3.0) * 2
        expect = "base.yaml, line 16: study 'a', field 'id': duplicate study id 'a' (first used on line 3)"
    elif case == "no_metric":
        text = head + "syntheses:\n  - {id: s, outcome: employment, studies: [a, c/f1]}\nstudies:\n" + \
            GOOD.format(sid="a", metric="employment_pp", value=3.0) + NO_METRIC
        expect = "base.yaml, line 3: synthesis 's', field 'studies[2]': finding 'c/f1' has no effect metric"
    else:
        text = head + "syntheses:\n  - {id: s, outcome: employment, studies: [a, b]}\nstudies:\n" + \
            two("unemployment_pp")
        expect = ("base.yaml, line 3: synthesis 's': the studies report outcome 'employment' in different metrics "
                  "('employment_pp': a; 'unemployment_pp': b)")
    path = write(tmp_path, text)
    before = path.read_bytes()
    res = runner.invoke(app, ["evidence", "check", str(path)])
    assert res.exit_code == 1, res.output
    assert expect in " ".join(res.output.split()), res.output
    assert "Traceback" not in res.output and path.read_bytes() == before
    out = tmp_path / "report"
    res = runner.invoke(app, ["evidence", "report", str(path), "--out", str(out)])  # the report refuses it too
    assert res.exit_code == 1 and not out.exists()


def test_check_missing_file_and_bad_rule(tmp_path):
    res = runner.invoke(app, ["evidence", "check", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 1 and "file not found" in res.output
    # a value outside the option's choices is a usage error (exit 2), and --help lists the choices (issue 19)
    res = runner.invoke(app, ["evidence", "check", str(example_path()), "--rule", "majority"], env={"COLUMNS": "300"})
    assert res.exit_code == 2 and "'majority' is not one of 'default', 'jobeffekter'" in res.output


# ---- report --------------------------------------------------------------------------------------------------------

def test_report_command(tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["evidence", "report", str(example_path()), "--out", str(out), "--rule", "jobeffekter",
                              "--language", "en"])
    assert res.exit_code == 0, res.output
    assert (out / "report.html").is_file() and (out / "manifest.json").is_file()
    statements = pd.read_csv(out / "tables" / "statements.csv")
    assert set(statements["rule"]) == {"jobeffekter.dk weighting (STAR)"}
    assert audit(out) == []
    for bad, msg in ((["--language", "de"], "'de' is not one of 'da', 'en'"),
                     (["--rule", "vote"], "'vote' is not one of 'default', 'jobeffekter'")):
        res = runner.invoke(app, ["evidence", "report", str(example_path()), "--out", str(tmp_path / "x"), *bad],
                            env={"COLUMNS": "300"})
        assert res.exit_code == 2 and msg in res.output and not (tmp_path / "x").exists()
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    res = runner.invoke(app, ["evidence", "report", str(example_path()), "--out", str(other)])
    assert res.exit_code == 1 and "no virkning manifest.json" in res.output
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]


# ---- add, on a real evaluation ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def evaluation(synth_folder, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("evidence_eval")
    design = folder / "design.yaml"
    design.write_text((EXAMPLES / "minimal" / "design.yaml").read_text(encoding="utf-8")
                      + "name: Jobrettet forløb\nn_boot: 49\n", encoding="utf-8")
    res = runner.invoke(app, ["evaluate", str(design), "--data", str(synth_folder), "--out", str(folder / "out")])
    assert res.exit_code == 0, res.output
    return folder / "out"


@pytest.fixture
def base(tmp_path) -> Path:
    path = tmp_path / "base.yaml"
    shutil.copy(example_path(), path)
    return path


ADD = ["--authors", "Jobcenter Demo", "--core-element", "virksomhedsrettede", "--id", "demo2019"]


def test_add_asks_and_a_no_leaves_the_file_unchanged(evaluation, base):
    before = base.read_bytes()
    for answer in ("n\n", ""):
        res = runner.invoke(app, ["evidence", "add", str(evaluation), "--base", str(base), *ADD], input=answer)
        assert res.exit_code == 1, res.output
        assert "appraisal (proposed): reliability" in res.output and "- id: demo2019" in res.output
        assert "unchanged" in res.output and base.read_bytes() == before


def test_add_appends_the_evaluation_as_a_study(evaluation, base):
    before = base.read_text(encoding="utf-8")
    res = runner.invoke(app, ["evidence", "add", str(evaluation), "--base", str(base), *ADD], input="y\n")
    assert res.exit_code == 0, res.output
    text = base.read_text(encoding="utf-8")
    assert text.startswith(before.rstrip("\n")) and "# added by `virkning evidence add`" in text  # comments kept
    grown = load_base(base)
    assert len(grown.studies) == 13
    s = grown.study("demo2019")
    effects = pd.read_csv(evaluation / "results" / "effects.csv")
    row = effects[(effects["outcome"] == "exit_beskaeftiget") & effects["att"].notna()].sort_values("month").iloc[-1]
    (f,) = s.findings
    assert f.value == pytest.approx(100 * row["att"], abs=1e-9)
    assert f.se == pytest.approx(100 * row["se"], abs=1e-9)
    assert f.ci == pytest.approx([100 * row["ci_low"], 100 * row["ci_high"]], abs=1e-9)
    assert f.horizon == f"month {int(row['month'])}" and f.n == int(row["n_treated"] + row["n_control"])
    assert (s.n_treated, s.n_control) == (int(row["n_treated"]), int(row["n_control"]))
    assert f.measure == f"Afgang til beskæftigelse, måned {int(row['month'])}"
    assert (s.title, s.origin, s.method.status, s.design) == ("Jobrettet forløb", "own_evaluation", "proposed",
                                                              "quasi_experimental")
    assert "synthetic data" in s.source and s.year == 2019
    # proposed: graded nowhere until confirmed
    contrib = grade(grown).contributions
    assert "appraisal proposed by virkning" in contrib.loc[contrib["study"] == "demo2019", "reason"].iloc[0]
    # the same id again is refused before anything is shown or written
    after = base.read_bytes()
    res = runner.invoke(app, ["evidence", "add", str(evaluation), "--base", str(base), *ADD, "--yes"])
    assert res.exit_code == 1 and "duplicate study id 'demo2019'" in res.output and base.read_bytes() == after


def test_add_with_accepted_appraisal_enters_the_statements(evaluation, base):
    res = runner.invoke(app, ["evidence", "add", str(evaluation), "--base", str(base), *ADD, "--reliability", "3",
                              "--accept-appraisal", "--appraised-by", "Analytiker", "--yes"])
    assert res.exit_code == 0, res.output
    s = load_base(base).study("demo2019")
    assert (s.method.status, s.method.appraised_by, s.method.reliability.score) == ("confirmed", "Analytiker", 3)
    assert s.method.reliability.reason.startswith("set by Analytiker (virkning proposed 4:")
    contrib = grade(load_base(base)).contributions
    mine = contrib[contrib["study"] == "demo2019"].iloc[0]
    assert bool(mine["used"]) and mine["quality"] == "limited"  # reliability 3 < 4: limited quality


def test_add_refusals(evaluation, base, tmp_path):
    before = base.read_bytes()
    cases = [([str(tmp_path), "--base", str(base), "--authors", "X"], "no results/results.json here"),
             ([str(evaluation), "--base", str(base)], "option '--authors'"),
             ([str(evaluation), "--base", str(base), "--authors", "X", "--core-element", "samtale"],
              "did you mean 'samtaler'?"),
             ([str(evaluation), "--base", str(base), "--authors", "X", "--outcome", "exit_job"],
              "expected NAME=OUTCOME"),
             ([str(evaluation), "--base", str(tmp_path / "nope.yaml"), "--authors", "X"], "file not found")]
    for args, msg in cases:
        res = runner.invoke(app, ["evidence", "add", *args, "--yes"])
        assert res.exit_code == 1, (args, res.output)
        assert msg in " ".join(res.output.split()), (args, res.output)
    assert base.read_bytes() == before
    res = runner.invoke(app, ["evidence", "add", str(evaluation), "--base", str(base), "--authors", "X",
                              "--reliability", "6", "--yes"])
    assert res.exit_code == 2  # outside 1-5: a usage error, caught by the option's range


def test_demo_stage_adds_the_evaluation_with_one_command(evaluation, tmp_path):
    from virkning.demo import run_evidence_demo

    out = tmp_path / "demo"
    shutil.copytree(evaluation, out / "evaluation")
    for _ in range(2):  # a second run starts again from the shipped example
        paths = run_evidence_demo(out)
        grown = load_base(paths["evidence_base"])
        assert [s.id for s in grown.studies].count("seniorvikar_demo") == 1 and len(grown.studies) == 13
    html = paths["evidence_report"].read_text(encoding="utf-8")
    assert "Demo-kommunen (2019)" in html and "foreslået (tæller ikke endnu)" in html
    assert audit(out / "evidence" / "report") == []
