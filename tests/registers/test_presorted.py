"""registers/presorted.py: one read of a sorted benefit file stands in for the engine's passes, and the validation
report is the same with it as without it, for clean and for broken files."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from virkning.registers import presorted, validate
from virkning.synth import generate


def _benefit_counts(files, threads=None):
    got = presorted.read(files, "person_id", "week", ("week", "code"), threads)
    if got is None:
        return None
    weeks, codes = (got.values[c].rename(columns={"value": c}) for c in ("week", "code"))
    return SimpleNamespace(weeks=weeks, codes=codes, persons=got.persons)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("presorted")
    generate(folder, persons=2_000, seed=3)
    return folder


@pytest.fixture
def folder(source, tmp_path, monkeypatch):
    """The generated folder, its benefits in row groups of 7,000 rows read 2,500 at a time, so that persons run on
    from one batch and one row group into the next."""
    monkeypatch.setenv("VIRKNING_CACHE_DIR", "off")
    monkeypatch.setattr(presorted, "BATCH", 2_500)
    out = tmp_path / "data"
    out.mkdir()
    for p in source.iterdir():
        (out / p.name).write_bytes(p.read_bytes())
    _write(out, _benefits(out))
    return out


def _benefits(folder) -> pd.DataFrame:
    return pd.read_parquet(folder / "benefits.parquet")


def _write(folder, frame: pd.DataFrame, **kwargs) -> None:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / "benefits.parquet",
                   row_group_size=7_000, **kwargs)


def _expected(frame: pd.DataFrame):
    weeks = frame.groupby("week").size()
    codes = frame.groupby("code").size()
    persons = frame.groupby("person_id").size()
    return weeks, codes, persons


def test_the_counts_are_those_of_a_grouping(folder):
    frame = _benefits(folder)
    got = _benefit_counts([folder / "benefits.parquet"], threads=2)
    weeks, codes, persons = _expected(frame)
    assert pq.ParquetFile(folder / "benefits.parquet").metadata.num_row_groups > 20
    assert dict(zip(got.weeks["week"], got.weeks["_n"])) == weeks.to_dict()
    assert dict(zip(got.codes["code"], got.codes["_n"])) == codes.to_dict()
    assert got.persons is not None
    per_person = dict(zip(got.persons.column("person_id").to_pylist(), got.persons.column("n").to_pylist()))
    assert per_person == persons.to_dict()
    assert got.persons.num_rows == frame["person_id"].nunique()  # a person split over batches is one row


def test_integer_codes_and_several_files(folder):
    frame = _benefits(folder).assign(code=lambda f: f["code"].astype(int))
    first, second = frame.iloc[:60_000], frame.iloc[60_000:]
    (folder / "benefits.parquet").unlink()
    pq.write_table(pa.Table.from_pandas(first, preserve_index=False), folder / "a.parquet", row_group_size=7_000)
    pq.write_table(pa.Table.from_pandas(second, preserve_index=False), folder / "b.parquet", row_group_size=7_000)
    got = _benefit_counts([folder / "a.parquet", folder / "b.parquet"], threads=2)
    weeks, codes, persons = _expected(frame)
    assert dict(zip(got.codes["code"], got.codes["_n"])) == codes.to_dict()
    assert got.persons is not None and got.persons.num_rows == len(persons)
    # in the other order the keys do not rise from one file to the next: counts, but no rows per person
    swapped = _benefit_counts([folder / "b.parquet", folder / "a.parquet"], threads=2)
    assert swapped.persons is None
    assert dict(zip(swapped.weeks["week"], swapped.weeks["_n"])) == weeks.to_dict()


def test_a_file_not_sorted_is_given_up_after_one_row_group(folder, monkeypatch):
    _write(folder, _benefits(folder).sample(frac=1.0, random_state=1))
    reads = []
    real = presorted._read
    monkeypatch.setattr(presorted, "_read", lambda *a, **k: reads.append(1) or real(*a, **k))
    assert _benefit_counts([folder / "benefits.parquet"]) is None
    assert len(reads) == 1


@pytest.mark.parametrize("change", ["missing id", "missing code", "weeks as decimals"])
def test_what_only_the_engine_handles(folder, change):
    frame = _benefits(folder)
    if change == "missing id":
        frame.loc[10, "person_id"] = None
    elif change == "missing code":
        frame.loc[10, "code"] = None
    else:
        frame["week"] = frame["week"].astype(float)
    _write(folder, frame)
    assert _benefit_counts([folder / "benefits.parquet"]) is None


def _late(frame: pd.DataFrame) -> int:
    """A row in a later row group whose person has several rows before it."""
    i = 50_000
    while frame["person_id"].iat[i] != frame["person_id"].iat[i - 1]:
        i += 1
    return i


def _broken(frame: pd.DataFrame, change: str) -> pd.DataFrame:
    i = _late(frame)
    if change == "repeated week":  # still sorted, but not strictly: a duplicate key the check must report
        return pd.concat([frame.iloc[:i], frame.iloc[[i]], frame.iloc[i:]], ignore_index=True)
    if change == "repeated week across row groups":  # the last row of one row group is the first of the next
        return pd.concat([frame.iloc[:49_000], frame.iloc[[48_999]], frame.iloc[49_000:]], ignore_index=True)
    if change == "two rows swapped":
        j = [*range(len(frame))]
        j[i - 1], j[i] = j[i], j[i - 1]
        return frame.iloc[j].reset_index(drop=True)
    frame = frame.copy()
    if change == "unknown code":
        frame.loc[i, "code"] = "404"
    if change == "blank ids":
        frame.loc[:4, "person_id"] = ""
    if change == "a week that is no week":  # between its neighbours, so the keys still rise
        w = frame["week"].to_numpy()
        pid = frame["person_id"].to_numpy()
        j = next(k for k in range(1, len(w) - 1) if w[k] % 100 == 52 and w[k + 1] % 100 == 1
                 and pid[k - 1] == pid[k] == pid[k + 1] and w[k - 1] % 100 == 51)
        frame.loc[j, "week"] = w[j] + 8
    return frame


@pytest.mark.parametrize("change", ["none", "repeated week", "repeated week across row groups", "two rows swapped",
                                    "unknown code", "blank ids", "a week that is no week"])
def test_the_report_is_the_same_with_and_without_the_pass(folder, monkeypatch, change):
    _write(folder, _broken(_benefits(folder), change))
    with_pass, without, used = _both(folder, monkeypatch)
    assert used["week"] is not None
    assert (used["week"].persons is None) == (change in ("repeated week", "repeated week across row groups",
                                                         "two rows swapped"))
    rules = [p.rule for p in with_pass.problems]
    if change.startswith("repeated week"):
        assert any("may appear only once" in r for r in rules)
    if change in ("none", "two rows swapped", "unknown code"):
        assert with_pass.ok and with_pass.tables["benefits"].rows == len(_benefits(folder))
        assert with_pass.orphans["benefits"] == without.orphans["benefits"]
    if change == "unknown code":
        assert with_pass.unknown_codes["code"].tolist() == ["404"]
    if change == "blank ids":
        assert any(p.column == "person_id" for p in with_pass.problems)
    if change == "a week that is no week":
        assert any(p.column == "week" for p in with_pass.problems)


def _both(folder, monkeypatch):
    """The folder's validation report with the pass and without it (both equal), and what the pass gave per key."""
    used = {}
    real = presorted.read

    def recorded(files, person, key, counted, threads=None):
        used[key] = real(files, person, key, counted, threads)
        return used[key]

    monkeypatch.setattr(presorted, "read", recorded)
    with_pass = validate(folder)
    monkeypatch.setattr(presorted, "read", lambda *a, **k: None)
    without = validate(folder)
    assert with_pass.to_dict() == without.to_dict()
    for name in ("codes", "unknown_codes", "unknown_municipalities", "events"):
        pd.testing.assert_frame_equal(getattr(with_pass, name), getattr(without, name))
    return with_pass, without, used


