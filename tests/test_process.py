"""The settings of a process virkning runs in (virkning/process.py): the collector's threshold and numpy's
huge-page advice while a command runs, and the caller's own back afterwards."""

import gc

import pytest
from numpy._core import multiarray

from virkning import cli, process


@pytest.mark.parametrize("text, stalls", [
    ("always defer defer+madvise [madvise] never\n", True),
    ("always defer [defer+madvise] madvise never\n", True),
    ("[always] defer defer+madvise madvise never\n", False),
    ("always [defer] defer+madvise madvise never\n", False),
    ("always defer defer+madvise madvise [never]\n", False),
])
def test_the_advice_is_withdrawn_only_where_a_fault_may_compact_memory(tmp_path, monkeypatch, text, stalls):
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    (tmp_path / "defrag").write_text(text)
    assert process.stalls_on_huge_pages(tmp_path / "defrag") is stalls
    assert process.stalls_on_huge_pages(tmp_path / "absent") is False  # not Linux
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")  # the user's own choice stands
    assert process.stalls_on_huge_pages(tmp_path / "defrag") is False


@pytest.mark.parametrize("text, advice_during", [("always defer defer+madvise [madvise] never\n", False),
                                                  ("[always] defer defer+madvise madvise never\n", True)])
def test_a_command_runs_with_the_settings_and_restores_the_callers(tmp_path, monkeypatch, text, advice_during):
    # cli.run: the collector's threshold, and no huge-page advice where the kernel would stall on it, while the
    # command runs; afterwards the caller's thresholds and advice, also when the command is interrupted (a notebook
    # or the tests run commands in their own process). The kernel's mode is a file of the test's, whatever the
    # machine's.
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    (tmp_path / "defrag").write_text(text)
    monkeypatch.setattr(process, "DEFRAG", tmp_path / "defrag")
    before, advice = gc.get_threshold(), multiarray._get_madvise_hugepage()
    seen = []

    def command(**_):
        seen.append((gc.get_threshold(), multiarray._get_madvise_hugepage()))
        if len(seen) == 2:
            raise KeyboardInterrupt
        return 0

    monkeypatch.setattr(cli, "app", command)
    try:
        multiarray._set_madvise_hugepage(True)
        assert cli.run(["anything"]) == 0
        assert gc.get_threshold() == before and multiarray._get_madvise_hugepage() is True
        assert cli.run(["anything"]) == 130
        assert gc.get_threshold() == before and multiarray._get_madvise_hugepage() is True
    finally:
        multiarray._set_madvise_hugepage(advice)
    assert seen == [((process.GC_THRESHOLD, *before[1:]), advice_during)] * 2 and process.GC_THRESHOLD > before[0]
