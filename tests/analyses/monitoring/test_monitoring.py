import dataclasses
import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from pydantic import ValidationError

from virkning.analyses.monitoring import (MonitoringConfig, monitor, monthly_status, publish, read_registration,
                                         render_status_html)
from virkning.analyses.monitoring.fidelity import fidelity_scores, ols
from virkning.analyses.monitoring.registration import RegistrationError, check_registration
from virkning.analyses.monitoring.compute import raw_tables
from virkning.analyses.monitoring.surveys import survey_table
from virkning.synth.sheets import default_monitoring_config


def cfg(threshold=1, **over) -> MonitoringConfig:
    c = default_monitoring_config()
    c["disclosure_threshold"] = threshold
    c.update(over)
    return MonitoringConfig.model_validate(c)


def sheet_rows(spec):
    """spec: (project, attended, signed_up, temp) tuples; all meetings on 2018-03-06."""
    rows = []
    for i, (proj, att, sign, temp) in enumerate(spec):
        rows.append({"person_id": f"P{i:04d}", "projekt": proj, "indkaldelsesdato": "2018-02-26",
                     "deltaget": "ja" if att else "nej", "moededato": "2018-03-06" if att else "",
                     "matchsamtale": "", "opskrevet": ("ja" if sign else "nej") if att else "",
                     "opskrivningsdato": "2018-03-20" if sign else "", "opfoelgningsdato": "",
                     "vikarjob_start": "2018-04-02" if temp else "", "vikar_branche": "", "alternativ_indsats": ""})
    return pd.DataFrame(rows)


def small_case():
    # A: 10 invited, 8 attended, 6 signed up, 3 temp jobs; B: 5 invited, 5 attended, 2 signed up, 1 temp job
    a = [("A", True, True, True)] * 3 + [("A", True, True, False)] * 3 + [("A", True, False, False)] * 2 + \
        [("A", False, False, False)] * 2
    b = [("B", True, True, True)] + [("B", True, True, False)] + [("B", True, False, False)] * 3
    return sheet_rows(a + b)


def test_config_rejects_unknown_keys_and_bad_references():
    c = default_monitoring_config()
    c["funnel"][0]["colum"] = "x"
    with pytest.raises(ValidationError):
        MonitoringConfig.model_validate(c)
    c = default_monitoring_config()
    c["success_criteria"][1]["numerator"] = "nope"
    with pytest.raises(ValidationError, match="unknown funnel step"):
        MonitoringConfig.model_validate(c)
    c = default_monitoring_config()
    c["success_criteria"][1]["target"] = 80
    with pytest.raises(ValidationError, match="between 0 and 1"):
        MonitoringConfig.model_validate(c)


def test_funnel_and_criteria_hand_computed():
    c = cfg()
    reg = check_registration(small_case(), c.registration, "Registrering")
    assert reg.ok, reg.messages()
    r = monthly_status(c, reg, month="2018-04")
    f = r.funnel[r.funnel["period"] == "cumulative"].set_index(["unit", "step"])
    assert f.loc[("A", "inviteret"), "persons"] == 10
    assert f.loc[("A", "deltaget"), "persons"] == 8
    assert f.loc[("A", "opskrevet"), "share_of_previous"] == pytest.approx(6 / 8)
    assert f.loc[("I alt", "vikarjob"), "persons"] == 4
    assert f.loc[("I alt", "vikarjob"), "share_of_first"] == pytest.approx(4 / 15)
    # in March: no temp jobs yet (they start in April)
    m = monthly_status(c, reg, month="2018-03").funnel
    assert m[(m.unit == "I alt") & (m.period == "cumulative") & (m.step == "vikarjob")]["persons"].iloc[0] == 0
    cr = r.criteria[r.criteria["period"] == "cumulative"].set_index(["unit", "criterion"])
    assert cr.loc[("A", "deltagere"), "achievement"] == pytest.approx(8 / 100)
    assert cr.loc[("I alt", "deltagere"), "target_min"] == 200  # 100 per project, 2 projects
    assert cr.loc[("I alt", "deltagere"), "achievement"] == pytest.approx(13 / 200)
    assert cr.loc[("A", "opskrivning"), "value"] == pytest.approx(0.75)
    assert cr.loc[("A", "opskrivning"), "achievement"] == pytest.approx(0.75 / 0.8)
    assert cr.loc[("I alt", "opskrivning"), "value"] == pytest.approx(8 / 13)
    assert cr.loc[("A", "vikaransaettelse"), "value"] == pytest.approx(0.5)
    assert cr.loc[("A", "vikaransaettelse"), "achievement"] == pytest.approx(0.5 / 0.4)
    assert bool(cr.loc[("A", "vikaransaettelse"), "met"]) is True
    assert cr.loc[("B", "opskrivning"), "value"] == pytest.approx(0.4)
    assert list(r.ranking["unit"]) == ["A", "B"]


