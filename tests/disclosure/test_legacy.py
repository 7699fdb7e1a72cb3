"""Disclosure control: hand cases for each rule, and a scan of protected output."""

import json

import pandas as pd

from virkning.disclosure.legacy import protect, scan, small


def test_small_counts():
    assert [small(n, 5) for n in (None, 0, 1, 4, 4.6, 5, 120)] == [False, False, True, True, False, False, False]


def test_flow_suppresses_small_steps_and_small_removals():
    b = {"flow": [{"step": "a", "participants": 100}, {"step": "b", "participants": 97},  # removes 3: hide
                  {"step": "c", "participants": 90},  # 10 fewer than the last shown (100): show
                  {"step": "d", "participants": 90}, {"step": "e", "participants": 3}]}
    out, log = protect(b, 5)
    assert [r["participants"] for r in out["flow"]] == [100, None, 90, 90, None]
    assert b["flow"][1]["participants"] == 97  # the input is not changed
    assert len(log) == 2


def test_units_with_total_get_secondary_suppression():
    b = {"participants_by_unit": [{"unit": "A", "participants": 40}, {"unit": "B", "participants": 3},
                                  {"unit": "C", "participants": 12}, {"unit": "D", "participants": 9}]}
    out, _ = protect(b)
    assert [r["participants"] for r in out["participants_by_unit"]] == [40, None, 12, None]


def test_effect_rows():
    rows = [
        {"outcome": "x", "month": 1, "att": 0.02, "se": 0.01, "ci_low": 0.0, "ci_high": 0.04, "treated_mean": 0.02,
         "control_mean": 0.0, "n_treated": 150, "n_control": 150, "at_risk_treated": 150, "at_risk_control": 150},  # 3 of 150
        {"outcome": "x", "month": 2, "att": 0.1, "se": 0.05, "ci_low": 0.0, "ci_high": 0.2, "treated_mean": 0.3,
         "control_mean": 0.2, "n_treated": 150, "n_control": 150, "at_risk_treated": 4, "at_risk_control": 90},
        {"outcome": "x", "month": 3, "att": 0.1, "se": 0.05, "ci_low": 0.0, "ci_high": 0.2, "treated_mean": 0.3,
         "control_mean": 0.2, "n_treated": 150, "n_control": 150, "at_risk_treated": 50, "at_risk_control": 90},
    ]
    out, _ = protect({"effects": rows})
    e = out["effects"]
    assert e[0]["treated_mean"] is None and e[0]["att"] is None and e[0]["control_mean"] == 0.0
    assert e[1]["att"] is None and e[1]["at_risk_treated"] is None  # curve point not drawn
    assert e[2]["att"] == 0.1


def test_binary_shares_in_balance():
    b = {"sample_sizes": {"All": {"Control": 4000.0, "Treated": 200.0}, "Matched": {"Control": 200.0, "Treated": 200.0},
                          "Unmatched": {"Control": 3800.0, "Treated": 0.0}},
         "balance": [{"term": "origin[x]", "type": "binary", "mean_treated_before": 0.01, "mean_control_before": 0.2,
                      "smd_before": -0.5, "mean_treated_after": 0.01, "mean_control_after": 0.05, "smd_after": -0.3},
                     {"term": "age", "type": "continuous", "mean_treated_before": 57.1, "mean_control_before": 56.0,
                      "smd_before": 0.1, "mean_treated_after": 57.1, "mean_control_after": 57.0, "smd_after": 0.01}]}
    out, _ = protect(b)
    r = out["balance"][0]
    assert r["mean_treated_before"] is None and r["smd_before"] is None and r["mean_control_before"] == 0.2
    assert out["balance"][1]["smd_after"] == 0.01


def test_scan_finds_what_protect_removes(tmp_path):
    raw = {"flow": [{"step": "a", "participants": 100, "pool_persons": 3}],
           "effects": [{"outcome": "x", "treated_mean": 0.02, "n_treated": 100, "control_mean": 0.5, "n_control": 100}]}
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "results.json").write_text(json.dumps(raw))
    pd.DataFrame(raw["effects"]).to_csv(tmp_path / "raw" / "effects.csv", index=False)
    (tmp_path / "raw" / "report.html").write_text('<td class="count">3</td><td class="count">1.619</td>')
    found = scan(tmp_path / "raw")
    assert len(found) == 4  # json flow count, json share, csv share, html count of 3 (1.619 is fine)
    assert any("pool_persons = 3" in f for f in found) and any(f.endswith("report.html: count 3") for f in found)
    protected, _ = protect(raw)
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "results.json").write_text(json.dumps(protected))
    assert scan(tmp_path / "ok") == []