def _employment(folder) -> pd.DataFrame:
    return pd.read_parquet(folder / "employment.parquet")


def _write_employment(folder, frame: pd.DataFrame) -> None:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / "employment.parquet",
                   row_group_size=3_000)


def test_employment_counts_are_those_of_a_grouping(folder):
    frame = _employment(folder)
    _write_employment(folder, frame)
    got = presorted.read([folder / "employment.parquet"], "person_id", "month", ("month",), 2)
    assert pq.ParquetFile(folder / "employment.parquet").metadata.num_row_groups > 10
    assert dict(zip(got.values["month"]["value"], got.values["month"]["_n"])) == frame.groupby("month").size().to_dict()
    assert dict(zip(got.persons.column("person_id").to_pylist(), got.persons.column("n").to_pylist())) == (
        frame.groupby("person_id").size().to_dict())


@pytest.mark.parametrize("change", ["none", "repeated month", "a month that is no month", "months out of order"])
def test_employment_report_is_the_same_with_and_without_the_pass(folder, monkeypatch, change):
    frame = _employment(folder)
    i = 20_000
    while frame["person_id"].iat[i] != frame["person_id"].iat[i + 1]:
        i += 1
    if change == "repeated month":
        frame = pd.concat([frame.iloc[:i + 1], frame.iloc[[i]], frame.iloc[i + 1:]], ignore_index=True)
    if change == "a month that is no month":  # sorts between its neighbours but names no month
        frame.loc[i, "month"] = frame["month"].iat[i] + "x"
    if change == "months out of order":
        j = [*range(len(frame))]
        j[i], j[i + 1] = j[i + 1], j[i]
        frame = frame.iloc[j].reset_index(drop=True)
    _write_employment(folder, frame)
    with_pass, _, used = _both(folder, monkeypatch)
    assert used["month"] is not None
    assert (used["month"].persons is None) == (change in ("repeated month", "months out of order"))
    if change in ("none", "months out of order"):
        assert with_pass.ok and with_pass.tables["employment"].rows == len(frame)
        assert with_pass.tables["employment"].persons == frame["person_id"].nunique()
    if change == "repeated month":
        assert any("may appear only once" in p.rule for p in with_pass.problems)
    if change == "a month that is no month":
        assert any(p.column == "month" for p in with_pass.problems)


