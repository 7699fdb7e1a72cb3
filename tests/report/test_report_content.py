"""What a ministry reads first and last, and seed 000's tables: the main conclusions from the published numbers
(never a withheld one), the assumptions and limitations, the characteristics tables with persons beside
person-weeks, and the data period in one unit. Built from the sample bundle without drawing figures."""

import copy
import json
import re
from pathlib import Path

import pytest

from virkning.analyses.effect.bundle import ReportData
from virkning.analyses.effect.conclusions import Conclusions
from virkning.analyses.effect.prose import Prose
from virkning.analyses.effect.sections import Report
from virkning.report.formatting import Formatter

SAMPLE = Path(__file__).parent.parent / "data" / "sample_results.json"


@pytest.fixture(scope="module")
def sample() -> dict:
    b = json.loads(SAMPLE.read_text(encoding="utf-8"))
    # the relative effect as publish writes it (the sample predates it): 0.14759 / 0.08735
    for r in b["effects"]:
        r["risk_ratio"] = r["treated_mean"] / r["control_mean"]
    return b


def conclusions(bundle: dict, lang: str = "da") -> list[str]:
    return [str(s) for s in Conclusions(ReportData(bundle, lang), Formatter(lang)).sentences()]


def test_headline_in_plain_words_with_the_relative_effect(sample):
    text = " ".join(conclusions(sample))
    # exit_vikar at month 7: 8.735 % -> 14.759 %, 6.024 pp, risk ratio 1.690 -> 69 pct. more
    assert ("Deltagelse øgede andelen, der var kommet i vikarjob, 7 måneder efter første informationsmøde fra 8,7 % "
            "i en sammenlignelig kontrolgruppe til 14,8 % blandt deltagerne: 6,0 procentpoint eller 69 pct. flere."
            in text)
    # employment and retirement: the intervals include 0
    assert "For afgang til beskæftigelse er der ingen sikker forskel" in text
    assert "For afgang til tilbagetrækning er der ingen sikker forskel" in text
    en = " ".join(conclusions(sample, "en"))
    assert ("from 8.7% in a comparable control group to 14.8% among the participants: 6.0 percentage points or 69% "
            "more") in en
    assert not re.search(r"\b(og|af|deltagerne|måneder)\b", en)
    assert 3 <= len(conclusions(sample)) <= 5


def test_a_withheld_number_is_never_stated(sample):
    b = copy.deepcopy(sample)
    for r in b["effects"]:
        if r["outcome"] == "exit_vikar" and r["month"] >= 6:
            r.update(treated_mean=None, att=None, ci_low=None, ci_high=None, risk_ratio=None)
    text = " ".join(conclusions(b))
    # month 5 is the last one shown: 7.229 % -> 12.651 %, 5.4 pp, 75 pct. more
    assert "5 måneder efter første informationsmøde (senere måneder bygger på for få personer" in text
    assert "fra 7,2 % i en sammenlignelig kontrolgruppe til 12,7 % blandt deltagerne: 5,4 procentpoint" in text
    assert "14,8 %" not in text and "8,7 %" not in text and "8,1 %" not in text  # months 6 and 7
    for r in b["effects"]:
        if r["outcome"] == "exit_vikar":
            r.update(treated_mean=None)
    assert "Resultatet for afgang til vikarjob kan ikke vises, fordi det bygger på for få personer." in " ".join(
        conclusions(b))


def test_robustness_in_words(sample):
    b = copy.deepcopy(sample)
    b["sensitivity"] = [{"outcome": "exit_vikar", "month": 7, "p_value": 0.001, "gamma_critical": 1.62,
                         "risk_ratio": 1.69, "evalue": 2.77, "evalue_ci": 1.6}]
    text = " ".join(conclusions(b))
    assert ("Over for umålte forskelle mellem grupperne er effekten på afgang til vikarjob robust: en umålt "
            "forskel, fx i motivation, skulle gøre deltagelse 1,6 gange så sandsynlig for at fjerne den.") in text
    b["sensitivity"][0]["gamma_critical"] = 1.1
    assert "effekten på afgang til vikarjob følsom" in " ".join(conclusions(b))
    # the sample's one robustness variant: employment becomes significant (interval 0.3 to 13.6), the temp jobs
    # stay significant and retirement not: 2 of 3 agree, below three in four
    assert ("Med andre valg af afgrænsning og kovariater (robusthedsanalyserne) giver 2 af 3 resultater samme "
            "konklusion som hovedanalysen; konklusionen afhænger altså af nogle af valgene.") in text
    b["design"]["success_criteria"] = [{"name": "deltagere", "kind": "count", "numerator": "deltaget",
                                        "target": [100, 150]}]
    assert "Projektets 1 succeskriterier" in " ".join(conclusions(b))


