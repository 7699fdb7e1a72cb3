"""The shipped benefit-rate table: sources, internal consistency, conversions, lookup and located errors."""

from pathlib import Path

import pandas as pd
import pytest

from virkning.economics import BenefitRates, RateTableError, load_rates
from virkning.economics.rates import UNITS, shipped_path
from virkning.errors import DesignError


@pytest.fixture(scope="module")
def rates() -> BenefitRates:
    return load_rates()


def test_every_row_has_a_source_address_and_a_known_kind(rates):
    t = rates.table
    assert len(t) >= 50
    assert t["source"].str.match(r"^https?://").all()
    assert set(t["source_kind"]) <= {"official", "secondary"}
    official = t[t["source_kind"] == "official"]
    # official rows come from the ministry, its agency or the law database
    assert official["source"].str.contains(r"bm\.dk|star\.dk|retsinformation\.dk|borger\.dk").all()


def test_the_years_and_gaps_are_the_documented_ones(rates):
    # a change here must be reflected in docs/business-case.md (table of coverage and gaps)
    assert rates.years("dagpenge_max") == tuple(range(2015, 2026))
    assert rates.years("dagpenge_dimittend") == tuple(range(2015, 2026))
    assert rates.years("kontanthjaelp_30_andre") == (2016, 2017, 2018, 2021, 2023, 2024)
    assert rates.years("sygedagpenge_max") == (2015, 2016, 2017, 2018, 2019, 2020, 2022, 2023, 2024)


def test_conversion_to_rate_per_week(rates):
    # day rates x 5 (2015-2017), month rates x 12 / 52, weekly rates as published
    assert rates.weekly("dagpenge_max", 2015) == 827 * 5
    assert rates.weekly("dagpenge_max", 2019) == pytest.approx(18866 * 12 / 52, rel=1e-12)
    assert rates.weekly("sygedagpenge_max", 2023) == 4550
    assert rates.weekly("kontanthjaelp_30_andre", 2023) == pytest.approx(11944 * 12 / 52, rel=1e-12)
    assert UNITS["year"] == pytest.approx(1 / 52)


def _amount(t: pd.DataFrame, benefit: str, year: int) -> float:
    return float(t.loc[(t["benefit"] == benefit) & (t["year"] == year), "amount"].iloc[0])


def test_dimittend_rates_are_the_legal_shares_of_the_maximum(rates):
    """Dimittendsats = 82 % (with forsørgelsespligt) and 71.5 % (without, from 2017) of the highest rate, rounded
    to whole kroner: a check that catches a mistyped figure in the table."""
    t = rates.table
    for year in range(2015, 2026):
        top = _amount(t, "dagpenge_max", year)
        assert _amount(t, "dagpenge_dimittend_forsoerger", year) == round(0.82 * top + 1e-9), year
        share = 0.82 if year < 2017 else 0.715
        assert _amount(t, "dagpenge_dimittend", year) == round(share * top + 1e-9), year


def test_sickness_benefit_maximum_tracks_the_dagpenge_maximum(rates):
    """The highest sygedagpenge a week equals the highest dagpenge a week (day x 5 until 2017, then month x 12/52
    to within 0.1 %): a cross-check between independently sourced rows."""
    for year in rates.years("sygedagpenge_max"):
        assert rates.weekly("sygedagpenge_max", year) == pytest.approx(rates.weekly("dagpenge_max", year),
                                                                       rel=1e-3), year


def test_rates_rise_every_year_by_the_rate_adjustment(rates):
    """Satsregulering: each benefit's weekly rate rises 0-5 % a year (2017 dimittend uden forsørger excepted: it
    was cut from 82 % to 71.5 % of the maximum)."""
    w = rates.wide()
    for b in w.columns:
        s = w[b].dropna()
        for (y0, r0), (y1, r1) in zip(s.items(), list(s.items())[1:]):
            if b == "dagpenge_dimittend" and y1 == 2017:
                assert r1 < r0
                continue
            growth = (r1 / r0) ** (1 / (y1 - y0)) - 1
            assert 0 <= growth < 0.05, (b, y0, y1, growth)


