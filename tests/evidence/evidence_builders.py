"""Builders of small evidence-base files for the tests (imported by the test modules; not a conftest, so the
top-level tests keep importing their own conftest): a study is a dict, the file is YAML text."""

from __future__ import annotations

from typing import Any

import pytest
import yaml


def study(sid: str, *, design: str = "rct", country: str = "DK", year: int = 2015, rel: Any = 5, tra: Any = 5,
          direction: str = "positive", core: str = "samtaler", outcome: str = "employment",
          findings: list[dict] | None = None, **extra: Any) -> dict[str, Any]:
    """A minimal appraised study with one finding (or the given findings) on core element x outcome."""
    if findings is None:
        findings = [{"core_element": core, "outcome": outcome, "direction": direction}]
    out = {"id": sid, "title": f"Study {sid}", "authors": [f"Author{sid}, A."], "year": year, "country": country,
           "design": design, "core_elements": sorted({f.get("core_element") for f in findings
                                                     if f.get("core_element")} | {core}),
           "method": {"reliability": {"score": rel}, "transferability": {"score": tra}}, "findings": findings}
    out.update(extra)
    return out


def base_yaml(studies: list[dict], **sections: Any) -> str:
    return yaml.safe_dump({"format_version": 1, **sections, "studies": studies}, allow_unicode=True,
                          sort_keys=False)


@pytest.fixture
def make_study():
    return study


@pytest.fixture
def make_base_yaml():
    return base_yaml