def test_text_that_is_not_utf8_is_left_to_the_engine(tmp_path):
    # sorted, and the bad id neither first nor last: only the check of the text stops the read
    raw = pa.array([b"A1", b"P\xff", b"Z9"], type=pa.binary())
    ids = pa.Array.from_buffers(pa.string(), 3, raw.buffers())  # as a writer that does not check would store it
    table = pa.table({"person_id": ids, "week": pa.array([201501, 201502, 201503], pa.int32()),
                      "code": pa.array(["111"] * 3)})
    pq.write_table(table, tmp_path / "benefits.parquet")
    assert _benefit_counts([tmp_path / "benefits.parquet"]) is None


def _with_dictionary(table: pa.Table, column: str, values: list[str]) -> pa.Table:
    """`column` stored with the dictionary `values` as given (pyarrow writes an Arrow dictionary as it is)."""
    where = {v: i for i, v in enumerate(values)}
    codes = pa.array([where[v] for v in table.column(column).to_pylist()], pa.int32())
    return table.set_column(table.schema.get_field_index(column), column,
                            pa.DictionaryArray.from_arrays(codes, pa.array(values)))


@pytest.mark.parametrize("table, column, extra", [("benefits", "code", "404"), ("employment", "month", "2030-01")])
def test_a_value_of_a_dictionary_that_no_row_uses(folder, monkeypatch, table, column, extra):
    """A dictionary value no row uses is not a value of the table (it would be a code with no weeks, or a month
    after the end of the data): the report is the same with the pass as without it."""
    data = pq.read_table(folder / f"{table}.parquet")
    values = sorted(set(data.column(column).to_pylist())) + [extra]
    pq.write_table(_with_dictionary(data, column, values), folder / f"{table}.parquet", store_schema=False)
    with_pass, _, used = _both(folder, monkeypatch)
    assert used["week" if table == "benefits" else "month"] is not None  # the read vouches for such a file
    assert with_pass.ok
    assert extra not in with_pass.codes["code"].tolist()


