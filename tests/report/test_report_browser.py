"""Open the rendered report in headless Chromium (without network) and check the screenshot is not blank.

Skipped where Chromium is not installed (CI machines); scripts/check_report.sh is the same check by hand."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from virkning.analyses.effect import render_report

ROOT = Path(__file__).parent.parent.parent
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(BROWSER is None, reason="Chromium is not installed")
def test_report_displays_in_chromium(tmp_path):
    from PIL import Image

    bundle = json.loads((ROOT / "tests" / "data" / "sample_results.json").read_text(encoding="utf-8"))
    report = render_report(bundle, tmp_path / "out")
    shot = tmp_path / "shot.png"
    res = subprocess.run(["bash", str(ROOT / "scripts" / "check_report.sh"), str(report), str(shot), "2400"],
                         capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stderr
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2400)
    colours = image.getcolors(maxcolors=1 << 20) or []
    # text, table rules and the flow diagram's blue and orange boxes: far more than a blank page's few colours
    assert len(colours) > 200
    blue = sum(n for n, (r, g, b) in colours if b > 120 and r < 60 and g < 120)
    assert blue > 500  # headings and links in the report's blue
    orange = sum(n for n, (r, g, b) in colours if r > 180 and 80 < g < 130 and b < 40)
    assert orange > 200  # the pool's boxes in the inline SVG flow diagram