def test_assumptions_and_limitations(sample):
    b = copy.deepcopy(sample)
    b["design"]["name"], b["data"]["synthetic"] = "Seniorvikar", False  # the sample's name says synthetic
    rep = Conclusions(ReportData(b, "da"), Formatter("da"))
    text = " ".join(str(x) for x in rep.assumptions())
    for words in ("Selektion på observerbare kendetegn", "uger med sygedagpenge, seneste 156 uger",
                  "Jobcentrenes udvælgelse", "screene", "Robusthedsanalyserne gentager evalueringen",
                  "Skjult selektion: der er ikke beregnet en følsomhedsanalyse",
                  "Kaplan-Meier", "Udeladt af begge grupper er personer i beskæftigelse i indeksmåneden"):
        assert words in text, words
    assert "Syntetiske data" not in text
    b["data"]["synthetic"] = True
    b["sensitivity"] = [{"outcome": "exit_vikar", "month": 7, "p_value": 0.001, "gamma_critical": 1.62,
                         "evalue": 2.77}]
    text = " ".join(str(x) for x in Conclusions(ReportData(b, "da"), Formatter("da")).assumptions())
    assert "Syntetiske data: rapporten bygger på syntetiske registre" in text
    assert "afgang til vikarjob (Gamma 1,62, E-værdi 2,77)" in text


def test_period_in_one_unit(sample):
    prose = Prose(ReportData(sample, "da"), Formatter("da"), {})
    assert prose.data_period() == ("januar 2015", "juli 2019")  # benefits from 2015-W01 (Thursday 1 January)
    facts = " ".join(str(x) for x in prose.facts())
    assert "Registerdata fra januar 2015 til juli 2019" in facts and "uge 1" not in facts


def _with_characteristics(sample: dict) -> dict:
    b = copy.deepcopy(sample)
    b["sample_sizes"]["All (persons)"] = {"Control": 5210.0, "Treated": 332.0}
    b["sample_sizes"]["Matched (persons)"] = {"Control": 329.0, "Treated": 332.0}
    rows = []
    for var, levels in (("sex", ["K", "M"]), ("age_band", ["50-54", "55-59", "60-65"]), ("age", [None]),
                        ("origin_group", ["dansk", "ikke-dansk"]),
                        ("education", ["grundskole", "gymnasial", "erhvervsfaglig", "KVU", "MVU", "LVU", "ukendt"])):
        for lv in levels:
            v = 56.4 if lv is None else 0.25
            rows.append({"term": var if lv is None else f"{var}[{lv}]", "variable": var, "level": lv,
                         "type": "continuous" if lv is None else "binary", "mean_treated_before": v,
                         "mean_control_before": v, "smd_before": 0.0, "mean_treated_after": v,
                         "mean_control_after": v, "smd_after": 0.0})
    b["characteristics"] = rows
    return b


def _texts(table) -> list[list[str]]:
    return [[c.text for c in r.cells] for r in table.rows]


def test_seed_000_tables_with_persons_and_person_weeks(sample):
    rep = Report(_with_characteristics(sample), "da")
    pop = _texts(rep.tables.population())
    assert pop[0] == ["Antal personer", "332", "5.210", ""] and pop[1] == ["Antal person-uger", "332", "17.156", ""]
    labels = [r[0] for r in pop]
    order = ["Køn", "Kvinde", "Mand", "Alder", "50-54 år", "55-59 år", "60-65 år", "Gennemsnit (år)", "Herkomst",
             "Dansk", "Ikke-dansk", "Uddannelsesniveau", "Grundskole", "Gymnasial uddannelse",
             "Erhvervsfaglig uddannelse", "Kort videregående (KVU)", "Mellemlang videregående (MVU)",
             "Lang videregående (LVU)", "Ukendt", "Område (RAR)"]
    assert labels[2:2 + len(order)] == order
    assert labels.count("Herkomst") == 1 and "Indvandrer" not in labels  # the other covariates follow once
    assert _texts(rep.tables.balance())[0][:3] == ["Antal (puljen i person-uger)", "332", "17.156"]
    matched = _texts(rep.tables.matched())
    assert matched[0] == ["Antal", "332", "332", ""] and matched[1] == ["Antal personer", "332", "329", ""]
    # without the characteristics (an older bundle) education is still in its natural order
    old = [r[0] for r in _texts(Report(sample, "da").tables.population())]
    assert old.index("Grundskole") < old.index("Erhvervsfaglig uddannelse") < old.index("Lang videregående (LVU)")
    assert Report(sample, "da").tables.matched() is None
