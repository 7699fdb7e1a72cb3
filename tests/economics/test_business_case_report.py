"""The business case in the report and the demo: the synthetic trial's estimator has its nominal coverage (a
simulation with known truth), the section's sentence carries the case's own numbers, and the demo stage's interval
covers the savings of the true effect and passes the disclosure audit."""

from __future__ import annotations

import numpy as np
import pytest

from virkning.economics import Costs, Effect, business_case, summary_numbers
from virkning.report.business_case import business_case_section
from virkning.synth.business_case import simulate_trial


def test_the_synthetic_trials_interval_has_its_nominal_coverage():
    hits = []
    for seed in range(300):
        t = simulate_trial(n=300, seed=seed, n_boot=0)
        hits.append(abs(t.weeks_saved - t.true_weeks_saved) <= 1.96 * t.se)
    assert 0.92 <= np.mean(hits) <= 0.98  # binomial sd of the coverage over 300 draws: 1.3 points
    # the truth after the clip at zero, against a Monte Carlo of the same population (sd of the mean 0.006 weeks)
    b = np.random.default_rng(9).beta(2.0, 2.0, 1_000_000)
    mc = 52 * (b.mean() - np.clip(b - 3 / 52, 0, 1).mean())
    truth = simulate_trial(n=10, seed=1, n_boot=0).true_weeks_saved
    assert truth == pytest.approx(mc, abs=0.003) and 2.98 < truth < 3.0


def _text(section):
    return section.blocks[0]["html"]


@pytest.mark.parametrize("language", ["da", "en"])
def test_the_sentence_states_the_cases_numbers(language):
    cohorts = {2020: 400}
    case = business_case(Effect.per_participant(2.0, cohorts, se=0.5), "dagpenge_max",
                         Costs.per_participant(8_000, cohorts), horizon=(2020, 2021))
    s = summary_numbers(case)
    text = _text(business_case_section(case, language))
    sep = "," if language == "da" else "."
    for v in (s.costs, s.gross_savings, s.savings_low, s.savings_high, s.net_gain):
        assert f"{v / 1e6:.1f}".replace(".", sep) in text
    assert f"{s.return_per_krone:.2f}".replace(".", sep) in text
    assert f"{100 * s.p_pays:.0f} %" in text
    table = business_case_section(case, language).blocks[1]["table"]
    assert [r.cells[0].text for r in table.rows] == ["2020", "2021", "I alt" if language == "da" else "Total"]


def test_no_payback_is_said_in_words():
    cohorts = {2020: 400}
    case = business_case(Effect.per_participant(0.5, cohorts, se=0.5), "dagpenge_max",
                         Costs.per_participant(8_000, cohorts), horizon=(2020, 2021))
    assert case.payback_years is None
    assert "tjener sig ikke hjem inden for horisonten" in _text(business_case_section(case, "da"))


def test_demo_stage_covers_the_truth_and_passes_the_audit(tmp_path):
    from virkning.demo import run_business_case_demo
    from virkning.disclosure.audit import audit

    paths = run_business_case_demo(tmp_path)
    assert paths["business_case_covered"]
    assert audit(tmp_path / "business-case") == []
    assert "Business case" in paths["business_case"].read_text(encoding="utf-8")
