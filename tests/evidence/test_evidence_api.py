"""The public shape: frozen results with to_frame(), to_dict() (JSON-ready), a readable repr and _repr_html_."""

from __future__ import annotations

import dataclasses
import json

import pytest

import virkning.evidence as ev
from virkning.errors import DesignError


@pytest.fixture(scope="module")
def base():
    return ev.load_base(ev.example_path())


def test_public_names():
    for name in ("load_base", "grade", "synthesise", "search_flow", "study_from_evaluation", "read_yaml_with_lines",
                 "EvidenceBase", "GradingResult", "SynthesisResult", "SearchFlow", "Study"):
        assert hasattr(ev, name)
    with pytest.raises(DesignError, match="expected one of 'academics_2020'"):
        ev.example_path("nope")


def test_base_shape(base):
    assert repr(base).startswith("EvidenceBase('Litteraturreview") and "12 studies (DK 10, IT 1, SE 1" in repr(base)
    assert "<table" in base._repr_html_()
    frame = base.to_frame()
    assert list(frame["study"])[:3] == ["amilon2019", "berg2012", "ekspertgruppen2014"]
    assert frame.set_index("study").loc["pedersen2012", "label"] == "Pedersen et al. (2012)"
    assert frame.set_index("study").loc["rosholm2010", "label"] == "Rosholm and Svarer (2010)"
    assert len(base.findings_frame()) == sum(len(s.findings) for s in base.studies)
    json.dumps(base.to_dict())
    with pytest.raises(dataclasses.FrozenInstanceError):
        base.studies = ()
    with pytest.raises(Exception):
        base.studies[0].year = 2000  # study records are frozen too
    with pytest.raises(KeyError, match="no study 'x'"):
        base.study("x")


def test_flow_shape(base):
    flow = ev.search_flow(base)
    assert "identified 198 -> screened ? -> assessed_full_text ? -> included 12" in repr(flow)
    assert "<table" in flow._repr_html_()
    frame = flow.to_frame()
    assert {"stage", "n", "label_da", "label_en"} <= set(frame.columns) and str(frame["n"].dtype) == "Int64"
    d = flow.to_dict()
    json.dumps(d)
    assert d["stages"][0]["n"] == 198 and d["stages"][2]["n"] is None
    diagram = flow.diagram()
    assert diagram.startswith("flowchart TD") and "Fundne studier: n = 198" in diagram and "n = ?" in diagram
    assert "Records identified: n = 198" in flow.diagram("en")
    with pytest.raises(KeyError):
        flow.n("imagined")
    with pytest.raises(DesignError, match="option 'base'"):
        ev.search_flow("academics_2020.yaml")
