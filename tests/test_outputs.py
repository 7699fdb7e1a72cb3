"""`virkning evaluate` end to end: design file -> protected results, figures, report, manifest; nothing small."""

import json
import shutil
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from virkning.cli import app
from virkning.disclosure.audit import audit
from virkning.panel import EndOfDataWarning

EXAMPLES = Path(__file__).parent.parent / "src" / "virkning" / "examples"
runner = CliRunner()


@pytest.fixture(scope="module")
def evaluated(synth_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("evaluation")
    res = runner.invoke(app, ["evaluate", str(EXAMPLES / "seniorvikar" / "design.yaml"), "--data", str(synth_folder),
                              "--out", str(out), "--csv-dialect", "excel-da"])  # every format: the audit reads all
    assert res.exit_code == 0, res.output
    return out


def test_all_outputs_are_written(evaluated, synth_folder):
    for rel in ("report.html", "manifest.json", "results/results.json", "results/flow.csv", "results/balance.csv",
                "results/effects.csv", "results/subgroups.csv", "results/robustness.csv"):
        assert (evaluated / rel).is_file(), rel
    assert list((evaluated / "figures").glob("*.png")) and list((evaluated / "figures").glob("*.svg"))
    import pandas as pd

    effects = pd.read_csv(evaluated / "results" / "effects.csv")
    for col in ("outcome", "month", "att", "se", "ci_low", "ci_high", "treated_mean", "control_mean", "n_treated", "n_control"):
        assert col in effects.columns
    assert set(effects["outcome"]) == {"exit_beskaeftiget", "exit_vikar", "exit_tilbagetrukket"}
    manifest = json.loads((evaluated / "manifest.json").read_text())
    assert manifest["seed"] == 2018 and "benefits.parquet" in manifest["inputs"]
    assert "truth.json" not in manifest["inputs"]  # only the tables read, no other file of the folder
    assert str(synth_folder) not in (evaluated / "manifest.json").read_text()  # no absolute paths
    assert manifest["versions"]["duckdb"]
    robustness = pd.read_csv(evaluated / "results" / "robustness.csv")
    assert "kontrolgruppe 55-65 år" in set(robustness["variant"])


def test_no_output_shows_fewer_than_five_persons(evaluated):
    assert audit(evaluated, 5) == []
    manifest = json.loads((evaluated / "manifest.json").read_text())
    assert manifest["disclosure"]["threshold"] == 5


def test_report_leads_with_conclusions_and_counts_persons(evaluated):
    """Issue 19 (content): main conclusions first, limitations before the appendix, seed 000's characteristics
    table published, and the eligible population counted in persons beside person-weeks (the audit above covers
    the new table)."""
    import pandas as pd

    res = evaluated / "results"
    flow = pd.read_csv(res / "flow.csv")
    sizes = pd.read_csv(res / "sample_sizes.csv").set_index("sample")
    # persons: the flow's pool persons at the last step before the common support and the match
    before = flow[~flow["step"].str.startswith(("common support", "matched")) & flow["pool_persons"].notna()]
    assert sizes.loc["All (persons)", "Control"] == before["pool_persons"].iloc[-1]
    assert sizes.loc["All (persons)", "Control"] < sizes.loc["All", "Control"]  # fewer persons than person-weeks
    chars = pd.read_csv(res / "characteristics.csv")
    assert list(dict.fromkeys(chars["variable"])) == ["sex", "age_band", "age", "origin_group", "education"]
    # ages on 1 January 2019 (seed 000): a participant met in 2018 can be 49 on that day
    assert chars[chars["variable"] == "age_band"]["level"].tolist() == ["49-54", "55-59", "60-65"]
    page = (evaluated / "report.html").read_text()
    h2 = page.index("Overordnede konklusioner"), page.index("Sammenfatning"), page.index(
        "Forudsætninger og begrænsninger"), page.index("Metodebilag</h2>")
    assert list(h2) == sorted(h2)
    for words in ("Antal personer", "Antal person-uger", "60-65 år", "Ikke-dansk", "Uddannelsesniveau",
                  "Deltagere og kontrolgruppe efter matching", "Jobcentrenes udvælgelse", "Syntetiske data"):
        assert words in page, words
    assert "Registerdata fra januar 2015 til juli 2019" in page  # the summary's period in months


def test_minimal_design_and_same_inputs_same_results(synth_folder, tmp_path, monkeypatch):
    # the workbook carries the run's date: two runs either side of midnight (UTC) would differ by it
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1546300800")
    design = tmp_path / "design.yaml"
    shutil.copy(EXAMPLES / "minimal" / "design.yaml", design)
    for run in ("a", "b"):
        res = runner.invoke(app, ["evaluate", str(design), "--data", str(synth_folder), "--out", str(tmp_path / run),
                                  "--pdf"])
        assert res.exit_code == 0, res.output
    assert (tmp_path / "a" / "report.html").stat().st_size > 10_000
    # report.pdf: the same bytes from the same inputs, listed in the manifest (the PDF's date from the data without
    # SOURCE_DATE_EPOCH: tests/report/test_report_pdf.py)
    pdf = (tmp_path / "a" / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and (tmp_path / "b" / "report.pdf").read_bytes() == pdf
    assert "report.pdf" in json.loads((tmp_path / "a" / "manifest.json").read_text())["files"]
    for path in sorted((tmp_path / "a" / "results").iterdir()):
        assert (tmp_path / "b" / "results" / path.name).read_bytes() == path.read_bytes(), path.name
    assert (tmp_path / "b" / "report.html").read_bytes() == (tmp_path / "a" / "report.html").read_bytes()
    assert (tmp_path / "b" / "tables.xlsx").read_bytes() == (tmp_path / "a" / "tables.xlsx").read_bytes()
    assert not list((tmp_path / "a").rglob("*.excel-da.csv"))  # the Danish dialect only on request
    assert audit(tmp_path / "a", 5) == []


def test_invalid_design_fails_clearly(synth_folder, tmp_path):
    design = tmp_path / "design.yaml"
    design.write_text("participants:\n  event: informationsmøde\npool:\n  states: {0: arbejdsløs}\n"
                      "covariates: [age]\noutcomes:\n  - name: x\n    kind: hazard\n")
    res = runner.invoke(app, ["evaluate", str(design), "--data", str(synth_folder), "--out", str(tmp_path / "out")])
    assert res.exit_code == 1
    assert "pool.states" in res.output and "line 4" in res.output and "hazard" in res.output
    assert not (tmp_path / "out").exists()


def test_common_support_relative_and_adjusted_effects_and_sensitivity_are_published(evaluated):
    """Issue 18 in the shipped design's output: discard in the flow and the sample sizes, risk ratios and both
    control counts in effects.csv, adjusted effects, sensitivity tables, and the report's parts (the audit above
    covers them all)."""
    import pandas as pd

    res = evaluated / "results"
    flow = pd.read_csv(res / "flow.csv").set_index("step")
    # the shipped design keeps every participant and drops controls outside their range (issue 19)
    assert "common support of the propensity score (discard: control)" in flow.index
    sizes = pd.read_csv(res / "sample_sizes.csv").set_index("sample")
    # the candidates' counts (the participants' may be hidden: a few discarded participants are a small count)
    assert sizes.loc["All", "Control"] == sizes.loc[["Matched", "Unmatched", "Discarded"], "Control"].sum()
    assert sizes.loc["Discarded", "Control"] > 0
    effects = pd.read_csv(res / "effects.csv")
    assert {"n_control", "n_control_persons", "risk_ratio", "rr_ci_low", "rr_ci_high", "relative_change"} <= set(
        effects.columns)
    shown = effects.dropna(subset=["n_control_persons"])
    assert len(shown) and (shown["n_control_persons"] <= shown["n_control"]).all()
    assert set(pd.read_csv(res / "adjusted.csv")["outcome"]) == set(effects["outcome"])
    sens = pd.read_csv(res / "sensitivity.csv")
    assert set(sens["test"]) == {"binary"} and len(pd.read_csv(res / "sensitivity_gamma.csv")) == 12 * len(sens)
    bundle = json.loads((res / "results.json").read_text())
    assert bundle["ps_distribution"] and bundle["adjusted"] and bundle["sensitivity"]
    page = (evaluated / "report.html").read_text()
    for words in ("Følsomhed for skjult selektion", "Gamma", "E-værdi", "risikoforhold", "Effekter justeret for",
                  "Propensity-scorens fordeling", "fælles støtte", "Fravalgt"):
        assert words in page, words
    assert (evaluated / "figures" / "ps_distribution.svg").is_file()


def test_workbook_and_danish_csvs_hold_every_published_table(evaluated):
    """Issue 19, item 7, on the shipped design's output: one sheet per published CSV with its values (counts as
    integers, numbers to Excel's 15 digits, withheld cells empty), Danish headers, and each CSV's Danish-dialect twin
    read back by pandas equal to it (the audit above checks both cell for cell as well)."""
    import pandas as pd
    from openpyxl import load_workbook

    csvs = sorted(p for p in (evaluated / "results").glob("*.csv") if not p.name.endswith(".excel-da.csv"))
    wb = load_workbook(evaluated / "tables.xlsx", read_only=True)
    assert wb.sheetnames == ["Om tabellerne", *(p.stem for p in csvs)]
    for p in csvs:
        want = pd.read_csv(p)
        rows = list(wb[p.stem].iter_rows(values_only=True))
        assert len(rows) == len(want) + 1, p.name
        for j, col in enumerate(want.columns):
            w, g = want[col], pd.Series([r[j] for r in rows[1:]], dtype=object)
            assert (w.isna() == g.isna()).all(), (p.name, col)
            if pd.api.types.is_numeric_dtype(w) and not pd.api.types.is_bool_dtype(w):
                assert all(isinstance(v, (int, float)) for v in g.dropna()), (p.name, col)
                assert g.dropna().astype(float).to_numpy() == pytest.approx(w.dropna().to_numpy(), rel=1e-14)
            else:
                assert g.dropna().tolist() == w.dropna().tolist(), (p.name, col)
            if col.startswith("n_") or col in ("participants", "pool_persons", "month"):
                assert all(type(v) is int for v in g.dropna()), (p.name, col)
        twin = pd.read_csv(p.with_name(p.stem + ".excel-da.csv"), sep=";", decimal=",", encoding="utf-8-sig")
        pd.testing.assert_frame_equal(twin, want, check_exact=True, obj=p.name)
    effects = list(wb["effects"].iter_rows(values_only=True, max_row=1))[0]
    assert effects[:4] == ("Udfald", "Måned", "Effekt (forskel)", "Std.fejl")


@pytest.fixture(scope="module")
def small_data(tmp_path_factory) -> Path:
    """3,000 synthetic persons from 2017 (a run takes seconds), shared by the tests of bad designs; a test that
    changes the files copies them first."""
    from virkning.synth import generate

    data = tmp_path_factory.mktemp("small") / "data"
    generate(data, persons=3_000, seed=2018, start="2017-01-01")
    return data


def test_a_programme_with_fewer_participants_than_the_threshold(small_data, tmp_path):
    """Four participants: the registers' summary leaves out the events table's count of persons (it is theirs), and
    the run ends as any other, audited, instead of the audit stopping it as an internal error."""
    import pandas as pd

    data = shutil.copytree(small_data, tmp_path / "data")
    events = pd.read_parquet(data / "events.parquet")
    few = events[events["event"] == "informationsmøde"]["person_id"].drop_duplicates().iloc[:4]
    events[events["person_id"].isin(few)].to_parquet(data / "events.parquet", index=False)
    design = tmp_path / "design.yaml"
    shutil.copy(EXAMPLES / "minimal" / "design.yaml", design)
    res = runner.invoke(app, ["evaluate", str(design), "--data", str(data), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "out" / "results" / "results.json").read_text())["data"]["tables"]
    assert summary["events"]["persons"] is None and summary["persons"]["persons"] == 3_000
    assert audit(tmp_path / "out", 5) == []


@pytest.mark.parametrize("end_month, code, message", [
    ("2035-01", 0, "end_month 2035-01 is after the last month both benefits and employment hold rows for (2019-07)"),
    ("2016-01", 1, "no participant has a month of follow-up: the data end in 2016-01"),
])
def test_an_end_month_beyond_the_data_or_before_every_index_month(small_data, tmp_path, end_month, code, message):
    """Beyond the registers' rows, the months between read as months without benefits or work: allowed (a small
    extract's last benefit week can come before the registers' end), with a warning. Before every index month,
    every effect would be an exact zero of nobody at risk: refused, nothing written."""
    design = tmp_path / "design.yaml"
    design.write_text(f"data: {{end_month: {end_month}}}\n"
                      + (EXAMPLES / "minimal" / "design.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = runner.invoke(app, ["evaluate", str(design), "--data", str(small_data), "--out", str(tmp_path / "out")])
    said = " ".join(res.output.split()) + " ".join(str(w.message) for w in caught if w.category is EndOfDataWarning)
    assert res.exit_code == code and message in said, said
    assert (tmp_path / "out").exists() == (code == 0)


def test_an_earlier_output_with_files_of_the_users_own_is_not_replaced(tmp_path):
    """virkning replaces its own earlier output as a whole; a file its manifest does not list (a user's note saved
    into the folder) would go with it, so the folder is refused and the file stays."""
    from virkning.outputs import MARKER, OutputError, check_out

    out = tmp_path / "out"
    (out / "results").mkdir(parents=True)
    (out / "results" / "effects.csv").write_text("a\n")
    (out / "manifest.json").write_text(json.dumps({"kind": MARKER, "files": {"results/effects.csv": "0"}}))
    check_out(out)  # only its own files: may be replaced
    for name in (".DS_Store", "Thumbs.db", "~$tables.xlsx", ".~lock.tables.xlsx#"):  # a file manager's, an office's
        (out / name).write_bytes(b"")
    check_out(out)
    (out / "results" / "notes.docx").write_bytes(b"the user's")
    with pytest.raises(OutputError, match=r"files its manifest does not list \(results/notes.docx\)"):
        check_out(out)
    assert (out / "results" / "notes.docx").read_bytes() == b"the user's"


def test_subgroup_edges_on_a_categorical_covariate_are_a_design_error(small_data, tmp_path):
    design = tmp_path / "design.yaml"
    design.write_text((EXAMPLES / "minimal" / "design.yaml").read_text(encoding="utf-8")
                      + "subgroups:\n  - {name: a, covariate: sex, edges: [1, 2]}\n", encoding="utf-8")
    res = runner.invoke(app, ["evaluate", str(design), "--data", str(small_data), "--out", str(tmp_path / "out")])
    assert res.exit_code == 1, res.output
    assert ("subgroups: 'a': edges cut a number into bands, and covariate 'sex' holds categories (K, M)"
            in " ".join(res.output.split()))
    assert not (tmp_path / "out").exists()


def test_covariates_and_pool_states_after_the_index_are_warned_of(small_data, tmp_path):
    from virkning.analyses.effect.checks import AfterIndexWarning
    design = tmp_path / "design.yaml"
    text = (EXAMPLES / "minimal" / "design.yaml").read_text(encoding="utf-8")
    design.write_text(text.replace("[age, sex, weeks_ledig_52w]", "[age, sex, employment_at_3, in_ledig_at_0]")
                      .replace("{-1: ledig, 0: ledig}", "{-1: ledig, 0: ledig, 2: ledig}"), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = runner.invoke(app, ["evaluate", str(design), "--data", str(small_data), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    said = [str(w.message) for w in caught if w.category is AfterIndexWarning]
    assert said and said[0].startswith("covariate 'employment_at_3', pool state at week +2 (ledig) read the "
                                       "registers after the index week"), said


def test_messages_keep_text_in_square_brackets(tmp_path):
    """The terminal's styling tags are square brackets too: a message quoting '[min, max]' keeps it."""
    design = tmp_path / "design.yaml"
    design.write_text((EXAMPLES / "minimal" / "design.yaml").read_text(encoding="utf-8")
                      .replace("states: {-1: ledig, 0: ledig}", "states: {-1: ledig, 0: ledig}\n  age: 50"),
                      encoding="utf-8")
    res = runner.invoke(app, ["evaluate", str(design), "--data", str(tmp_path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 1 and "pool.age: expected [min, max] in completed years" in res.output, res.output


def test_rules_that_leave_nobody_say_where_everybody_went(small_data, tmp_path):
    """Nothing is written when the population rules leave nobody, so the message carries the flow itself."""
    design = tmp_path / "design.yaml"
    design.write_text((EXAMPLES / "minimal" / "design.yaml").read_text(encoding="utf-8")
                      .replace("states: {-1: ledig, 0: ledig}", "states: {-1: ledig, 0: ledig}\n  age: [20, 25]"),
                      encoding="utf-8")
    res = runner.invoke(app, ["evaluate", str(design), "--data", str(small_data), "--out", str(tmp_path / "out")])
    said = " ".join(res.output.split())
    assert res.exit_code == 1 and "here is the flow: registered (event in window): participants" in said, said
    assert "; pool: aged 20-25: pool persons " in said  # the seniors who took part are not 20-25
    assert "; eligible (same age and state rules as the pool): participants 0, pool persons " in said