@pytest.mark.parametrize("after, one_group", [([], False), (["2030-01", "2030-02"], False), (["2030-01"], True)])
def test_a_dictionary_page_holding_a_value_twice(folder, monkeypatch, after, one_group):
    """No writer stores a value twice in a dictionary page, and pyarrow misreads such a page: it makes one value of
    the two, and the rows' positions after it then point one value on (DuckDB reads it right). A row uses the
    repeat, which is the page's last value, or is followed by values no row uses, in a file of several row groups
    or of one (where every value of pyarrow's dictionary is then used). Each time pyarrow's dictionary has a value
    fewer than the page's header counts, the read gives up, and the engine reports the duplicate month."""
    data = pq.read_table(folder / "employment.parquet")
    ids, months = data.column("person_id").to_pylist(), data.column("month").to_pylist()
    # the last row of a person, past the first row group (whose rows must rise for the read to go on)
    i = next(k for k in range(20_000, len(ids) - 1) if ids[k - 1] == ids[k] != ids[k + 1])
    values = sorted(set(months)) + ["QQQQ-QQ"] + after  # a placeholder, made into months[i - 1] in the file's bytes
    codes = [values.index(m) for m in months]
    codes[i] = values.index("QQQQ-QQ")
    data = data.set_column(1, "month", pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array(values)))
    path = folder / "employment.parquet"
    pq.write_table(data, path, store_schema=False, compression="none", write_statistics=False,
                   row_group_size=len(months) if one_group else 3_000)
    raw = path.read_bytes()
    # pyarrow writes an Arrow dictionary whole into each row group: elsewhere the repeat is used by no row
    groups = pq.ParquetFile(path).metadata.num_row_groups
    assert raw.count(b"QQQQ-QQ") == groups and (groups == 1) == one_group
    path.write_bytes(raw.replace(b"QQQQ-QQ", months[i - 1].encode()))
    with_pass, _, used = _both(folder, monkeypatch)
    assert used["month"] is None
    assert any("may appear only once" in p.rule for p in with_pass.problems)


def test_the_count_of_a_dictionary_page_from_its_header():
    """The header of a dictionary page of 5,421 values (pyarrow's writing), of a data page, and of what is no page."""
    assert presorted._dictionary_page_size(bytes.fromhex("150415b8f80715906a4c15da54150012")) == 5_421
    assert presorted._dictionary_page_size(bytes.fromhex("15001590061590062c15200015041506")) is None  # type 0
    with pytest.raises(presorted._Unfit):
        presorted._dictionary_page_size(b"PAR1" + bytes(12))


def test_a_dictionary_page_that_overflows_into_plain_pages(folder, monkeypatch):
    """A writer whose dictionary page is full writes the rest of the chunk's values plainly, and pyarrow adds them to
    the dictionary it makes: the page's count no longer vouches for it, so the read gives up and the report is the
    engine's."""
    path = folder / "benefits.parquet"
    pq.write_table(pa.Table.from_pandas(_benefits(folder), preserve_index=False), path, row_group_size=7_000,
                   dictionary_pagesize_limit=256)
    reader = pq.ParquetFile(path, read_dictionary=["person_id"])
    assert len(reader.read_row_group(1, columns=["person_id"]).column(0).chunks[0].dictionary) > (
        presorted._page_sizes(path, reader, 1, ["person_id"])["person_id"])
    with_pass, without, used = _both(folder, monkeypatch)
    assert used["week"] is None and with_pass.ok


