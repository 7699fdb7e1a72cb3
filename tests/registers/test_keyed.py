"""The keyed copy of a folder's registers (registers/keyed.py): written once per file contents, read by later runs,
and giving every panel question the same answer as the text-keyed views."""

import os
import shutil
import time

import numpy as np
import pandas as pd
import pytest

from conftest import write_folder
from test_panel import _random_registers
from virkning.panel import store as store_module
from virkning.registers import calendar, keyed, load, vcache
from virkning.registers.engine import DuckDBEngine

COVS = ["age", "weeks_ledig_52w", "weeks_sygdom_52w", "in_ledig_at_-1", "spell_weeks", "employment_12m",
        "employment_at_1"]


@pytest.fixture
def folder(tmp_path):
    return write_folder(tmp_path / "r", _random_registers(np.random.default_rng(5), n=80), fmt="parquet")


def _copies(cache):
    return sorted(p.relative_to(cache / "keyed") for p in (cache / "keyed").rglob("*.parquet")) if (cache / "keyed").exists() \
        else []


def _answers(folder):
    """State pairs, covariates and the store's copied rows of one load."""
    regs = load(folder)
    try:
        panel = regs.panel()
        weeks = np.arange(2420, 2550, 7)
        pairs = panel.state_pairs(weeks, {-1: "ledig", 0: "ledig"})
        index = pd.DataFrame({"person_id": regs.store.ids_of(pairs["pk"].to_numpy()),
                              "index_week": calendar.week_labels(pairs["iwk"].to_numpy())})
        covs = panel.covariates(index.drop_duplicates(ignore_index=True), COVS)
        n = regs.store.names
        rows = {t: regs.engine.frame(f"SELECT * FROM {getattr(n, t)}").sort_values(order, ignore_index=True)
                for t, order in (("pb", ["pk", "wk"]), ("pe", ["pk", "mo"]))}
        # the copies are kept in the database that compresses them (engine.kept_table)
        kept = regs.engine.rows("SELECT table_name FROM duckdb_tables() WHERE database_name = 'kept'")
        assert {n.pb, n.pe} <= {r[0] for r in kept}
        return regs.keyed, pairs, covs, rows
    finally:
        regs.close()


@pytest.mark.parametrize("slice_size", [50_000, 7])
def test_keyed_copy_gives_the_text_keyed_answers(folder, tmp_path, monkeypatch, slice_size):
    """With slices of 7 persons the store copies the keyed rows in about ten slices, each compressed before the next."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("VIRKNING_CACHE_DIR", str(cache))
    monkeypatch.setattr(store_module, "INCLUDE_SLICE", slice_size)
    slices = []
    compact = DuckDBEngine.compact
    monkeypatch.setattr(DuckDBEngine, "compact", lambda self: (slices.append(1), compact(self))[1])
    used, pairs, covs, rows = _answers(folder)
    assert used and len(_copies(cache)) == 3
    assert len(slices) == (1 if slice_size == 50_000 else 11)  # the persons of the pool's states, 7 at a time
    monkeypatch.setenv("VIRKNING_CACHE_DIR", "off")
    used_off, pairs_off, covs_off, rows_off = _answers(folder)
    assert not used_off
    assert len(pairs) > 200 and pairs.equals(pairs_off)
    assert len(covs) > 200
    pd.testing.assert_frame_equal(covs, covs_off, check_exact=True)
    for t in rows:
        assert len(rows[t]) > 500
        pd.testing.assert_frame_equal(rows[t], rows_off[t], check_exact=True)


def test_written_once_per_contents(folder, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("VIRKNING_CACHE_DIR", str(cache))
    assert _answers(folder)[0]
    (first,) = {p.parts[0] for p in _copies(cache)}
    stamp = os.stat(cache / "keyed" / first / "benefits.parquet").st_mtime_ns
    assert _answers(folder)[0]  # read, not written again
    assert os.stat(cache / "keyed" / first / "benefits.parquet").st_mtime_ns == stamp
    tables = _random_registers(np.random.default_rng(5), n=80)
    tables["benefits"] = tables["benefits"].iloc[:-1]  # other contents: another copy
    write_folder(folder, {"benefits": tables["benefits"]}, fmt="parquet")
    assert _answers(folder)[0]
    assert len({p.parts[0] for p in _copies(cache)}) == 2


def test_a_cache_that_cannot_be_written_falls_back_to_the_views(folder, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("VIRKNING_CACHE_DIR", str(blocker / "cache"))
    used, pairs, covs, _ = _answers(folder)
    monkeypatch.setenv("VIRKNING_CACHE_DIR", "off")
    assert not used
    assert pairs.equals(_answers(folder)[1])


@pytest.mark.parametrize("damage", ["missing", "truncated"])
def test_a_partial_or_damaged_copy_is_written_again(folder, tmp_path, monkeypatch, damage):
    """A copy that lacks a file or holds a truncated one (edited by hand, a full disk) is written again."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("VIRKNING_CACHE_DIR", str(cache))
    _answers(folder)
    (first,) = {p.parts[0] for p in _copies(cache)}
    path = cache / "keyed" / first / "employment.parquet"
    if damage == "missing":
        path.unlink()
    else:
        path.write_bytes(path.read_bytes()[:100])
    used, _, _, rows = _answers(folder)
    assert used and (cache / "keyed" / first / "employment.parquet").is_file()
    assert not [p.name for p in (cache / "keyed").iterdir() if p.name.startswith(".")]  # the bad copy removed
    assert len(rows["pe"]) > 500
    assert set(keyed.VIEWS) == {"codes", "benefits", "employment"}


