"""read_yaml_with_lines: every key path keeps its line; duplicate keys and syntax errors are located."""

from __future__ import annotations

import pytest

from virkning.evidence import EvidenceFileError, read_yaml_with_lines
from virkning.evidence.source import display, line_of

TEXT = """\
format_version: 1
studies:
  - id: a
    method:
      reliability:
        score: 5
  - id: b
    findings:
      - outcome: employment
        value: [1, 2]
"""


def test_lines_of_keys_and_items():
    data, lines, problems = read_yaml_with_lines(TEXT, "f.yaml")
    assert problems == []
    assert data["studies"][1]["findings"][0]["value"] == [1, 2]
    assert lines[("format_version",)] == 1
    assert lines[("studies",)] == 2
    assert lines[("studies", 0)] == 3
    assert lines[("studies", 0, "method", "reliability", "score")] == 6
    assert lines[("studies", 1)] == 7
    assert lines[("studies", 1, "findings", 0, "outcome")] == 9
    assert lines[("studies", 1, "findings", 0, "value", 1)] == 10
    # a key that is not written is located at its nearest written ancestor
    assert line_of(lines, ("studies", 1, "findings", 0, "metric")) == 9
    assert display(("findings", 0, "value")) == "findings[1].value"


def test_duplicate_key_is_a_located_problem():
    _, _, problems = read_yaml_with_lines("a: 1\nb: 2\na: 3\n", "dup.yaml")
    assert len(problems) == 1
    p = problems[0]
    assert (p.file, p.line, p.field) == ("dup.yaml", 3, "a")
    assert "first on line 1" in p.rule


def test_syntax_error_has_its_line():
    with pytest.raises(EvidenceFileError) as err:
        read_yaml_with_lines("a: 1\nb: [1, 2\nc: 3\n", "bad.yaml")
    (p,) = err.value.problems
    assert p.file == "bad.yaml" and p.line == 3 and "YAML syntax error" in p.rule


def test_tab_indentation_gets_a_hint():
    with pytest.raises(EvidenceFileError, match="indent with spaces"):
        read_yaml_with_lines("a:\n\tb: 1\n", "tab.yaml")


def test_merge_keys_and_safe_loading():
    data, _, _ = read_yaml_with_lines("x: &d {a: 1}\ny:\n  <<: *d\n  b: 2\n", "m.yaml")
    assert data["y"] == {"a": 1, "b": 2}
    with pytest.raises(EvidenceFileError):  # no Python objects, ever
        read_yaml_with_lines("a: !!python/object/apply:os.system ['true']\n", "evil.yaml")
