"""The shipped example base against seed 004 (its numbers, with the seed's line numbers).

Reference: /work/shared/seeds/004_*.txt -- 198 hits -> 12 studies, DK 10 / IT 1 / SE 1 (l. 287-289), the oldest
from 2009 and nine 2009-2014, three after (l. 297-299), per core element organisering 3, samtaler 4,
virksomhedsrettede 4, kurser 2 (Figur 4.1, l. 314-322), Bilag 3's scores (l. 1329-1551) and the effects in
native units the seed states (3 weeks; 2-4 pp and 5.9 days; 11 pp; 52 %; 4-6 weeks).
"""

from __future__ import annotations

import pytest

from virkning.evidence import example_path, load_base, search_flow
from virkning.errors import DesignError


@pytest.fixture(scope="module")
def base():
    return load_base(example_path("academics_2020"))


def test_twelve_studies_by_country_and_year(base):
    assert len(base.studies) == 12
    frame = base.to_frame()
    assert frame["country"].value_counts().to_dict() == {"DK": 10, "IT": 1, "SE": 1}
    years = frame["year"]
    assert years.min() == 2009  # "det ældste studie er fra 2009"
    assert ((years >= 2009) & (years <= 2014)).sum() == 9 and (years > 2014).sum() == 3  # l. 299


def test_core_element_counts_as_figur_4_1(base):
    assert base.core_element_counts().to_dict() == {"organisering": 3, "samtaler": 4, "virksomhedsrettede": 4,
                                                    "kurser": 2}
    # counting publications, the LVU trial's two reports both count under organisering
    assert base.core_element_counts(by="study").to_dict()["organisering"] == 4
    assert base.evaluation("rehwald2017") == "jensen2012"
    with pytest.raises(DesignError, match="expected one of 'evaluation', 'study'"):
        base.core_element_counts(by="publication")


def test_search_flow_numbers(base):
    flow = search_flow(base)
    assert flow.n("identified") == 198
    assert flow.n("included") == 12 and flow.n("in_base") == 12
    for unknown in ("duplicates_removed", "screened", "excluded_screening", "assessed_full_text",
                    "excluded_full_text"):
        assert flow.n(unknown) is None  # Bilag 1 is empty in the seed: nothing is derived
    assert flow.counts("country") == {"DK": 10, "IT": 1, "SE": 1}
    assert flow.counts("core_element") == {"organisering": 3, "samtaler": 4, "virksomhedsrettede": 4, "kurser": 2}
    assert min(int(y) for y in flow.counts("year")) == 2009
    assert flow.method == "Rapid Evidence Assessment"


SCORES = {  # Bilag 3: (reliability, transferability)
    "rosholm2010": (5, 5), "rosholm2011": (5, 5), "jensen2012": (5, 5), "berg2012": (5, 5), "sorensen2014": (5, 5),
    "pedersen2012": (5, 5), "rehwald2017": (5, 5), "amilon2019": (4, "3-4"), "hagglund2009": (5, 4),
    "ghirelli2018": (5, 3), "kjaersgaard2009": (5, 4), "ekspertgruppen2014": (None, None),
}


@pytest.mark.parametrize("sid,scores", SCORES.items())
def test_appraisal_scores(base, sid, scores):
    s = base.study(sid)
    assert (s.method.reliability.score, s.method.transferability.score) == scores


def test_amilon_range_score_reads_low_and_high(base):
    t = base.study("amilon2019").method.transferability
    assert (t.low, t.high) == (3, 4)


def test_effects_in_native_units(base):
    f = base.findings_frame().set_index(["study", "finding"])
    assert f.loc[("amilon2019", "caseload_sweden"), ["metric", "value"]].tolist() == ["unemployment_weeks", -3]
    assert f.loc[("amilon2019", "meetings_unemployment"), ["metric", "value_low", "value_high"]].tolist() == \
        ["unemployment_pp", -4, -2]
    assert f.loc[("amilon2019", "meetings_duration"), ["metric", "value"]].tolist() == ["unemployment_days", -5.9]
    assert f.loc[("ghirelli2018", "programme"), ["metric", "value"]].tolist() == ["employment_pp", 11]
    assert f.loc[("berg2012", "women_under_30"), ["metric", "value", "subgroup"]].tolist() == \
        ["percent_change", 52, "kvinder under 30 år"]
    assert f.loc[("pedersen2012", "individual_meetings_weeks"), ["value_low", "value_high"]].tolist() == [4, 6]
    assert f.loc[("rosholm2010", "employer_contact"), "value"] == 3
    assert f.loc[("rosholm2010", "caseworker_similarity"), "approximate"]  # "omkring 4 procentpoint"


def test_nothing_invented(base):
    frame = base.findings_frame()
    # the seed gives no standard errors or intervals
    assert frame["se"].isna().all() and frame["ci_low"].isna().all()
    # every finding says where in the seed it stands
    assert frame["source"].str.contains(r"seed 004 l\. \d").all()
    # N only where the seed states it
    n = base.to_frame().set_index("study")["n"]
    assert n.dropna().to_dict() == {"ghirelli2018": 5816, "jensen2012": 3107, "kjaersgaard2009": 38000,
                                    "rehwald2017": 3107}
    assert (base.study("ghirelli2018").n_treated, base.study("ghirelli2018").n_control) == (550, 5266)


def test_effect_vocabulary_is_used(base):
    mechanisms = set(base.findings_frame()["mechanism"].dropna())
    assert {"motivation", "lock_in", "programme", "upskilling"} <= mechanisms
    assert ("mechanisms", "upskilling") in base.vocabulary.added  # declared by the file, not a default
    assert set(base.vocabulary.mechanisms) >= {"motivation", "lock_in", "programme", "displacement"}


def test_reported_statements(base):
    st = base.statements_frame()
    assert len(st) == 5
    assert st.set_index(["core_element", "topic"]).loc[("samtaler", "individual_meetings"), "grade"] == "strong"
    assert st.set_index(["core_element", "topic"]).loc[("samtaler", "group_meetings"), "grade"] == "moderate"
    assert (st["rule"] == "stated by the review (no explicit rule)").all()
