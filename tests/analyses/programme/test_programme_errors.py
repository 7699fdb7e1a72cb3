"""Bad input is refused with located errors: the design key and line, or the sheet row."""

import pandas as pd
import pytest

from virkning.analyses.jobrotation.rules import JobRotationError, read_rotations
from virkning.analyses.jobrotation.spec import JobRotationSpec
from virkning.design import DesignFileError, parse_design

BASE = """
programme:
  baseline: 2018-01-01
  activities: [{id: a, label: Aktivitet}]
  effects: [{id: e, label: Effekt, horizon: kort, from: [a]}]
  sources: [{name: reg, kind: manual, file: values.csv}]
  indicators:
    - {name: n, label: Antal, kind: count, source: reg, measures: [e]}
    - {name: s, label: Andel, kind: share, source: reg}
"""


def _problems(extra: str) -> list:
    with pytest.raises(DesignFileError) as e:
        parse_design(BASE + extra, "design.yaml")
    return e.value.problems


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_target_without_indicator():
    extra = "  targets:\n    - {kind: absolute, value: 60}\n"
    (p,) = _problems(extra)
    assert p.path == "programme.targets[1]" and "missing required key 'indicator'" in p.message
    assert p.line == _line_of(BASE + extra, "value: 60")


def test_target_naming_an_unknown_indicator():
    extra = "  targets:\n    - {indicator: loans, value: 60}\n"
    (p,) = _problems(extra)
    assert p.path == "programme.targets[1].indicator"
    assert "'loans' is not declared" in p.message and "n, s" in p.message


def test_indicator_whose_source_is_absent():
    extra = "    - {name: x, label: X, kind: count, source: dream}\n"
    (p,) = _problems(extra)
    assert p.path == "programme.indicators[3].source" and "'dream' is not among the programme's sources" in p.message
    assert p.line == _line_of(BASE + extra, "name: x")


def test_schedule_point_before_baseline():
    extra = ("  schedules:\n    - name: q\n      kind: fixed\n      dates: [2018-03-01, 2017-12-31]\n"
             "      indicators: [n]\n")
    (p,) = _problems(extra)
    assert p.path == "programme.schedules[1].dates[2]" and "before the baseline 2018-01-01" in p.message


def test_iso_week_window_before_baseline():
    extra = ("  schedules:\n    - {name: w, kind: iso_weeks, windows: ['40-41'], from: 2017-W40, to: 2018-W41, "
             "indicators: [n]}\n")
    (p,) = _problems(extra)
    assert p.path == "programme.schedules[1].from" and "2017-W40-41" in p.message


def test_relative_target_without_baseline():
    extra = "  targets:\n    - {indicator: n, kind: relative, value: 0.25}\n"
    (p,) = _problems(extra)
    assert p.path == "programme.targets[1]" and "has no baseline" in p.message


def test_share_target_above_one():
    (p,) = _problems("  targets:\n    - {indicator: s, kind: share, value: 60}\n")
    assert p.path == "programme.targets[1]" and "between 0 and 1" in p.message


def test_arrow_to_nothing_and_every_problem_at_once():
    extra = ("  mechanisms: [{id: m, label: M, from: [zz]}]\n  targets:\n    - {indicator: n, kind: share, value: 0.6}\n"
             "    - {indicator: q, value: 1}\n")
    found = {p.path: p.message for p in _problems(extra)}
    assert "'zz' is not an activity" in found["programme.mechanisms[1].from[1]"]
    assert "needs a share or rate indicator" in found["programme.targets[1].kind"]
    assert "'q' is not declared" in found["programme.targets[2].indicator"]


def test_rotation_rows_ending_before_they_start(tmp_path):
    pd.DataFrame({"medarbejder": ["E1", "E2", "E3"], "vikar": ["S1", "S2", ""], "virksomhed": ["F1"] * 3,
                  "start": ["2018-03-05", "2018-05-07", "2018-05-07"], "slut": ["2018-08-31", "2018-04-30", "x"],
                  "timer_pr_uge": [20, 20, 20]}).to_csv(tmp_path / "jobrotation.csv", index=False)
    with pytest.raises(JobRotationError) as e:
        read_rotations(JobRotationSpec(), tmp_path)
    text = str(e.value)
    assert "row 3, column 'slut': the rotation ends 2018-04-30, before it starts 2018-05-07" in text
    assert "row 4, column 'vikar': missing" in text and "row 4, column 'slut': 'x' is not a date" in text
    assert "row 2" not in text
