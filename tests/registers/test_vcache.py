"""The validation cache: a load of files already validated reuses the stored report; any change checks again."""

import os
import time

import pandas as pd
import pytest

from virkning.errors import ContractError
from virkning.registers import load, validate, vcache
from virkning.synth import generate


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("VIRKNING_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "data"
    generate(out, persons=3_000, seed=7)
    past = time.time() - 60  # files older than the racy window, as registers on a server are
    for p in out.iterdir():
        os.utime(p, (past, past))
    return out


def _count_checks(monkeypatch) -> list:
    import virkning.registers as registers

    calls = []
    real = registers.run_checks

    def counted(*a, **kw):
        calls.append(1)
        return real(*a, **kw)

    monkeypatch.setattr(registers, "run_checks", counted)
    return calls


def _same(a, b):
    assert a.to_dict() == b.to_dict()
    for name in vcache.FRAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_index_type=False)


def test_second_load_reuses_the_report_and_reads_the_same_data(folder, monkeypatch):
    calls = _count_checks(monkeypatch)
    first = load(folder)
    persons, report = first.persons(), first.report
    first.close()
    assert len(calls) == 1
    second = load(folder)
    try:
        assert len(calls) == 1  # no check ran
        _same(report, second.report)
        pd.testing.assert_frame_equal(second.persons(), persons)
        n = second.engine.frame("SELECT count(*) AS n FROM benefits")["n"].iloc[0]
        assert n == report.tables["benefits"].rows
    finally:
        second.close()


def test_a_changed_file_is_checked_again(folder, monkeypatch):
    calls = _count_checks(monkeypatch)
    load(folder).close()
    persons = pd.read_parquet(folder / "persons.parquet")
    persons.loc[0, "sex"] = "X"  # breaks the contract: same size class, new content
    persons.to_parquet(folder / "persons.parquet", index=False)
    with pytest.raises(ContractError, match="sex"):
        load(folder)
    assert len(calls) == 2
    with pytest.raises(ContractError):  # a failing folder is never stored
        load(folder)
    assert len(calls) == 3


def test_explicit_validate_checks_again_and_a_moved_copy_is_the_same(folder, monkeypatch, tmp_path):
    calls = _count_checks(monkeypatch)
    assert validate(folder).ok and validate(folder).ok
    assert len(calls) == 2
    copy = tmp_path / "copy"
    copy.mkdir()
    for p in folder.iterdir():
        (copy / p.name).write_bytes(p.read_bytes())
        os.utime(copy / p.name, (time.time() - 60,) * 2)
    load(copy).close()
    assert len(calls) == 2  # the same bytes under the same names: the stored report


def test_a_damaged_entry_is_replaced(folder, monkeypatch, tmp_path):
    calls = _count_checks(monkeypatch)
    load(folder).close()
    (entry,) = (tmp_path / "cache" / "validation").iterdir()
    (entry / "events.parquet").unlink()  # edited by hand, a full disk
    load(folder).close()
    assert len(calls) == 2  # checked again, and stored again in place of the damaged entry
    load(folder).close()
    assert len(calls) == 2
    assert [p.name for p in (tmp_path / "cache" / "validation").iterdir()] == [entry.name]  # nothing set aside left


def test_options_are_part_of_the_key(folder, monkeypatch):
    calls = _count_checks(monkeypatch)
    load(folder).close()
    load(folder, wide_pattern="ugeYYYY_WW").close()
    assert len(calls) == 2
    load(folder, threads=1).close()  # how a run uses the machine is not
    assert len(calls) == 2


def test_cache_off(folder, monkeypatch):
    monkeypatch.setenv("VIRKNING_CACHE_DIR", "off")
    calls = _count_checks(monkeypatch)
    load(folder).close()
    load(folder).close()
    assert len(calls) == 2


def test_file_hash_is_remembered_and_renewed(tmp_path, monkeypatch):
    monkeypatch.setenv("VIRKNING_CACHE_DIR", str(tmp_path / "cache"))
    f = tmp_path / "x.bin"
    f.write_bytes(b"abc")
    os.utime(f, (time.time() - 60,) * 2)
    h = vcache.file_hash(f)
    assert h == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # sha256("abc")
    hashed = []
    monkeypatch.setattr(vcache, "sha256_file", lambda p: hashed.append(p) or "recomputed")
    assert vcache.file_hash(f) == h and not hashed
    f.write_bytes(b"abd")  # new content, new modification time
    assert vcache.file_hash(f) == "recomputed" and hashed == [f]



def test_the_checks_working_tables_are_dropped_once_the_report_is_made(folder, monkeypatch):
    # The checks' per-person tables hold a row per person (a few hundred MB at national scale): a load keeps none
    # of the tables the checks made for the rest of the run.
    from virkning.registers.engine import DuckDBEngine

    monkeypatch.setenv("VIRKNING_CACHE_DIR", "off")
    made = set()
    real = DuckDBEngine.table
    monkeypatch.setattr(DuckDBEngine, "table", lambda self, name, *a, **kw: (made.add(name), real(self, name, *a, **kw))[1])
    regs = load(folder)
    try:
        left = {r[0] for r in regs.engine.rows("SELECT table_name FROM duckdb_tables()")}
        assert regs.report.ok and regs.report.tables["benefits"].persons > 1_000
    finally:
        regs.close()
    assert {"_per_person_benefits", "_per_person_employment", "_values_benefits", "_persons_counts"} <= made
    # what the load keeps on purpose: the code catalogue and the calendar's lookup tables
    assert made & left == {"catalogue", "_weeks", "_months", "_week_labels"}, made & left
