"""The engine interface: DuckDB and Spark read the same folders into the same tables, refuse the same bad input with
the same located messages, and Spark's own pieces (transpiling, catalog tables, remote-style paths, what is missing
to start it) say what they do. Tests taking `engine` run on both engines (Spark ones carry the marker `spark`)."""

from __future__ import annotations

import datetime as dt
import sys

import numpy as np
import pandas as pd
import pytest

from tests.conftest import write_folder
from virkning.errors import ContractError
from virkning.registers import LoadOptions, load, validate
from virkning.registers.engine import EngineError, open_engine
from virkning.registers.sparksql import TranspileError, to_spark

PAIRS = pd.DataFrame({"person_id": ["A", "B", "C"], "index_week": ["2018-W06"] * 3})
COVARIATES = ["age", "sex", "extra_cov", "weeks_ledig_8w", "weeks_tilbagetrukket_4w", "employment_3m",
              "employment_at_0", "spell_weeks", "in_sygdom_at_-2"]


def _messages(report) -> list[str]:
    return [str(p) for p in report.problems]


def _results(regs, panel: bool = True):
    if not panel:  # the panel over Parquet is compared in tests/test_panel.py (random registers as Parquet)
        return regs.report, regs.persons(), regs.events(), regs.engine.frame("SELECT * FROM employment ORDER BY 1, 2")
    p = regs.panel()
    return regs.report, p.covariates(PAIRS, COVARIATES), p.outcomes(PAIRS, horizon=4), regs.persons(), regs.events()


def _load_both(folder, spark_session):
    out = {}
    for kind in ("duckdb", "spark"):
        regs = load(folder, LoadOptions(engine=kind, master="local[2]" if kind == "spark" else None))
        try:
            out[kind] = _results(regs, panel=False)
        finally:
            regs.close()
    return out


@pytest.mark.spark
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_both_engines_read_a_folder_into_identical_tables(small_tables, tmp_path, fmt, spark_session,
                                                         small_registers):
    t = dict(small_tables)
    if fmt == "parquet":  # nanosecond timestamps (Spark keeps microseconds) and codes as numbers, as SAS writes them
        t["persons"] = t["persons"].assign(birth_date=pd.to_datetime(t["persons"]["birth_date"]))
        t["benefits"] = t["benefits"].assign(code=t["benefits"]["code"].astype(float) + 0.0)
    if fmt == "csv":  # the session's shared loads of these tables (tests/conftest.py)
        out = {kind: _results(small_registers(kind)) for kind in ("duckdb", "spark")}
    else:
        out = _load_both(write_folder(tmp_path / fmt, t, fmt), spark_session)
    (ra, *da), (rb, *db) = out["duckdb"], out["spark"]
    for a, b in zip(da, db):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    persons = db[2] if fmt == "csv" else db[0]
    assert persons["birth_date"].astype(str).tolist() == ["1960-03-15", "1958-01-08", "1990-01-01"]
    assert rb.codes["code"].tolist() == ["111", "130", "213", "555", "890", "999"]
    assert {k: v.to_dict() for k, v in ra.tables.items()} == {k: v.to_dict() for k, v in rb.tables.items()}
    pd.testing.assert_frame_equal(ra.codes, rb.codes)
    pd.testing.assert_frame_equal(ra.unknown_codes, rb.unknown_codes)
    assert ra.orphans == rb.orphans