def test_a_week_beyond_any_integer_is_left_to_the_engine(folder, monkeypatch):
    table = pa.Table.from_pandas(_benefits(folder), preserve_index=False)
    weeks = table.column("week").to_numpy().astype(np.uint64)
    weeks[-100:] = np.iinfo(np.uint64).max  # a row group of its own holds nothing else
    table = table.set_column(1, "week", pa.array(weeks))
    pq.write_table(table, folder / "benefits.parquet", row_group_size=len(weeks) - 100)
    with_pass, _, used = _both(folder, monkeypatch)
    assert used["week"] is None
    assert any(p.column == "week" for p in with_pass.problems)


@pytest.mark.parametrize("kinds", [("int", "dict"), ("int", "int"), ("dict", "dict"), ("dict", "int"),
                                   ("uint64", "uint64"), ("int", "uint8")])
def test_joint_counts_are_the_counts_of_each_column(kinds):
    # one bincount over the pairs gives each column's values and rows as counting each column alone does
    rng = np.random.default_rng(7)

    def column(kind, lo, n):
        if kind.startswith("uint"):
            return pa.array(rng.integers(abs(lo), abs(lo) + n, 5_000).astype(kind))
        values = rng.integers(lo, lo + n, 5_000)
        if kind == "int":
            return pa.array(values)
        return pa.array([f"v{v}" for v in values]).dictionary_encode()

    a, b = column(kinds[0], 201_001, 950), column(kinds[1], -40, 60)
    joint = presorted._joint_counts(a, b)
    for (values, rows), array in zip(joint, (a, b)):
        alone_values, alone_rows = presorted._counts(array)
        assert values.to_pylist() == alone_values.to_pylist()
        assert rows.tolist() == alone_rows.tolist() and rows.sum() == 5_000


def test_joint_counts_leave_too_many_pairs_to_each_column():
    wide = pa.array(np.arange(0, 4_000_000, 2))  # two million values spread over four million
    assert presorted._joint_counts(wide, pa.array(np.arange(2_000_000) % 3)) is None


@pytest.mark.parametrize("months", [["2018-01", "2018-02", "2019-03"], ["2019-03", "2018-01", "2018-02"]])
def test_text_keys_rise_as_their_values_whatever_the_dictionary_order(months):
    # a person's months must rise as text; the dictionary pyarrow hands over is in the order of first appearance
    dictionary = pa.array(months)
    rising = pa.DictionaryArray.from_arrays(pa.array([months.index(m) for m in ("2018-01", "2018-02", "2019-03")],
                                                     pa.int32()), dictionary)
    ranks = presorted._ranks(rising)
    assert (np.diff(ranks) > 0).all()
    ids = pa.array(["a", "a", "a"]).dictionary_encode()
    assert presorted._runs(ids, rising) is not None
    falling = pa.DictionaryArray.from_arrays(pa.array([months.index(m) for m in ("2018-02", "2018-01", "2019-03")],
                                                      pa.int32()), dictionary)
    assert presorted._runs(ids, falling) is None


def test_ranks_of_a_long_dictionary_behind_narrow_positions():
    # positions of 8 bits into a dictionary of 300 values: the ranks must not wrap (200 then 100 falls)
    months = [f"m{i:03d}" for i in range(300)]
    months[0], months[1], months[200], months[100] = months[200], months[100], months[0], months[1]
    key = pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int8()), pa.array(months))
    assert presorted._ranks(key).tolist() == [200, 100]
    assert presorted._runs(pa.array(["a", "a"]).dictionary_encode(), key) is None


def test_unsigned_values_beyond_int64_are_left_to_the_engine():
    # the values as int64 would wrap (2**63 read back as -2**63): the engine's passes count them instead
    huge = pa.array([2**63 - 1, 2**63], pa.uint64())
    with pytest.raises(presorted._Unfit):
        presorted._counts(huge)
    with pytest.raises(presorted._Unfit):
        presorted._joint_counts(huge, pa.array([1, 2]))
