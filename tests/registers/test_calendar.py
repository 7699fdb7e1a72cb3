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
