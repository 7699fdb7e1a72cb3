import datetime as dt

import pytest

from virkning.registers import calendar


def test_week_belongs_to_month_of_its_thursday():
    # 2018-W05 runs Mon 29 Jan - Sun 4 Feb; its Thursday is 1 Feb.
    assert calendar.month_label(calendar.week_month(calendar.parse_week("2018-W05"))) == "2018-02"
    # 2019-W01 starts Mon 31 Dec 2018; Thursday 3 Jan 2019.
    assert calendar.month_label(calendar.week_month(calendar.parse_week(201901))) == "2019-01"
    # 2020-W53 exists (Thursday 31 Dec 2020) and belongs to December 2020.
    assert calendar.month_label(calendar.week_month(calendar.parse_week("2020-W53"))) == "2020-12"


def test_week_formats_and_invalid_weeks():
    assert calendar.parse_week("2018-W01") == calendar.parse_week(201801) == calendar.parse_week("2018W01")
    assert calendar.parse_week("2018-W02") - calendar.parse_week("2018-W01") == 1
    assert calendar.parse_week("2019-W01") - calendar.parse_week("2018-W52") == 1
    assert calendar.week_monday(calendar.parse_week("2018-W01")) == dt.date(2018, 1, 1)
    for bad in ("2019-W53", "2018-W00", "2018-13", 201854):
        with pytest.raises(ValueError):
            calendar.parse_week(bad)


def test_week_table_agrees_with_python():
    t = calendar.week_table()
    sample = t.iloc[::97]
    for row in sample.itertuples():
        assert calendar.parse_week(int(row.yyyyww)) == row.wk
        assert calendar.week_month(row.wk) == row.mo
    assert t["wk"].is_monotonic_increasing and t["wk"].diff().iloc[1:].eq(1).all()


def test_label_columns_are_the_frames_of_the_labels():
    # a frame built from the label columns equals one built from the arrays of Python strings, type included
    import numpy as np
    import pandas as pd

    wks = np.array([calendar.parse_week(w) for w in ("2018-W01", "2018-W52", "2018-W01", "2019-W01")])
    mos = calendar.week_months(wks)
    for column, labels, values in ((calendar.week_label_column, calendar.week_labels, wks),
                                   (calendar.month_label_column, calendar.month_labels, mos)):
        got, want = pd.Series(column(values)), pd.Series(labels(values))
        pd.testing.assert_series_equal(got, want)
        assert got.tolist() == [str(x) for x in labels(values)] and got.dtype == calendar.TEXT
    assert len(calendar.week_label_column(np.zeros(0, dtype=np.int64))) == 0


def test_conversions_of_many_values_agree_with_python():
    # Long arrays go through a table over their range (calendar._through_table): every value must be what Python's
    # dates give, leap days and year ends included; short arrays, wide ranges and missing dates take the direct form.
    import numpy as np

    rng = np.random.default_rng(4)
    epoch = calendar.parse_week("2018-W01")
    for n, spread, born in ((40_000, 150, 1_500), (40_000, 20_000, 30_000), (500, 150, 1_500)):  # tabled, wide, short
        wks = epoch + rng.integers(-spread, spread, n)
        mos = calendar.week_months(wks)
        firsts = calendar.month_first_days(mos)
        days = calendar.week_mondays(wks) + rng.integers(0, 7, n).astype("timedelta64[D]")
        births = np.datetime64("1952-01-01") + rng.integers(0, born, n).astype("timedelta64[D]")
        births[:3] = [np.datetime64("1952-02-29"), np.datetime64("1952-03-01"), np.datetime64("1952-12-31")]
        days[:3] = [np.datetime64("2018-02-28"), np.datetime64("2018-03-01"), np.datetime64("2018-12-30")]
        ages = calendar.completed_years(births, days)
        months = calendar.date_months(days)
        for i in rng.choice(n, 300, replace=False).tolist() + [0, 1, 2]:
            assert mos[i] == calendar.week_month(int(wks[i]))
            d, b = days[i].item(), births[i].item()
            assert firsts[i].item() == dt.date(int(mos[i]) // 12, int(mos[i]) % 12 + 1, 1)
            assert months[i] == calendar.date_month(d)
            assert ages[i] == d.year - b.year - ((d.month, d.day) < (b.month, b.day))
        assert ages[:3].tolist() == [65, 66, 65]  # born 29 Feb 1952: not yet 66 on 28 Feb 2018
    # more values than one block of the lookup (calendar._BLOCK), the last block short: every value as the direct form
    # gives it
    n = 2 * calendar._BLOCK + 123
    wks = epoch + rng.integers(-150, 150, n)
    births = np.datetime64("1952-01-01") + rng.integers(0, 1_500, n).astype("timedelta64[D]")
    mos = calendar._week_months(wks)
    assert (calendar.week_months(wks) == mos).all()
    assert (calendar.month_first_days(mos) == calendar._month_first_days(mos)).all()
    for tabled, direct in zip(calendar.date_parts(births), calendar._date_parts(births)):
        assert (tabled == direct).all() and tabled.dtype == direct.dtype
    square = wks[:30_000].reshape(10_000, 3)  # more than one dimension: the direct form, as it always was
    assert (calendar.week_months(square) == calendar._week_months(square)).all()
    missing = np.full(20_000, np.datetime64("1960-05-05"))
    missing[7] = np.datetime64("NaT")
    ages = calendar.completed_years(missing, np.full(20_000, np.datetime64("2018-05-05")))
    assert np.isnan(ages[7]) and (np.delete(ages, 7) == 58).all()
