"""Benchmark the report's PDF (virkning.report.pdf.report_pdf) on a saved report page.

    python benchmarks/bench_pdf.py                                   # the test sample's Danish report
    python benchmarks/bench_pdf.py --html demo-output/evaluation/report.html --repeat 5
    python benchmarks/bench_pdf.py --html report.html --baseline ../base/src --repeat 5

Each run is a fresh process (WeasyPrint's import and font set-up count, as in `virkning evaluate --pdf`) that
makes the PDF of the page once: the wall and CPU time of `render` (layout) and `write` (PDF bytes), how many
times the page was laid out, the pages and peak memory. The cover is fixed (no clock, no design file).

--baseline names another checkout's src folder (for example a worktree of main): the runs then alternate between
that code and this one, and the table gives min and median of each, their ratio, and whether the two PDFs are
byte-identical; when not, whether their pages (count, size, orientation) and each page's text are (pypdf).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent


def one(html_path: str, out: str) -> dict:
    """Make the PDF once in this process; write it to `out`; return the times."""
    from virkning.report import pdf

    html = Path(html_path).read_text(encoding="utf-8")
    language = (re.search(r'<html[^>]*\slang="([a-z]+)"', html) or [None, "da"])[1]
    cover = pdf.Cover(language=language, version="bench", design_hash="0" * 64, date=dt.date(2019, 7, 31))
    layouts = 0
    original = pdf._layout

    def counted(page):
        nonlocal layouts
        layouts += 1
        return original(page)

    pdf._layout = counted
    t, c = time.perf_counter(), time.process_time()
    document = pdf.render(html, cover)
    t1, c1 = time.perf_counter(), time.process_time()
    data = pdf.write(document)
    t2, c2 = time.perf_counter(), time.process_time()
    Path(out).write_bytes(data)
    return {"render_s": t1 - t, "write_s": t2 - t1, "total_s": t2 - t, "render_cpu_s": c1 - c,
            "total_cpu_s": c2 - c, "layouts": layouts, "pages": len(document.pages),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_one(html: str, out: str, src: str) -> dict:
    cmd = [sys.executable, __file__, "--one", "--html", html, "--out", out]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=os.environ | {"PYTHONPATH": src})
    return json.loads(done.stdout.strip().splitlines()[-1])


def pages(data: bytes) -> list[tuple[int, int, str]]:
    """(width, height, text) of each page, in points and with runs of white space as one space."""
    from pypdf import PdfReader

    return [(round(float(p.mediabox.width)), round(float(p.mediabox.height)),
             re.sub(r"\s+", " ", p.extract_text())) for p in PdfReader(io.BytesIO(data)).pages]


def sample_page(folder: Path) -> str:
    """The test sample's Danish report page, written to `folder`."""
    from virkning.analyses.effect.sections import report_html

    bundle = json.loads((ROOT / "tests" / "data" / "sample_results_protected.json").read_text(encoding="utf-8"))
    path = folder / "sample.html"
    path.write_text(report_html(bundle, "da")[0], encoding="utf-8")
    return str(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--html", help="a saved report.html (default: the test sample's report)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each code")
    ap.add_argument("--baseline", help="another checkout's src folder to time against, alternately")
    ap.add_argument("--json", action="store_true", help="print the runs as JSON")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # internal: one run in this process
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.html, args.out)))
        return

    codes = {"this": str(ROOT / "src")} | ({"baseline": args.baseline} if args.baseline else {})
    runs: dict[str, list[dict]] = {name: [] for name in codes}
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as tmp:
        html = args.html or sample_page(Path(tmp))
        size = len(Path(html).read_bytes()) / 1024
        outputs: dict[str, bytes] = {}
        for r in range(args.repeat):
            for name, src in reversed(codes.items()):  # the baseline first in each round
                print(f"{name}, run {r + 1} ...", file=sys.stderr, flush=True)
                out = str(Path(tmp) / f"{name}.pdf")
                runs[name].append(run_one(html, out, src))
                data = Path(out).read_bytes()
                if outputs.setdefault(name, data) != data:
                    sys.exit(f"{name}: two runs gave different PDF bytes")
    if args.json:
        print(json.dumps(runs, indent=2))
        return
    print(f"{args.html or 'the test sample'} ({size:,.0f} KB); {args.repeat} run(s) of each code, "
          "each in a fresh process")
    keys = ("render_s", "write_s", "total_s", "render_cpu_s", "total_cpu_s")
    print(f"{'code':>8} {'layouts':>7} {'pages':>5} " + " ".join(f"{k + ' min/med':>19}" for k in keys)
          + f" {'peak MB':>8}")
    for name, rs in runs.items():
        cells = " ".join(f"{min(x[k] for x in rs):>9.2f}/{median(x[k] for x in rs):<9.2f}" for k in keys)
        print(f"{name:>8} {rs[0]['layouts']:>7} {rs[0]['pages']:>5} {cells} {max(x['peak_mb'] for x in rs):>8.0f}")
    if args.baseline:
        b, t = runs["baseline"], runs["this"]
        for k in ("render_s", "total_s", "total_cpu_s"):
            print(f"{k}: baseline / this = {median(x[k] for x in b) / median(x[k] for x in t):.2f} (medians), "
                  f"{min(x[k] for x in b) / min(x[k] for x in t):.2f} (minima)")
        same = outputs["baseline"] == outputs["this"]
        digest = hashlib.sha256(outputs["this"]).hexdigest()[:16]
        print(f"PDF byte-identical: {'yes' if same else 'NO'} (sha256 of this {digest})")
        if not same:
            pb, pt = pages(outputs["baseline"]), pages(outputs["this"])
            print(f"pages: {len(pb)} vs {len(pt)}; sizes and orientation identical: "
                  f"{[p[:2] for p in pb] == [p[:2] for p in pt]}; text of every page identical: "
                  f"{[p[2] for p in pb] == [p[2] for p in pt]}")


if __name__ == "__main__":
    main()
