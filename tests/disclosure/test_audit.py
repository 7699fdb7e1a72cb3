"""The independent audit catches each class of leak in deliberately leaky folders, and passes clean ones."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from virkning.disclosure.audit import audit


def write(folder: Path, files: dict) -> Path:
    for rel, content in files.items():
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, pd.DataFrame):
            content.to_csv(p, index=False)
        elif isinstance(content, (dict, list)):
            p.write_text(json.dumps(content))
        else:
            p.write_text(content)
    return folder


def flow(participants, pool=None):
    steps = [f"step {i}" for i in range(len(participants))]
    f = pd.DataFrame({"step": steps, "participants": participants})
    if pool is not None:
        f["pool_persons"] = pool
    return f


def effects(risk_t, mean_t, n=200):
    months = list(range(1, len(risk_t) + 1))
    return pd.DataFrame({"outcome": "exit", "month": months, "treated_mean": mean_t, "control_mean": [0.1] * len(months),
                         "at_risk_treated": risk_t, "at_risk_control": [n] * len(months),
                         "n_treated": [n] * len(months), "n_control": [n] * len(months)})


def evaluation(**over) -> dict:
    files = {
        "results/flow.csv": flow([500, 400, 300], pool=[5000, 4000, 3000]),
        "results/participants_by_unit.csv": pd.DataFrame({"unit": ["A", "B", "C"], "participants": [100, 100, 100]}),
        "results/sample_sizes.csv": pd.DataFrame({"sample": ["All", "Matched", "Unmatched"], "Control": [3000, 300, 2700],
                                                  "Treated": [300, 300, 0]}),
        "results/effects.csv": effects([300, 290, 280], [0.1, 0.2, 0.3], n=300),
    }
    files.update(over)
    return files


def folder_with(tmp_path, files) -> list:
    return audit(write(tmp_path / "out", files))


def test_clean_evaluation_passes(tmp_path):
    assert folder_with(tmp_path, evaluation()) == []


LEAKS = {
    "printed small count": {"results/flow.csv": flow([500, 400, 3])},
    "flow step removes few": {"results/flow.csv": flow([500, 497, 300])},
    "hidden unit from the total": {"results/participants_by_unit.csv": pd.DataFrame(
        {"unit": ["A", "B", "C"], "participants": [150, 147, None]})},
    "curve loses few at risk": {"results/effects.csv": effects([300, 297, 280], [0.1, 0.2, 0.3], n=300)},
    "share of a printed group": {"results/balance.csv": pd.DataFrame({
        "type": ["binary"], "variable": ["sex"], "level": [None], "term": ["sex"],
        "mean_treated_before": [3 / 300], "mean_control_before": [0.5]})},
    "hidden level from the others": {"results/balance.csv": pd.DataFrame({
        "type": ["binary"] * 3, "variable": ["region"] * 3, "level": ["a", "b", "c"], "term": ["a", "b", "c"],
        "mean_treated_before": [0.5, 0.49, None]})},
    "person data": {"results/results.json": {"data": [{"person_id": "0101601234"}]}},
    "small count in the page": {"report.html": '<td class="num count">3</td>'},
}


@pytest.mark.parametrize("name", LEAKS)
def test_each_leak_is_caught(tmp_path, name):
    found = folder_with(tmp_path, evaluation(**LEAKS[name]))
    assert found, name
    assert all(f.file and f.arithmetic for f in found)


def month(persons_cum: dict, persons_month: dict, **extra) -> dict:
    rows = []
    for i, step in enumerate(["inviteret", "deltaget"]):
        for period, values in (("cumulative", persons_cum), ("month", persons_month)):
            for unit, v in values[step].items():
                rows.append({"order": i, "step": step, "unit": unit, "period": period, "persons": v})
    return {"funnel.csv": pd.DataFrame(rows), **extra}


def two_months(tmp_path, second_month_count):
    first = month({"inviteret": {"A": 100, "B": 100, "I alt": 200}, "deltaget": {"A": 80, "B": 70, "I alt": 150}},
                  {"inviteret": {"A": 100, "B": 100, "I alt": 200}, "deltaget": {"A": 80, "B": 70, "I alt": 150}})
    second = month({"inviteret": {"A": 110, "B": 120, "I alt": 230}, "deltaget": {"A": 83, "B": 90, "I alt": 173}},
                   {"inviteret": {"A": 10, "B": 20, "I alt": 30},
                    "deltaget": {"A": second_month_count, "B": 20, "I alt": 23}})
    files = {f"2018-01/{k}": v for k, v in first.items()} | {f"2018-02/{k}": v for k, v in second.items()}
    return audit(write(tmp_path / "mon", files))


def test_a_hidden_month_count_comes_back_from_the_cumulative_counts(tmp_path):
    found = two_months(tmp_path, None)  # 83 - 80 = 3, though "the month" is hidden
    assert any("deltaget" in f.cells and "3.00" in f.arithmetic for f in found), found


def test_monthly_funnel_without_small_counts_passes(tmp_path):
    first = month({"inviteret": {"A": 100, "B": 100, "I alt": 200}, "deltaget": {"A": 80, "B": 70, "I alt": 150}},
                  {"inviteret": {"A": 100, "B": 100, "I alt": 200}, "deltaget": {"A": 80, "B": 70, "I alt": 150}})
    second = month({"inviteret": {"A": 110, "B": 120, "I alt": 230}, "deltaget": {"A": 90, "B": 90, "I alt": 180}},
                   {"inviteret": {"A": 10, "B": 20, "I alt": 30}, "deltaget": {"A": 10, "B": 20, "I alt": 30}})
    files = {f"2018-01/{k}": v for k, v in first.items()} | {f"2018-02/{k}": v for k, v in second.items()}
    assert audit(write(tmp_path / "mon", files)) == []


def test_survey_non_respondents(tmp_path):
    sv = pd.DataFrame({"survey": ["s"], "wave": ["w"], "unit": ["A"], "item": ["q"], "n": [6], "agree": [5],
                       "respondents": [6], "share_agree": [5 / 6], "population": [7], "response_rate": [6 / 7]})
    found = audit(write(tmp_path / "m", {"2018-01/surveys.csv": sv}))
    assert any("7" in f.arithmetic or "1.00" in f.arithmetic for f in found), found
