"""Appending a study to a base file as text: every line of the file is kept (comments included), the result loads
as the old studies plus the new one, and the file is replaced atomically or not at all."""

from __future__ import annotations

import os

import pytest

from evidence_builders import base_yaml, study
from virkning.evidence import EvidenceFileError, Study, example_path, load_base, loads_base
from virkning.evidence.append import AppendError, _replace, append_study, appended_text

NEW = Study.model_validate({**study("new1", design="quasi_experimental", origin="own_evaluation"),
                            "authors": ["Jobcenter Demo"]})


def kept(old: str, new: str) -> None:
    """Every line of the old text is in the new one, in order."""
    lines = iter(new.splitlines())
    for line in old.splitlines():
        assert any(line == x for x in lines), f"line lost or moved: {line!r}"


def test_the_example_base_keeps_its_comments_and_gains_one_study():
    text = example_path().read_text(encoding="utf-8")
    new = appended_text(text, NEW, comment="added by a test")
    kept(text, new)
    assert new.startswith(text.rstrip("\n"))  # the studies are the last section: the record is added at the end
    assert "\n  # added by a test\n  - id: new1\n" in new
    old_base, new_base = loads_base(text), loads_base(new)
    assert new_base.studies == (*old_base.studies, NEW)
    assert new_base.statements == old_base.statements and new_base.search == old_base.search


@pytest.mark.parametrize("layout", ["followed", "empty_flow", "absent", "no_indent", "crlf"])
def test_layouts(layout):
    one = study("a")
    if layout == "followed":  # studies before another section, whose comment stays with it
        text = base_yaml([one]).replace("studies:", "# the studies\nstudies:") + "\n# the grading rule\ngrading:\n" \
            "  rule: default\n"
    elif layout == "empty_flow":
        text = "format_version: 1\nstudies: []   # none yet\ngrading: {rule: default}\n"
    elif layout == "absent":
        text = "format_version: 1\n# no studies yet\n"
    elif layout == "no_indent":  # list items at the key's indentation, as yaml.safe_dump writes them
        text = base_yaml([one])
    else:
        text = base_yaml([one]).replace("\n", "\r\n")
    new = appended_text(text, NEW)
    base = loads_base(new)
    assert base.studies[-1] == NEW and len(base.studies) == (1 if layout in ("empty_flow", "absent") else 2)
    if layout != "empty_flow":
        kept(text.replace("\r\n", "\n"), new.replace("\r\n", "\n"))
    if layout == "followed":
        assert new.index("id: new1") < new.index("# the grading rule") < new.index("grading:")
        assert loads_base(new).grading.rule == "default"
    if layout == "empty_flow":
        assert "studies:  # none yet" in new and base.grading.rule == "default"
    if layout == "no_indent":
        assert "\n- id: new1\n" in new
    if layout == "crlf":
        assert new.count("\r\n") == new.count("\n")


def test_a_flow_style_list_is_refused():
    text = "format_version: 1\nstudies: [{id: a, title: T, authors: [A], year: 2000, country: DK, design: rct}]\n"
    with pytest.raises(AppendError, match="flow-style list"):
        appended_text(text, NEW)


def test_append_study_writes_atomically_and_checks_the_study(tmp_path):
    path = tmp_path / "base.yaml"
    path.write_text(base_yaml([study("a")]), encoding="utf-8")
    os.chmod(path, 0o640)
    grown = append_study(path, NEW, comment="from a test")
    assert [s.id for s in grown.studies] == ["a", "new1"] and load_base(path).studies == grown.studies
    assert oct(path.stat().st_mode & 0o777) == "0o640"  # the file keeps its permissions
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.yaml"]  # no temporary file left
    before = path.read_bytes()
    with pytest.raises(EvidenceFileError) as err:  # the same id again: located, nothing written
        append_study(path, NEW)
    assert err.value.problems[0].field == "id" and "duplicate study id 'new1'" in err.value.problems[0].rule
    assert path.read_bytes() == before


def test_nothing_is_written_when_the_file_changed_meanwhile(tmp_path):
    path = tmp_path / "base.yaml"
    path.write_text("format_version: 1\n", encoding="utf-8")
    with pytest.raises(AppendError, match="changed while the record was prepared"):
        _replace(path, b"format_version: 1\nstudies: []\n", read_hash="0" * 64)
    assert path.read_text() == "format_version: 1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.yaml"]
