"""The plan's status on values entered by hand: seed 002's ratio-rule experiment (+25 % vulnerable citizens in an
employer-based measure against the baseline of 30.06.17; 60 % reach progression; lines 1370-1416), a yearly target
prorated over the years, a ceiling, a rate of two counts, and what the gate then shows."""

import datetime as dt

import pandas as pd
import pytest

from virkning.analyses.programme.publish import protect_status
from virkning.analyses.programme.status import PlanInputs, status, wilson
from virkning.design import parse_design

DESIGN = """
programme:
  baseline: 2017-06-30
  end: 2020-06-30
  activities: [{id: fritagelse, label: Fritagelse for forholdstalskravet}]
  effects:
    - {id: flere, label: Flere udsatte borgere i virksomhedsrettet indsats, from: [fritagelse]}
    - {id: progression, label: Progression, from: [fritagelse]}
  sources: [{name: jobindsats, kind: manual, file: values.csv}]
  indicators:
    - {name: virksomhedsrettet, label: Borgere i virksomhedsrettet indsats, kind: count, source: jobindsats}
    - {name: progression, label: Andel med progression, kind: share, source: jobindsats}
    - {name: forloeb, label: Forløb, kind: count, source: jobindsats}
    - {name: deltagere, label: Deltagere, kind: count, source: jobindsats}
    - {name: pr_forloeb, label: Deltagere pr. forløb, kind: rate, numerator: deltagere, denominator: forloeb}
  targets:
    - {indicator: virksomhedsrettet, kind: relative, value: 0.25, baseline_date: 2017-06-30}
    - {indicator: progression, kind: share, value: 0.6}
    - {indicator: forloeb, kind: absolute, value: 4, per: year}
    - {indicator: deltagere, kind: absolute, value: 80, direction: at_most}
  schedules:
    - {name: traek, kind: fixed, dates: [2017-06-30, 2018-03-31, 2019-03-31, 2020-06-30],
       indicators: [virksomhedsrettet, progression, forloeb, deltagere, pr_forloeb]}
"""

VALUES = [  # indicator, point, value, numerator, denominator
    ("virksomhedsrettet", "2017-06-30", 200, "", ""), ("virksomhedsrettet", "2018-03-31", 230, "", ""),
    ("virksomhedsrettet", "2019-03-31", 251, "", ""),
    ("progression", "2018-03-31", 0.55, 22, 40), ("progression", "2019-03-31", 0.62, 62, 100),
    ("forloeb", "2018-03-31", 3, "", ""), ("forloeb", "2019-03-31", 8, "", ""),
    ("deltagere", "2018-03-31", 24, "", ""), ("deltagere", "2019-03-31", 85, "", ""),
]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    folder = tmp_path_factory.mktemp("values")
    pd.DataFrame(VALUES, columns=["indicator", "point", "value", "numerator", "denominator"]).to_csv(
        folder / "values.csv", index=False)
    spec = parse_design(DESIGN, "design.yaml").analyses["programme"]
    raw, keys = status(spec, PlanInputs(dt.date(2019, 6, 30), folder))
    return raw, keys


def _row(raw, indicator, point):
    return raw[(raw["indicator"] == indicator) & (raw["point"] == point)].iloc[0]


def test_relative_target_against_the_baseline_value(table):
    raw, _ = table
    r = _row(raw, "virksomhedsrettet", "2018-03-31")
    assert r["target"] == pytest.approx(250.0) and r["met"] == "not_yet"  # 200 x 1.25; 230 < 250 before the end
    assert _row(raw, "virksomhedsrettet", "2019-03-31")["met"] == "yes"
    assert _row(raw, "virksomhedsrettet", "2020-06-30")["state"] == "not_due"


def test_share_target_with_wilson_interval(table):
    raw, _ = table
    r = _row(raw, "progression", "2019-03-31")
    assert (r["value"], r["met"], r["target"]) == (0.62, "yes", 0.6)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx(wilson(62, 100))
    r = _row(raw, "progression", "2017-06-30")
    assert r["state"] == "due" and r["missing"] == "no value entered for this point"


def test_per_year_target_is_prorated_and_ceiling_is_checked(table):
    raw, _ = table
    r = _row(raw, "forloeb", "2019-03-31")
    years = (dt.date(2019, 3, 31) - dt.date(2017, 6, 30)).days / 365.25
    assert r["target"] == pytest.approx(4 * years) and r["met"] == "yes"  # 8 >= 6.99
    assert _row(raw, "forloeb", "2018-03-31")["met"] == "not_yet"  # 3 < 4 x 0.75
    assert _row(raw, "deltagere", "2019-03-31")["met"] == "no"  # 85 > 80: a ceiling fails at once
    rate = _row(raw, "pr_forloeb", "2019-03-31")
    assert rate["value"] == pytest.approx(85 / 8) and (rate["numerator"], rate["denominator"]) == (85, 8)


def test_gate_hides_small_counts_and_what_follows_from_them(table):
    raw, keys = table
    small = raw.copy()
    i = small.index[(small["indicator"] == "forloeb") & (small["point"] == "2018-03-31")][0]
    shown, log = protect_status(small, keys, threshold=5)
    assert pd.isna(shown.at[i, "value"]) and pd.isna(shown.at[i, "numerator"])
    assert shown.at[i, "missing"] == "hidden: fewer persons than the disclosure threshold"
    j = shown.index[(shown["indicator"] == "pr_forloeb") & (shown["point"] == "2018-03-31")][0]
    assert pd.isna(shown.at[j, "value"])  # 24 / 3 would give the hidden 3 back
    assert log
