"""Danish and English numbers, dates and labels."""

import pytest

from virkning import outcomes
from virkning.outcomes import Outcome
from virkning.report import labels
from virkning.report.formatting import DASH, Formatter


def test_danish_numbers():
    f = Formatter("da")
    assert f.count(2612) == "2.612" and f.count(1619.0) == "1.619" and f.count(331.5) == "331,5"
    assert f.pct(0.14759) == "14,8 %" and f.pp(0.0602) == "6,0" and f.number(-1.234, 2) == "-1,23"
    assert f.number(-0.00001, 1) == "0,0"  # no negative zero
    assert f.interval(0.0209, 0.0994, 100) == "[2,1; 9,9]"
    assert f.pvalue(0.0292) == "0,029" and f.pvalue(0.00001) == "< 0,001"
    assert f.number(1234567.891, 1) == "1.234.567,9"


def test_english_numbers():
    f = Formatter("en")
    assert f.count(2612) == "2,612" and f.pct(0.14759) == "14.8%" and f.interval(0.0209, 0.0994, 100) == "[2.1, 9.9]"


@pytest.mark.parametrize("value", [None, float("nan")])
def test_missing_is_a_dash(value):
    f = Formatter("da")
    assert f.count(value) == DASH and f.pct(value) == DASH and f.interval(value, 1) == DASH and f.pvalue(value) == DASH


def test_dates():
    da, en = Formatter("da"), Formatter("en")
    assert da.date("2018-01-09") == "9. januar 2018" and en.date("2018-01-09") == "9 January 2018"
    assert da.period("2019-07") == "juli 2019" and en.period("2015-W01") == "week 1 of 2015"
    assert da.months(1) == "1 måned" and da.months(7) == "7 måneder" and en.months(7) == "7 months"
    assert da.join(["a", "b", "c"]) == "a, b og c"


def test_unknown_language():
    with pytest.raises(ValueError):
        Formatter("sv")


def test_labels():
    assert labels.variable("weeks_sygdom_156w", "da") == "Uger med sygedagpenge, seneste 156 uger"
    assert labels.variable("weeks_passiv_ledig_52w", "en") == "Weeks on passive unemployment, previous 52 weeks"
    assert labels.variable("employment_36m", "da").startswith("Beskæftigelse, seneste 36 måneder")
    assert labels.variable("in_ledig_at_-1", "en") == "On unemployment in week -1 from the index week"
    assert labels.variable("some_column", "da") == "some_column"
    assert labels.level("sex", "K", "da") == "Kvinde" and labels.level("region", "RAR Fyn", "en") == "RAR Fyn"
    o = Outcome("exit_beskaeftiget", "first_exit", "beskaeftiget", 7)
    assert outcomes.label(o, "da") == "Afgang til beskæftigelse"
    assert outcomes.label(o, "en") == "Exit to employment"
    assert "positive employment rate" in outcomes.definition(o, "en")
    assert o.to_dict("da")["label"] == "Afgang til beskæftigelse" and o.column(7) == "exit_beskæftiget_7"
    assert labels.slug("exit_beskæftiget_7") == "exit_beskaeftiget_7"
    assert labels.state("sygdom", "en") == "sickness benefit" and labels.state("foertidspension", "da") == "førtidspension"


def test_flow_steps():
    step = "excluded: employed in the index month (employment_at_0 > 0)"
    assert labels.flow_step(step, "da") == ("Efter udelukkelse af personer i beskæftigelse i indeksmåneden "
                                            "(beskæftigelsesgrad > 0)")
    assert labels.flow_step("pool: aged 50-65", "en") == "Aged 50-65"
    assert labels.flow_step("pool: in an exact cell (index week, sex, region) with participants", "da") == (
        "I en eksakt celle (indeksuge, køn, område (RAR)) med deltagere")
    assert labels.flow_step("something new", "da") == "something new"
    assert labels.flow_side("pool: aged 50-65") == (False, True)
