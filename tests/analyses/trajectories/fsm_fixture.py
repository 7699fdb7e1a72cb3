"""One synthetic Flere-skal-med run (10,000 persons, seed 7) shared by the trajectories tests: the registers and
truth.json, the example design, the analysis's raw result, its protected outputs and the written folder.

Not a conftest.py: the tests import helpers from the top-level conftest by that module name. Each test module
imports the fixture; the run is made once per session (memoised here) and its registers stay open to the end."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

PERSONS = 10_000
SEED = 7


_RUN: dict = {}


@pytest.fixture(scope="session")
def fsm_run(tmp_path_factory):
    if not _RUN:
        _RUN.update(_make(tmp_path_factory))
    return _RUN


def _make(tmp_path_factory) -> dict:
    from virkning.analyses import KINDS
    from virkning.analyses.base import Context
    from virkning.demo import example
    from virkning.design import load_design
    from virkning.outputs import evaluation_files, write_folder
    from virkning.registers import load
    from virkning.synth import generate

    root = tmp_path_factory.mktemp("fsm")
    data = root / "data"
    generate(data, persons=PERSONS, seed=SEED, programme="flere_skal_med")
    design_path = root / "design.yaml"
    design_path.write_text(example("flere_skal_med"), encoding="utf-8")
    design = load_design(design_path)
    regs = load(data, design.load_options())
    kind = KINDS["trajectories"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = kind.run(design, Context(data=data, threshold=design.disclosure_threshold, _registers=regs))
    outputs = kind.publish(result, design.disclosure_threshold)
    out = root / "evaluation"
    write_folder(out, evaluation_files(outputs, design, design.language, True))
    return {"data": data, "truth": json.loads((data / "truth.json").read_text(encoding="utf-8")), "design": design,
            "regs": regs, "result": result, "outputs": outputs, "out": out, "warnings": caught, "root": Path(root)}