def test_disclosure_in_status_tables():
    c = cfg(threshold=5)
    reg = check_registration(small_case(), c.registration, "Registrering")
    r = monthly_status(c, reg, month="2018-04")
    for frame in (r.funnel, r.criteria):
        for col in ("persons", "numerator", "denominator"):
            if col in frame:
                vals = frame[col].dropna().astype(float)
                assert not ((vals > 0) & (vals < 5)).any(), (col, vals.tolist())
    cr = r.criteria[r.criteria["period"] == "cumulative"].set_index(["unit", "criterion"])
    # B: 2 of 5 signed up -> share hidden; A: 3 of 6 in temp job -> hidden (3 persons)
    assert pd.isna(cr.loc[("B", "opskrivning"), "value"])
    assert pd.isna(cr.loc[("A", "vikaransaettelse"), "value"])
    f = r.funnel[(r.funnel.period == "cumulative")].set_index(["unit", "step"])["persons"]
    assert pd.isna(f[("A", "vikarjob")])  # 3 persons
    # nothing small by subtraction: projects and the total, and a step and the one before it (the steps of this
    # sheet are nested: every person who signed up attended, ...)
    steps = ["inviteret", "deltaget", "opskrevet", "vikarjob"]
    for step in steps:
        shown = [f[(u, step)] for u in ("A", "B") if not pd.isna(f[(u, step)])]
        if not pd.isna(f[("I alt", step)]) and len(shown) == 1:
            rest = f[("I alt", step)] - shown[0]
            assert rest == 0 or rest >= 5, (step, rest)
    for unit in ("A", "B", "I alt"):
        for a, b in zip(steps, steps[1:]):
            if not pd.isna(f[(unit, a)]) and not pd.isna(f[(unit, b)]):
                gap = f[(unit, a)] - f[(unit, b)]
                assert gap == 0 or gap >= 5, (unit, a, b, gap)


def test_broken_sheet_reports_rows_and_keeps_valid(tmp_path):
    c = cfg()
    s = small_case()
    s.loc[0, "opskrevet"] = "måske"
    s.loc[1, "moededato"] = "2018-02-01"  # before the invitation
    s.loc[2, "opfoelgningsdato"] = "2018-09-30"  # more than 13 weeks after the meeting
    s.loc[3, "projekt"] = ""
    s.loc[4, "vikar_branche"] = "Landbrug"
    s.loc[5, "indkaldelsesdato"] = "31-02-2018"
    s = pd.concat([s, s.iloc[[6]]], ignore_index=True)
    path = tmp_path / "reg.xlsx"
    with pd.ExcelWriter(path) as xw:
        s.to_excel(xw, sheet_name="Registrering", index=False)
    reg = read_registration(path, c)
    v = reg.violations
    got = {(r.row, r.column) for r in v.itertuples()}
    for expected in [(2, "opskrevet"), (3, "moededato"), (4, "opfoelgningsdato"), (5, "projekt"),
                     (6, "vikar_branche"), (7, "indkaldelsesdato"), (17, "person_id")]:
        assert expected in got, (expected, reg.messages())
    assert set(v["sheet"]) == {"Registrering"}
    msgs = "\n".join(reg.messages())
    assert "row 4, column 'opfoelgningsdato'" in msgs and "within 13 weeks" in msgs
    assert "row 17" in msgs and "twice" in msgs
    assert len(reg.data) == 15 - 2  # missing project and invalid index date dropped; duplicate dropped
    assert reg.rows_read == 16
    with pytest.raises(RegistrationError, match="row 2"):
        read_registration(path, c, strict=True)


def test_xlsx_and_csv_round_trip(tmp_path):
    c = cfg()
    s = small_case()
    x, csv = tmp_path / "r.xlsx", tmp_path / "r.csv"
    with pd.ExcelWriter(x) as xw:
        s.to_excel(xw, sheet_name="Registrering", index=False)
    s.to_csv(csv, index=False)
    a, b = read_registration(x, c).data, read_registration(csv, c).data
    assert a.drop(columns="_row").equals(b.drop(columns="_row"))
    assert a["moededato"].iloc[0] == dt.date(2018, 3, 6) and bool(a["deltaget"].iloc[0]) is True