def test_bad_parts_and_dates_are_located_the_same_on_each_engine(small_tables, tmp_path, engine):
    """One folder, one validation per engine (a Spark validation costs seconds): benefits in two Parquet parts of
    different kinds of type (refused), employment in parts of float32/int32 and float64/int64 (widened and read
    through by the checks, not refused) and persons
    as CSV with dates DuckDB's rules refuse ('1958' is a date to Spark alone)."""
    folder = write_folder(tmp_path / "d", {"events": small_tables["events"]}, "parquet")
    persons = small_tables["persons"].copy()
    persons["birth_date"] = ["1960/03/15", "1958", "1990-1-1 10:30"]
    write_folder(folder, {"persons": persons})
    (folder / "benefits").mkdir()
    b = small_tables["benefits"]
    b.iloc[:10].to_parquet(folder / "benefits" / "p1.parquet", index=False)
    b.iloc[10:].assign(code=b["code"].iloc[10:].astype(int)).to_parquet(folder / "benefits" / "p2.parquet", index=False)
    (folder / "employment").mkdir()
    e = small_tables["employment"].assign(hours=[10, 20, 30, 40, 50])
    e.iloc[:2].astype({"employment_rate": "float32", "hours": "int32"}).to_parquet(folder / "employment" / "a.parquet")
    e.iloc[2:].to_parquet(folder / "employment" / "b.parquet")  # float64, int64: widened, so no problem is reported
    assert _messages(validate(folder)) == [
        "benefits/p2.parquet, column 'code': has type int64 here but large_string in benefits/p1.parquet; every part "
        "of a table needs the same column types",
        "persons.csv, column 'birth_date', row 2: is not a date (expected YYYY-MM-DD)",
    ]
    if engine == "spark":  # a damaged part is refused from its footer before any engine reads (registers/files.py)
        return
    (folder / "employment" / "c.parquet").write_bytes(b"not a parquet file")
    msgs = _messages(validate(folder))
    assert any(m.startswith("employment/c.parquet: is not a readable Parquet file") for m in msgs), msgs


def test_a_statement_spark_cannot_run_names_the_construct():
    with pytest.raises(TranspileError, match=r"an ASOF join has no Spark SQL equivalent \(at line 2, column 8\)"):
        to_spark("SELECT *\nFROM a ASOF JOIN b ON a.x >= b.x")
    with pytest.raises(TranspileError, match=r"DuckDB function parse_filename\(\).*line 1, column 8"):
        to_spark("SELECT parse_filename(f) FROM t")
    with pytest.raises(TranspileError, match="does not parse"):
        to_spark("SELECT * FROM WHERE")
    with pytest.raises(EngineError, match="one SQL statement per call"):
        to_spark("SELECT 1; SELECT 2")
    # DuckDB's conversions where Spark's differ
    assert "min_by" in to_spark("SELECT arg_min(a, b) FROM t").lower()
    assert "ROUND(TRY_CAST(c AS DOUBLE))" in to_spark("SELECT TRY_CAST(c AS INTEGER) FROM t")
    assert "NULLS LAST" in to_spark("SELECT a FROM t ORDER BY a")


def test_unknown_engine_and_what_spark_needs(monkeypatch):
    with pytest.raises(EngineError, match="engine expected one of duckdb, spark; got 'oracle'"):
        open_engine("oracle")
    from virkning.registers import spark

    monkeypatch.setitem(sys.modules, "pyspark", None)  # PySpark not installed
    with pytest.raises(EngineError, match=r"needs PySpark 4: pip install 'virkning\[spark\]'"):
        spark.requirements()


