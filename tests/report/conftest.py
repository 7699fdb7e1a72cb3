"""The demo's effect evaluation rendered once in each language, for the language and accessibility tests.

tests/data/demo_results.json is the protected results bundle `virkning demo` writes (evaluation/results/results.json,
full size: sensitivity, adjusted effects, propensity-score distribution, common support, four robustness variants),
frozen so the report tests need no evaluation run.
"""

import json
from pathlib import Path

import pytest

DEMO = Path(__file__).parent.parent / "data" / "demo_results.json"


@pytest.fixture(scope="session")
def demo_bundle() -> dict:
    return json.loads(DEMO.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def demo_reports(demo_bundle, tmp_path_factory) -> dict[str, Path]:
    """report.html of the demo bundle in Danish and in English (figures beside it)."""
    import copy

    from virkning.analyses.effect import render_report

    out = {}
    for lang in ("da", "en"):
        out[lang] = render_report(copy.deepcopy(demo_bundle), tmp_path_factory.mktemp(f"demo_{lang}"), language=lang)
    return out
