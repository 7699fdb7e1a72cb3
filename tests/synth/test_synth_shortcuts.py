"""The weekly engine's shortcuts give what the direct computations give (the file hashes in
test_synth_default_unchanged cover them too, but only for the persons and weeks small runs happen to hold)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from virkning.synth.params import INDUSTRY_CODES, N_AGES
from virkning.synth.paths import Draws, _birthdays, _reached, ages_at
from virkning.synth.rows import Labels
from virkning.synth.writer import SCHEMAS, TableWriter, lookup


def test_birthdays_are_the_persons_whose_clipped_age_goes_up():
    rng = np.random.default_rng(4)
    thursday = (16_000 + 7 * np.arange(300)).astype(np.int32)
    # every fraction of a year, persons born during the period (age below 0 at first) and past the tables' top age
    birth = np.concatenate([rng.integers(thursday[0] - 366 * (N_AGES + 3), thursday[-1], 20_000),
                            thursday[0] - np.arange(1461 // 4 + 2) * 1, [thursday[100], thursday[100] + 1]])
    c = SimpleNamespace(birth_day=birth.astype(np.int32), age=ages_at(int(thursday[0]), birth))
    ctx = SimpleNamespace(tl=SimpleNamespace(thursday=thursday))
    seen = 0
    for t in range(4, len(thursday), 4):
        now = ages_at(int(thursday[t]), c.birth_day)
        expected = np.flatnonzero(now != c.age)
        got = _birthdays(ctx, c, t)
        np.testing.assert_array_equal(got, expected)
        c.age[got] += 1
        np.testing.assert_array_equal(c.age, now)
        seen += len(got)
    assert seen > 15_000  # most persons have a birthday in five years


def test_reached_is_flatnonzero():
    rng = np.random.default_rng(5)
    weeks = rng.integers(-5, 60, 5_000).astype(np.int32)
    c = SimpleNamespace()
    for t in range(-6, 62):
        np.testing.assert_array_equal(_reached(c, weeks, t), np.flatnonzero(weeks == t))


def test_draws_get_many_is_get_of_each_stream():
    U = Draws.draw(np.random.default_rng(6), 1_000)
    idx = np.array([3, 999, 0, 17, 500])
    many = U.get_many((2, 3, 4), idx)
    for row, k in zip(many, (2, 3, 4)):
        np.testing.assert_array_equal(row, U.get(k, idx))
    sub = U.subset(np.arange(100, 200))
    np.testing.assert_array_equal(sub.get_many((5, 7), idx[idx < 100])[1], sub.get(7, idx[idx < 100]))


def test_labels_are_the_dictionary_take():
    values = np.random.default_rng(7).integers(0, len(INDUSTRY_CODES), 10_000).astype(np.int8)
    assert Labels(INDUSTRY_CODES, "industry")(values).cast(pa.string()).equals(lookup(values, INDUSTRY_CODES))
    assert len(Labels(INDUSTRY_CODES, "industry")(values[:0])) == 0
    with pytest.raises(IndexError):
        Labels(INDUSTRY_CODES, "industry")(np.array([0, -1], dtype=np.int8))
    with pytest.raises(IndexError):
        Labels(INDUSTRY_CODES, "industry")(np.array([len(INDUSTRY_CODES)]))


def test_dictionary_columns_are_written_as_their_strings(tmp_path):
    """TableWriter: dictionary arrays (a chunk's ids, codes) go to Parquet one row group at a time with only the
    entries the group uses, and read back as the plain strings; CSV gets the same text."""
    rng = np.random.default_rng(3)
    ids = pa.array([f"P{i:07d}" for i in range(5_000)])
    person = np.sort(rng.integers(0, 5_000, 300_000)).astype(np.int32)
    codes = rng.integers(0, len(INDUSTRY_CODES), len(person)).astype(np.int8)
    table = pa.table({"person_id": pa.DictionaryArray.from_arrays(pa.array(person), ids),
                      "week": pa.array(rng.integers(201501, 201952, len(person)), type=pa.int32()),
                      "code": Labels(INDUSTRY_CODES, "code")(codes)})
    plain = table.cast(SCHEMAS["benefits"])
    for fmt in ("parquet", "csv"):
        w = TableWriter(tmp_path, "benefits", fmt)
        w.write(table.slice(0, 100_000))
        w.write(table.slice(100_000))
        w.close()
        back = (pq.read_table if fmt == "parquet" else lambda p: pacsv.read_csv(p, convert_options=pacsv.ConvertOptions(
            column_types=SCHEMAS["benefits"])))(tmp_path / f"benefits.{fmt}")
        assert back.schema == SCHEMAS["benefits"] and back.equals(plain) and w.rows == len(person)
    meta = pq.ParquetFile(tmp_path / "benefits.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [100_000, 200_000]
    # each group's dictionary page holds the ids of its own rows, not the 5,000 of the table
    pages = pq.ParquetFile(tmp_path / "benefits.parquet", read_dictionary=["person_id"])
    for i, rows in enumerate((person[:100_000], person[100_000:])):
        assert len(pages.read_row_group(i, columns=["person_id"]).column(0).chunk(0).dictionary) == len(np.unique(rows))
    # min/max statistics for the week, not for the text written as codes (costly to compute, and they would let
    # no reader skip a group); a table written from strings keeps them all
    group = meta.row_group(0)
    assert {group.column(i).path_in_schema: group.column(i).is_stats_set for i in range(3)} == {
        "person_id": False, "week": True, "code": False}
    assert group.column(1).statistics.min >= 201501
    w = TableWriter(tmp_path, "employment", "parquet")
    w.write(pa.table({"person_id": ids.slice(0, 3), "month": pa.array(["2015-01"] * 3), "employment_rate": [0.5] * 3,
                      "hours": [80.0] * 3, "industry": pa.array(["A"] * 3), "temp_agency": [False] * 3}))
    w.close()
    group = pq.ParquetFile(tmp_path / "employment.parquet").metadata.row_group(0)
    assert all(group.column(i).is_stats_set for i in range(6))