def test_a_missing_java_runtime_is_named(monkeypatch):
    pytest.importorskip("pyspark")
    from pyspark import SparkContext

    from virkning.registers import spark

    monkeypatch.setattr(SparkContext, "_active_spark_context", None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(spark.shutil, "which", lambda name: None)
    with pytest.raises(EngineError, match="needs a Java runtime .*apt-get install openjdk-17-jre-headless"):
        spark.requirements()
    with pytest.raises(EngineError, match="Spark Connect"):
        spark.requirements("sc://host:15002")


@pytest.mark.spark
def test_spark_reads_catalog_tables_and_file_uris(small_tables, tmp_path, spark_session):
    """The engine's pieces for tables of a catalog and folders with a scheme, without a whole load (a load's rules are
    the same SQL as for files; a Spark load costs seconds)."""
    from virkning.registers import readers

    folder = write_folder(tmp_path / "d", small_tables, "parquet")
    spark_session.sql("CREATE DATABASE IF NOT EXISTS virkning_test")
    for name in ("persons", "benefits"):  # external tables over the files: a catalog without a copy
        spark_session.sql(f"CREATE TABLE IF NOT EXISTS virkning_test.{name} USING parquet "
                          f"LOCATION '{folder / (name + '.parquet')}'")
    catalog = open_engine("spark", master="local[2]", catalog="virkning_test")
    files = open_engine("spark", master="local[2]")
    try:
        assert catalog.problem_with("unused") is None
        kind, tables = catalog.locate("unused", "persons")
        assert kind == "table" and catalog.locate("unused", "employment") is None
        readers.attach(catalog, "persons", kind, tables)
        got = catalog.frame("SELECT person_id, sex, _row, _file FROM raw_persons ORDER BY person_id")
        assert got["person_id"].tolist() == ["A", "B", "C"] and got["_row"].tolist() == [1, 2, 3]
        assert got["_file"].tolist() == ["persons.parquet"] * 3
        # a location with a scheme is listed through Hadoop's file system (as hdfs://, s3a://, abfss:// would be)
        kind, parts = files.locate(f"file://{folder}", "benefits")
        assert kind == "parquet" and [f.name for f in parts] == ["benefits.parquet"]
        readers.attach(files, "benefits", kind, parts)  # no local preflight: the columns come from Spark
        assert files.one("SELECT count(*), max(_row) FROM raw_benefits") == (len(small_tables["benefits"]),) * 2
        assert files.locate(f"file://{folder}", "records") is None
        assert files.problem_with(f"file://{folder}/nothing").rule.startswith("is not a folder")
    finally:
        catalog.close()
        files.close()
    missing = validate("unused", LoadOptions(engine="spark", spark_catalog="no_such_db"))
    assert _messages(missing) == ["no_such_db: is not a database of the Spark catalog; give the database that holds "
                                  "the tables persons, benefits, employment"]


@pytest.mark.spark
def test_the_spark_engine_hands_back_duckdbs_shapes(spark_session):
    duck, spark = open_engine("duckdb"), open_engine("spark", master="local[2]")
    try:
        frame = pd.DataFrame({"k": np.array([3, 1, 2], dtype="int32"), "s": ["c", None, "b"],
                              "d": [dt.date(2018, 1, 1), None, dt.date(2019, 5, 6)]})
        sql = ("SELECT k, s, d, CAST(k AS DOUBLE) / 2 AS h, k > 1 AS b, CAST(NULL AS INTEGER) AS n "
               "FROM f WHERE k >= ? ORDER BY k")
        results = []
        for e in (duck, spark):
            e.put("f", frame)
            results.append((e.frame(sql, [1]), e.rows(sql, [2]), e.arrays(sql, [1]), e.columns("f")))
            e.append("f", "SELECT k + 10, s, d FROM f")
            assert e.one("SELECT count(*), sum(k) FROM f") == (6, 42)
        (fa, ra, aa, ca), (fb, rb, ab, cb) = results
        pd.testing.assert_frame_equal(fa, fb, check_exact=True)
        assert ra == rb and ca == cb == [("k", "INTEGER"), ("s", "VARCHAR"), ("d", "DATE")]
        for col in aa:
            np.testing.assert_array_equal(aa[col], ab[col])
        with pytest.raises(EngineError, match="Spark could not run a statement"):
            spark.frame("SELECT no_such_column FROM f")
    finally:
        duck.close()
        spark.close()


def test_duckdbs_arrow_output_comes_without_a_warning():
    import warnings

    engine = open_engine("duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # DuckDB warns when a DB-API result is asked for Arrow output
        table = engine.arrow("SELECT ?::INTEGER AS a, 'x' AS b", [7])
        assert table.to_pydict() == {"a": [7], "b": ["x"]}
        assert engine.arrow("SELECT 1 AS a").num_rows == 1