def test_a_copy_another_run_stored_meanwhile_is_kept(folder, tmp_path, monkeypatch):
    """Two runs over the same folder: this one finds no copy, the other stores one (and reads it) before this one
    is done. The other's copy stays in place, file for file, and this run reads it."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("VIRKNING_CACHE_DIR", str(cache))
    assert _answers(folder)[0]  # the other run's copy
    (first,) = {p.parts[0] for p in _copies(cache)}
    theirs = cache / "keyed" / first
    (theirs / "theirs").write_text("")  # a mark: the same folder stays (inode numbers can be reused)
    files = {p.name: p.read_bytes() for p in theirs.iterdir()}
    complete, calls = keyed._complete, []

    def racing(target):  # the first check comes before the other run's rename: it sees no copy
        calls.append(target)
        return len(calls) > 1 and complete(target)

    monkeypatch.setattr(keyed, "_complete", racing)
    used, pairs, covs, _ = _answers(folder)
    assert used
    assert {p.name: p.read_bytes() for p in theirs.iterdir()} == files
    assert not [p.name for p in (cache / "keyed").iterdir() if p.name.startswith(".")]  # no temporary left
    monkeypatch.setenv("VIRKNING_CACHE_DIR", "off")
    assert pairs.equals(_answers(folder)[1])


def test_a_copy_repaired_by_another_run_meanwhile_is_kept(folder, tmp_path, monkeypatch):
    """Two runs find the same unreadable copy; the other one repairs it (and reads it) while this one writes its
    own. This run's does not replace the other's."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("VIRKNING_CACHE_DIR", str(cache))
    _answers(folder)
    (first,) = {p.parts[0] for p in _copies(cache)}
    target = cache / "keyed" / first
    good = tmp_path / "good"
    shutil.copytree(target, good)
    (good / "theirs").write_text("")  # a mark: the other run's copy
    path = target / "employment.parquet"
    path.write_bytes(path.read_bytes()[:100])
    write = keyed._write

    def other_run_first(engine, tgt, *a, **kw):
        shutil.rmtree(tgt)
        os.replace(good, tgt)  # the other run's repair lands while this one writes
        return write(engine, tgt, *a, **kw)

    monkeypatch.setattr(keyed, "_write", other_run_first)
    used, _, _, rows = _answers(folder)
    assert used and (target / "theirs").exists() and len(rows["pe"]) > 500
    assert not [p.name for p in (cache / "keyed").iterdir() if p.name.startswith(".")]


