"""Faults in the design file, refused by `virkning evaluate` before the data are read or anything is written."""

from __future__ import annotations

import pytest

from faultkit import MINIMAL, assert_refused, base, fingerprint, run  # noqa: F401 - base is a fixture

BASE = MINIMAL + "data:\n  folder: data\n"


def with_(extra: str) -> str:
    return BASE + extra


def replace(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new)


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")) + "participants: *i\n"

# (id, design text or bytes, substrings the message must hold)
FAULTS = [
    # reading the file
    ("empty", "", ("design.yaml", "empty")),
    ("only-comment", "# nothing here\n", ("design.yaml", "empty")),
    ("top-level-list", "- participants\n- pool\n", ("design.yaml", "mapping")),
    ("top-level-text", "just some words\n", ("design.yaml", "mapping")),
    ("syntax-unclosed-bracket", with_("subgroups: [a, b\n"), ("design.yaml", "line")),
    ("syntax-tab-indent", BASE.replace("  event:", "\tevent:"), ("design.yaml", "line 2")),
    ("duplicate-key", with_("covariates: [age]\n"), ("design.yaml", "covariates", "twice")),
    ("alias-bomb", BOMB, ("design.yaml", "alias")),
    ("python-tag", with_("seed: !!python/object/apply:os.system ['echo pwned']\n"), ("design.yaml", "tag")),
    ("custom-tag", with_("seed: !include other.yaml\n"), ("design.yaml", "tag")),
    ("huge-file", with_("# " + "x" * (2 << 20) + "\n"), ("design.yaml", "large")),
    ("deep-nesting", with_("x: " + "[" * 200 + "]" * 200 + "\n"), ("design.yaml", "deep")),
    ("latin1-bytes", BASE.replace("informationsmøde", "informationsmøde").encode("latin-1"), ("design.yaml", "UTF-8")),
    ("utf16", BASE.encode("utf-16"), ("design.yaml", "UTF-8")),
    # keys and types
    ("unknown-top-key", with_("participnts:\n  event: x\n"), ("design.yaml", "participnts", "participants")),
    ("unknown-nested-key", replace("  event: informationsmøde", "  event: informationsmøde\n  evnt: x"),
     ("design.yaml", "participants.evnt")),
    ("covariates-not-list", replace("covariates: [age, sex, weeks_ledig_52w]", "covariates: 5"),
     ("design.yaml", "covariates")),
    ("outcomes-empty", replace("outcomes:\n  - name: exit_beskaeftiget\n", "outcomes: []\n"), ("design.yaml", "outcomes")),
    ("outcomes-missing", replace("outcomes:\n  - name: exit_beskaeftiget\n", ""), ("design.yaml", "outcomes")),
    ("participants-missing", BASE.replace("participants:\n  event: informationsmøde\n", ""), ("design.yaml", "participants")),
    ("seed-text", with_("seed: abc\n"), ("design.yaml", "seed")),
    ("seed-negative", with_("seed: -1\n"), ("design.yaml", "seed")),
    ("language-fr", with_("language: fr\n"), ("design.yaml", "language", "da")),
    # values
    ("state-misspelt", replace("{-1: ledig, 0: ledig}", "{-1: ledgi, 0: ledig}"), ("design.yaml", "ledgi")),
    ("covariate-misspelt", replace("weeks_ledig_52w", "weeks_ledig_52x"), ("design.yaml", "weeks_ledig_52x")),
    ("covariate-duplicate", replace("[age, sex, weeks_ledig_52w]", "[age, sex, age]"), ("design.yaml", "age", "twice")),
    ("outcome-duplicate", with_("").replace("  - name: exit_beskaeftiget\n", "  - name: exit_beskaeftiget\n"
                                            "  - name: exit_beskaeftiget\n"), ("design.yaml", "exit_beskaeftiget", "twice")),
    ("outcome-kind", replace("  - name: exit_beskaeftiget\n", "  - name: exit_beskaeftiget\n    kind: first_exitt\n"),
     ("design.yaml", "kind", "first_exit")),
    ("horizon-zero", replace("  - name: exit_beskaeftiget\n", "  - name: exit_beskaeftiget\n    horizon: 0\n"),
     ("design.yaml", "horizon")),
    ("horizon-huge", replace("  - name: exit_beskaeftiget\n", "  - name: exit_beskaeftiget\n    horizon: 100000\n"),
     ("design.yaml", "horizon")),
    ("n-boot-huge", with_("n_boot: 100000000\n"), ("design.yaml", "n_boot")),
    ("n-boot-negative", with_("n_boot: -5\n"), ("design.yaml", "n_boot")),
    ("threshold-one", with_("disclosure_threshold: 1\n"), ("design.yaml", "disclosure_threshold")),
    ("threshold-huge", with_("disclosure_threshold: 1000000\n"), ("design.yaml", "disclosure_threshold")),
    ("participants-date", replace("  event: informationsmøde", "  event: informationsmøde\n  from: 2018-13-01"),
     ("design.yaml", "participants.from")),
    ("participants-reversed", replace("  event: informationsmøde", "  event: informationsmøde\n  from: 2018-12-01\n"
                                                                   "  to: 2018-01-01"), ("design.yaml", "participants")),
    ("end-month-13", with_("").replace("  folder: data\n", "  folder: data\n  end_month: 2018-13\n"),
     ("design.yaml", "end_month")),
    ("pool-age-reversed", replace("pool:\n", "pool:\n  age: [65, 50]\n"), ("design.yaml", "pool.age")),
    ("matching-ratio-zero", with_("matching:\n  ratio: 0\n"), ("design.yaml", "matching.ratio")),
    ("matching-ratio-huge", with_("matching:\n  ratio: 100000\n"), ("design.yaml", "matching.ratio")),
    ("matching-caliper-negative", with_("matching:\n  caliper: -0.2\n"), ("design.yaml", "matching.caliper")),
    ("matching-distance", with_("matching:\n  distance: mahalanobiss\n"), ("design.yaml", "matching.distance")),
    ("subgroup-edges", with_("subgroups:\n  - name: age band\n    covariate: age\n    edges: [60, 50]\n"),
     ("design.yaml", "edges")),
    ("exclusion-op", with_("exclusions:\n  - name: x\n    covariate: age\n    op: '=>'\n    value: 1\n"),
     ("design.yaml", "op")),
    ("robustness-unknown-key", with_("robustness:\n  v1:\n    covariatez: [age]\n"), ("design.yaml", "covariatez")),
    ("criteria-share-no-denominator", with_("success_criteria:\n  - name: c\n    kind: share\n    numerator: a\n"
                                            "    target: 0.5\n"), ("design.yaml", "denominator")),
    ("catalogue-missing", with_("").replace("  folder: data\n", "  folder: data\n  catalogue: nope.csv\n"),
     ("design.yaml", "catalogue", "nope.csv")),
    ("data-folder-missing", BASE.replace("  folder: data\n", "  folder: nowhere\n"), ("nowhere",)),
]


@pytest.mark.parametrize("design,must", [pytest.param(d, m, id=i) for i, d, m in FAULTS])
def test_design_fault_refused(base, capsys, design, must):
    path = base / "design.yaml"
    path.write_bytes(design.encode("utf-8") if isinstance(design, str) else design)
    before = fingerprint(base)
    code, text = run(["evaluate", path, "--out", base / "out"], capsys)
    assert_refused(code, text, must, before, fingerprint(base), base)


def test_missing_or_folder_design(base, capsys):
    before = fingerprint(base)
    for target in (base / "nope.yaml", base / "data"):
        code, text = run(["evaluate", target, "--out", base / "out"], capsys)
        assert_refused(code, text, (target.name,), before, fingerprint(base), base)


def test_fault_count():
    assert len(FAULTS) >= 40