def test_event_log_layout():
    c = default_monitoring_config()
    c["registration"] = {"sheet": "Log", "layout": "event_log", "unit_column": "projekt", "index_event": "møde",
                         "events": ["møde", "opskrivning"],
                         "date_rules": [{"column": "opskrivning", "after": "møde", "within_weeks": 4}]}
    c["funnel"] = [{"name": "deltaget", "event": "møde"}, {"name": "opskrevet", "event": "opskrivning"}]
    c["success_criteria"] = [{"name": "op", "kind": "share", "numerator": "opskrevet", "denominator": "deltaget",
                              "target": 0.8}]
    c["fidelity"] = None
    c["surveys"] = []
    c["register_results"] = {}
    c["disclosure_threshold"] = 1
    m = MonitoringConfig.model_validate(c)
    log = pd.DataFrame({"person_id": ["a", "a", "b", "b", "c", "d"], "projekt": ["X"] * 6,
                        "event": ["møde", "opskrivning", "møde", "opskrivning", "opskrivning", "kaffe"],
                        "dato": ["2018-01-02", "2018-01-10", "2018-01-02", "2018-03-01", "2018-01-05", "2018-01-05"]})
    reg = check_registration(log, m.registration, "Log")
    rules = {(r.row, r.column): r.rule for r in reg.violations.itertuples()}
    assert "within 4 weeks" in rules[(5, "opskrivning")]
    assert "no 'møde'" in rules[(6, "event")]
    assert "not an allowed event" in rules[(7, "event")]
    r = monthly_status(m, reg, month="2018-03")
    cr = r.criteria.set_index(["unit", "period"])
    assert cr.loc[("X", "cumulative"), "value"] == pytest.approx(0.5)


def staff_survey():
    rows = []
    # unit U1: item a (element e1) answers 4, 5 -> 4.5; item b (e1) 3, ved ikke -> 3; item c (e2) "61-80 pct." -> 4
    data = {
        "U1": {"a": ["i høj grad", "i meget høj grad"], "b": ["i nogen grad", "ved ikke"], "c": ["61-80 pct.", "61-80 pct."]},
        "U2": {"a": ["slet ikke", "i mindre grad"], "b": ["i mindre grad", "i mindre grad"], "c": ["0-20 pct.", "21-40 pct."]},
        "U3": {"a": ["i nogen grad", "i nogen grad"], "b": ["i høj grad", "i høj grad"], "c": ["41-60 pct.", "81-100 pct."]},
    }
    for wave, shift in (("w1", 0), ("w2", 1)):
        for unit, items in data.items():
            for item, answers in items.items():
                for k, a in enumerate(answers):
                    if wave == "w2" and unit == "U2" and a != "ved ikke":  # U2 improves strongly
                        a = {"slet ikke": "i høj grad", "i mindre grad": "i meget høj grad", "0-20 pct.": "81-100 pct.",
                             "21-40 pct.": "81-100 pct."}[a]
                    rows.append({"respondent": f"{unit}{k}", "unit": unit, "role": "medarbejder", "wave": wave,
                                 "item": item, "answer": a})
    return pd.DataFrame(rows)


def fid_cfg():
    return MonitoringConfig.model_validate({**default_monitoring_config(), "fidelity": {
        "waves": ["w1", "w2"], "elements": {"e1": "Element 1", "e2": "Element 2"},
        "items": {"a": "e1", "b": "e1", "c": "e2"},
        "bands": [{"items": ["c"], "mapping": {"0-20 pct.": 1, "21-40 pct.": 2, "41-60 pct.": 3, "61-80 pct.": 4,
                                               "81-100 pct.": 5}}]}}).fidelity