def test_what_killed_runs_left_is_removed_by_the_next_write(folder, tmp_path, monkeypatch):
    """A run killed while writing leaves its temporary folder (person-level rows); the next copy written removes
    those older than vcache.STALE_SECONDS, and leaves a running one's."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("VIRKNING_CACHE_DIR", str(cache))
    (cache / "keyed").mkdir(parents=True)
    old, running = cache / "keyed" / ".tmp-killed", cache / "keyed" / ".tmp-running"
    for p in (old, running, cache / "keyed" / ".old-killed"):
        p.mkdir()
        (p / "benefits.parquet").write_bytes(b"rows")
    for p in (old, cache / "keyed" / ".old-killed"):
        stale = time.time() - vcache.STALE_SECONDS - 60
        os.utime(p, (stale, stale))
    assert _answers(folder)[0]
    assert sorted(p.name for p in (cache / "keyed").iterdir() if p.name.startswith(".")) == [".tmp-running"]


def test_switched_off_and_private(folder, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("VIRKNING_CACHE_DIR", str(cache))
    monkeypatch.setenv("VIRKNING_KEYED_COPY", "off")
    assert not _answers(folder)[0] and _copies(cache) == []
    monkeypatch.setenv("VIRKNING_KEYED_COPY", "first")
    assert _answers(folder)[0]
    (first,) = {p.parts[0] for p in _copies(cache)}
    assert (cache / "keyed" / first).stat().st_mode & 0o077 == 0  # person-level rows: the owner's only


def test_indicators_over_the_keyed_copy_equal_the_text_keyed(tmp_path, monkeypatch):
    """The indicators' one benefits scan and employment scan read the keyed copy when there is one: the same table."""
    from virkning.indicators import IndicatorRequest, compute_indicators
    from virkning.synth import generate

    folder = tmp_path / "fk"
    generate(folder, persons=3_000, seed=11, programme="frikommune")
    got = {}
    for label, cache in (("keyed", str(tmp_path / "cache")), ("text", "off")):
        monkeypatch.setenv("VIRKNING_CACHE_DIR", cache)
        regs = load(folder)
        try:
            assert not regs.store.keyed_now(write=False)  # counting alone never writes a copy
            assert regs.store._n is None  # nor makes the key map of every person to find out
            if label == "keyed":
                assert regs.store.keyed_now()  # a run that copies rows writes it (VIRKNING_KEYED_COPY=first)
            got[label] = compute_indicators(regs, IndicatorRequest(period="quarter")).frame
            assert regs.keyed == (label == "keyed")
        finally:
            regs.close()
    assert len(got["keyed"]) > 20 and got["keyed"]["value"].notna().sum() > 20
    pd.testing.assert_frame_equal(got["keyed"], got["text"], check_exact=True)


def test_by_default_the_second_run_writes_the_copy(folder, tmp_path, monkeypatch):
    """A folder read once never pays for a copy: the first run leaves a marker, the second writes, the third reads."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("VIRKNING_CACHE_DIR", str(cache))
    monkeypatch.setenv("VIRKNING_KEYED_COPY", "on")
    first = _answers(folder)
    assert not first[0] and _copies(cache) == [] and len(list((cache / "keyed").glob("*.seen"))) == 1
    second = _answers(folder)
    assert second[0] and len(_copies(cache)) == 3
    assert _answers(folder)[0]
    assert first[1].equals(second[1])
    pd.testing.assert_frame_equal(first[2], second[2], check_exact=True)


def test_a_load_that_may_not_write_reads_a_copy_that_is_there_and_leaves_no_marker(folder, tmp_path, monkeypatch):
    """The demo's worker loads the folder the demo's process is evaluating (Registers.write_keyed = False): it
    neither writes the copy nor leaves the marker that makes the next run write it, and reads a copy that is there."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("VIRKNING_CACHE_DIR", str(cache))
    monkeypatch.setenv("VIRKNING_KEYED_COPY", "first")  # would write on the first run that copies rows

    def reader(folder):
        regs = load(folder)
        regs.write_keyed = False
        try:
            regs.panel().state_pairs(np.arange(2420, 2550, 7), {-1: "ledig", 0: "ledig"})
            return regs.keyed
        finally:
            regs.close()

    assert not reader(folder) and _copies(cache) == [] and list((cache / "keyed").glob("*.seen")) == []
    assert _answers(folder)[0] and len(_copies(cache)) == 3  # an ordinary load writes it
    assert reader(folder)  # and the worker then reads it
