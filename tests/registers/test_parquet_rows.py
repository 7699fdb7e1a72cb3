"""readers.parquet_rows: the rows pandas' own filters give, in the file's order, over several row groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from virkning.registers.readers import parquet_rows


@pytest.fixture(scope="module")
def benefits(tmp_path_factory):
    rng = np.random.default_rng(7)
    n = 20_000
    # ids out of order and repeated, so that the file's order is not any sort order the engine could fall back on
    frame = pd.DataFrame({"person_id": [f"P{i:05d}" for i in rng.integers(0, 3_000, n)],
                          "week": rng.integers(201501, 201552, n).astype(np.int32),
                          "code": [f"{c:03d}" for c in rng.choice([111, 115, 135, 211, 891], n)]})
    path = tmp_path_factory.mktemp("rows") / "benefits.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=3_000)
    return path, frame


def _expected(frame, codes, below=None, persons=None):
    keep = frame["code"].isin(codes)
    if below is not None:
        keep &= frame["person_id"] < below
    if persons is not None:
        keep &= frame["person_id"].isin(persons)
    return frame[keep].reset_index(drop=True)


@pytest.mark.parametrize("below", [None, "P01500"])
def test_the_rows_of_pandas_filters_in_the_files_order(benefits, below):
    path, frame = benefits
    persons = sorted({f"P{i:05d}" for i in range(0, 3_000, 7)} | {"P99999"})  # one id the file does not hold
    got = parquet_rows(path, ["person_id", "week", "code"], {"code": ["111", "135"]},
                       ("person_id", below) if below else None, persons)
    want = _expected(frame, ["111", "135"], below, persons)
    assert len(want) > 500
    assert got["person_id"].tolist() == want["person_id"].tolist()
    assert got["week"].tolist() == want["week"].tolist()
    assert got["code"].tolist() == want["code"].tolist()
    assert str(got["week"].dtype) == "int32"
    pandas_read = pd.read_parquet(path, columns=["person_id", "week", "code"],
                                  filters=[("code", "in", ["111", "135"]), ("person_id", "in", persons)]
                                  + ([("person_id", "<", below)] if below else []))
    assert got.dtypes.to_dict() == pandas_read.dtypes.to_dict()


def test_no_persons_no_values_and_no_filters(benefits):
    path, frame = benefits
    assert len(parquet_rows(path, ["person_id"], {}, persons=[])) == 0
    assert len(parquet_rows(path, ["person_id"], {"code": []})) == 0
    whole = parquet_rows(path, ["person_id", "week"], {})
    assert whole["person_id"].tolist() == frame["person_id"].tolist()
    assert whole["week"].tolist() == frame["week"].tolist()