def test_lookup_refuses_a_year_missing_from_the_table(rates):
    with pytest.raises(DesignError, match=r"no rate for 'kontanthjaelp_30_andre' in 2019, 2020.*expected years the "
                                          r"table has: 2016-2018, 2021, 2023-2024; got 2019, 2020, 2021"):
        rates.weekly_series("kontanthjaelp_30_andre", [2019, 2020, 2021])
    with pytest.raises(DesignError, match="no rate for 'dagpenge_max' in 2026"):
        rates.weekly("dagpenge_max", 2026)


def test_lookup_refuses_an_unknown_benefit(rates):
    with pytest.raises(DesignError, match=r"expected one of dagpenge_dimittend, .*; got 'dagpenge'"):
        rates.weekly("dagpenge", 2020)


def _write(tmp_path: Path, rows: list[dict], name: str = "rates.csv") -> Path:
    p = tmp_path / name
    pd.DataFrame(rows).to_csv(p, index=False)
    return p


ROW = {"benefit": "dagpenge_max", "year": 2026, "amount": 22000, "unit": "month", "valid_from": "",
       "label": "x", "source_kind": "official", "source": "https://bm.dk/satser/satser-for-2026/dagpenge", "note": ""}


def test_user_table_adds_and_replaces_rows(tmp_path):
    p = _write(tmp_path, [ROW, {**ROW, "year": 2020, "amount": 20000},
                          {**ROW, "benefit": "ledighedsydelse", "year": 2020, "amount": 4000, "unit": "week"}])
    r = load_rates(p)
    assert r.weekly("dagpenge_max", 2026) == pytest.approx(22000 * 12 / 52)
    assert r.weekly("dagpenge_max", 2020) == pytest.approx(20000 * 12 / 52)  # replaced
    assert r.weekly("dagpenge_max", 2019) == pytest.approx(18866 * 12 / 52)  # kept
    assert r.weekly("ledighedsydelse", 2020) == 4000
    assert len(r.table) == len(load_rates().table) + 2
    assert r.sources == (str(shipped_path()), str(p))
    only = load_rates(p, replace=True)
    assert only.benefits == ("dagpenge_max", "ledighedsydelse") and len(only.table) == 3


def test_located_errors_name_file_row_column_and_rule(tmp_path):
    rows = [ROW,
            {**ROW, "year": 2027, "amount": "21.000,50"},           # row 2: amount with Danish separators
            {**ROW, "year": 2028, "unit": "hour"},                  # row 3: unit
            {**ROW, "year": 2029, "source": ""},                    # row 4: no source
            {**ROW, "year": "20x9"},                                # row 5: year
            {**ROW, "year": 2030, "amount": -5},                    # row 6: negative amount
            {**ROW, "year": 2031, "valid_from": "2030-01-01"},      # row 7: date outside the year
            {**ROW, "year": 2026},                                  # row 8: duplicate of row 1
            {**ROW, "year": 2032, "benefit": "Dagpenge max"}]       # row 9: name
    p = _write(tmp_path, rows)
    with pytest.raises(RateTableError) as exc:
        load_rates(p)
    msg = str(exc.value)
    where = {(pr.column, tuple(pr.rows)) for pr in exc.value.problems}
    assert ("amount", (2, 6)) not in where  # different rules are reported separately
    assert ("amount", (2,)) in where and ("amount", (6,)) in where
    assert ("unit", (3,)) in where and ("source", (4,)) in where and ("year", (5,)) in where
    assert ("valid_from", (7,)) in where and ("benefit, year", (1, 8)) in where and ("benefit", (9,)) in where
    assert f"{p}, column 'unit', row 3: expected one of week, month, day, year; got 'hour'" in msg
    assert "column 'amount', row 6: expected an amount > 0; got '-5'" in msg
    assert isinstance(exc.value, DesignError)


def test_missing_columns_and_missing_file(tmp_path):
    p = tmp_path / "few.csv"
    pd.DataFrame([{"benefit": "x", "year": 2020}]).to_csv(p, index=False)
    with pytest.raises(RateTableError, match=r"column 'amount': expected this column"):
        load_rates(p)
    with pytest.raises(RateTableError, match="file not found"):
        load_rates(tmp_path / "nope.csv")
    with pytest.raises(DesignError, match="replace=True needs the path"):
        load_rates(replace=True)


def test_plain_data_views(rates):
    assert "dagpenge_max 2015-2025" in repr(rates)
    assert "<table" in rates._repr_html_()
    d = rates.to_dict()
    assert len(d["rows"]) == len(rates.table) and d["sources"]
    assert rates.to_frame().shape[0] == len(rates.table)