def test_fidelity_scores_hand_computed():
    f = fidelity_scores(staff_survey(), fid_cfg(), outcome={"U1": 0.5, "U2": 0.2, "U3": 0.4},
                        sizes={"U1": 20_000, "U2": 40_000, "U3": 60_000})
    s = f.element_scores.set_index(["wave", "unit", "element"])["score"]
    assert s[("w1", "U1", "e1")] == pytest.approx((4.5 + 3) / 2)
    assert s[("w1", "U1", "e2")] == pytest.approx(4)
    assert s[("w1", "U1", "samlet")] == pytest.approx((3.75 + 4) / 2)
    assert s[("w1", "U2", "samlet")] == pytest.approx(((1.5 + 2) / 2 + 1.5) / 2)
    d = f.distribution.set_index(["wave", "element"])
    w1 = [s[("w1", u, "samlet")] for u in ("U1", "U2", "U3")]
    assert d.loc[("w1", "samlet"), "median"] == pytest.approx(np.median(w1))
    assert d.loc[("w1", "samlet"), "q1"] == pytest.approx(np.quantile(w1, 0.25))
    assert d.loc[("w1", "samlet"), "min"] == pytest.approx(min(w1))
    assert f.moved_up("w1", "w2") == ["U2"]
    cat = f.categories.set_index(["wave", "item", "category"])["units"]
    assert cat[("w1", "c", "61-80 pct.")] == 2  # U1 mean 4, U3 mean (3 + 5) / 2 = 4
    assert cat[("w1", "a", "i nogen grad")] == 1  # U3 mean 3
    sizes = f.by_size.set_index(["wave", "size_band"])
    assert list(f.by_size["size_band"].astype(str).unique()) == ["0-25.000", "25.001-50.000", "over 50.000"]
    assert sizes.loc[("w1", "0-25.000"), "mean_score"] == pytest.approx(3.875)
    # regression on the last wave, against statsmodels
    d = f.regression_data
    fit = sm.OLS(d["outcome"], sm.add_constant(d["score"])).fit()
    r = f.regression
    assert r.n == 3
    assert r.slope == pytest.approx(fit.params["score"]) and r.intercept == pytest.approx(fit.params["const"])
    assert r.r2 == pytest.approx(fit.rsquared) and r.p_value == pytest.approx(fit.pvalues["score"])
    assert f.scatter_svg().startswith("<svg")
    again = fidelity_scores(staff_survey(), fid_cfg(), outcome={"U1": 0.5, "U2": 0.2, "U3": 0.4},
                            sizes={"U1": 20_000, "U2": 40_000, "U3": 60_000})
    assert again.scatter_svg() == f.scatter_svg()  # same element ids on every render: status pages are reproducible


def test_ols_against_statsmodels_random():
    rng = np.random.default_rng(3)
    x = rng.uniform(1, 5, 71)
    y = 0.58 + 0.05 * x + rng.normal(0, 0.1, 71)
    r = ols(x, y)
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    assert r.slope == pytest.approx(fit.params[1]) and r.p_value == pytest.approx(fit.pvalues[1])
    assert r.se_slope == pytest.approx(fit.bse[1]) and r.r2 == pytest.approx(fit.rsquared)


def test_unknown_answer_is_refused():
    s = staff_survey()
    s.loc[0, "answer"] = "meget"
    with pytest.raises(Exception, match="row 2"):
        fidelity_scores(s, fid_cfg())


def test_survey_shares_and_threshold():
    c = cfg()
    sv = c.surveys[0]
    rows = [{"respondent": i, "projekt": "A", "wave": "1", "god_viden": a, "motiveret": "enig", "vilkaar": "uenig",
             "dagpengeret": "ved ikke"} for i, a in enumerate(["enig"] * 6 + ["helt enig"] * 2 + ["uenig"] * 5 + ["ved ikke"])]
    rows += [{"respondent": 99, "projekt": "B", "wave": "1", "god_viden": "enig", "motiveret": "enig",
              "vilkaar": "enig", "dagpengeret": "enig"}]
    t = survey_table(pd.DataFrame(rows), sv, {"A": 20, "B": 10}).set_index(["unit", "item"])
    assert t.loc[("A", "god_viden"), "n"] == 13
    assert t.loc[("A", "god_viden"), "share_agree"] == pytest.approx(8 / 13)
    assert t.loc[("A", "god_viden"), "response_rate"] == pytest.approx(14 / 20)
    assert t.loc[("A", "motiveret"), "share_agree"] == 1.0
    assert t.loc[("B", "god_viden"), "n"] == 1  # raw: the gate hides it when published
    assert t.loc[("I alt", "god_viden"), "n"] == 14
    assert t.loc[("A", "dagpengeret"), "n"] == 0


def test_a_survey_with_a_header_and_no_answers_gives_an_empty_table():
    sv = cfg().surveys[0]
    empty = pd.DataFrame(columns=["respondent", "projekt", "wave", "god_viden", "motiveret", "vilkaar", "dagpengeret"])
    t = survey_table(empty, sv, {"A": 20})
    assert len(t) == 0 and {"unit", "item", "n", "share_agree", "response_rate"} <= set(t.columns)


def test_html_report_counts_and_self_contained(tmp_path):
    c = cfg(threshold=5)
    reg = check_registration(small_case(), c.registration, "Registrering")
    r = monthly_status(c, reg, month="2018-04")
    r_fid = fidelity_scores(staff_survey(), fid_cfg(), outcome={"U1": 0.5, "U2": 0.2, "U3": 0.4})
    r = dataclasses.replace(r, fidelity=r_fid)
    text, figures = render_status_html(r)
    counts = re.findall(r'class="[^"]*\bcount\b[^"]*">([^<]*)<', text)
    assert counts and all(int(x.replace(".", "")) == 0 or int(x.replace(".", "")) >= 5 for x in counts)
    assert "<svg" in text and "<link" not in text and "<script" not in text
    assert not re.search(r'(src|href)="https?://', text)
    assert "75 %" in text or "–" in text

