"""The report as PDF (virkning.report.pdf), rendered from the frozen protected sample: pages, fonts, text, tables
that fit the page, contiguous numbering, the cover, tags and language, determinism."""

import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("weasyprint")  # a pinned dependency; the import fails only where Pango is missing
from pypdf import PdfReader  # noqa: E402

from virkning import __version__  # noqa: E402
from virkning.analyses.effect.sections import report_html  # noqa: E402
from virkning.report import pdf  # noqa: E402

PROTECTED = Path(__file__).parent.parent / "data" / "sample_results_protected.json"
# the sample's PDF takes about 8 s of CPU to lay out, write and read back (once for the module): marker `slow`
slow = pytest.mark.slow
A4_WIDTH_PT = 595.28


@pytest.fixture(scope="module")
def sample():
    """(screen HTML, cover, laid-out document, PDF bytes, reader) of the sample's Danish report."""
    bundle = json.loads(PROTECTED.read_text(encoding="utf-8"))
    html, _ = report_html(bundle, "da")
    cover = pdf.Cover(language="da", version=__version__, design_hash=pdf.design_digest(bundle["design"]),
                      date=pdf.report_date([bundle["data"]["end_month"]]))
    document = pdf.render(html, cover)
    data = pdf.write(document)
    return html, cover, document, data, PdfReader(io.BytesIO(data))


@pytest.fixture(scope="module")
def texts(sample):
    return [re.sub(r"\s+", " ", page.extract_text()) for page in sample[4].pages]


@slow
def test_a4_pages_in_a_sane_number(sample):
    reader = sample[4]
    assert 10 <= len(reader.pages) <= 30, len(reader.pages)  # 17 with WeasyPrint 70 and the DejaVu fonts
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert sorted([width, height]) == pytest.approx([A4_WIDTH_PT, 841.89], abs=0.5)


@slow
def test_every_font_is_embedded(sample):
    reader = sample[4]
    seen = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descriptor_of = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descriptor_of["/FontDescriptor"].get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]
            seen.add(str(font["/BaseFont"]).split("+")[-1])
    assert "DejaVu-Sans" in seen and "DejaVu-Sans-Bold" in seen, seen


@slow
def test_text_is_extractable(texts):
    text = " ".join(texts)
    assert "Sammenfatning" in text and "Metodebilag" in text
    assert "17.156" in text  # a count of Tabel 3, as the screen page shows it
    assert "kontrolgruppen, en forskel på 6,0 procentpoint" in text


@slow
def test_every_table_fits_its_page(sample):
    document = sample[2]
    assert pdf.table_overflows(document) == []
    # every table the PDF prints was laid out and measured: all but the figures' number tables (screen only)
    printed = re.sub(r'<details class="figure-data">.*?</details>', "", sample[0], flags=re.S).count("<table")
    assert printed >= 14 and _laid_out_tables(document) == printed


def _laid_out_tables(document) -> int:
    from weasyprint.formatting_structure import boxes

    return len({id(box.element) for box in _boxes(document) if isinstance(box, boxes.TableBox)})


def _boxes(document):
    """Every laid-out box of the document, page by page, in the order of the page (parents before children)."""
    stack = [p._page_box for p in reversed(document.pages)]
    while stack:
        box = stack.pop()
        yield box
        stack.extend(reversed(getattr(box, "children", ())))


def _table_page(cells: int, chars: int) -> str:
    """A page with the report's style sheet and one table of `cells` columns of `chars` unbreakable characters."""
    from virkning.report.render import TEMPLATES

    css = (TEMPLATES / "style.css").read_text(encoding="utf-8")
    row = "".join(f'<td class="num">{"8" * chars}{i}</td>' for i in range(cells))
    return (f'<!DOCTYPE html><html lang="da"><head><title>T</title><style>{css}</style></head><body>'
            f'<header class="doc"><h1>T</h1></header><main><div class="table-wrap" id="tab-x"><table class="data">'
            f'<caption>Bred</caption><tr>{row}</tr></table></div></main></body></html>')


COVER = pdf.Cover(language="da", version="0", design_hash="0" * 64)


def test_a_table_too_wide_for_portrait_gets_a_landscape_page():
    document = pdf.render(_table_page(cells=9, chars=12), COVER)  # about 900 px: portrait has 690, landscape 1020
    assert pdf.table_overflows(document) == []
    sizes = [(round(p.width), round(p.height)) for p in document.pages]
    assert sizes[0][0] < sizes[0][1] and sizes[-1][0] > sizes[-1][1], sizes  # portrait cover, landscape table


def test_the_overflow_check_finds_a_table_wider_than_a_landscape_page():
    found = pdf.table_overflows(pdf.render(_table_page(cells=12, chars=24), COVER))
    assert len(found) == 1 and found[0].caption == "Bred" and found[0].wrap_id == "tab-x"
    assert found[0].width > found[0].room


def test_a_wide_table_of_many_columns_is_measured_before_the_page_is_laid_out(monkeypatch):
    """13 columns (`WIDE_COLUMNS`): measured on `tables_page`, so the whole page is laid out once, turned."""
    laid_out = _count_layouts(monkeypatch)
    document = pdf.render(_table_page(cells=13, chars=7), COVER)  # about 830 px
    assert len(laid_out) == 2 and "<header" not in laid_out[0] and "page: wide" in laid_out[1]
    assert [p.width > p.height for p in document.pages] == [False, True] and pdf.table_overflows(document) == []


def test_a_wide_table_of_few_columns_is_found_on_the_laid_out_page(monkeypatch):
    """9 columns: not measured beforehand; found too wide on the laid-out page, it turns all the same."""
    laid_out = _count_layouts(monkeypatch)
    document = pdf.render(_table_page(cells=9, chars=12), COVER)
    assert len(laid_out) == 2 and "<header" in laid_out[0] and "page: wide" in laid_out[1]
    assert [p.width > p.height for p in document.pages] == [False, True] and pdf.table_overflows(document) == []


def _count_layouts(monkeypatch) -> list[str]:
    laid_out: list[str] = []
    layout = pdf._layout
    monkeypatch.setattr(pdf, "_layout", lambda page: laid_out.append(page) or layout(page))
    return laid_out


def test_the_cut_down_page_keeps_each_table_in_the_elements_around_it():
    page = ('<html><head><style>p { color: red }</style></head><body class="b"><header class="doc"><h1>T</h1>'
            '</header><main><section id="a"><h2>A</h2><p>text<br>more</p><div class="table-wrap" id="tab-1"><table>'
            '<tr><td>1</td></tr></table></div><figure><svg><path d="M0 0"/></svg></figure><details open><summary>S'
            '</summary><div class="table-wrap long" id="tab-2"><table><tr><td>2<img src="x"></td></tr></table></div>'
            '</details></section><section id="b"><div class="table-wrap"><table><tr><td>3</td></tr></table></div>'
            '</section></main></body></html>')
    assert pdf.tables_page(page) == (
        '<html><head><style>p { color: red }</style></head><body class="b"><main><section id="a">'
        '<div class="table-wrap" id="tab-1"><table><tr><td>1</td></tr></table></div><details open>'
        '<div class="table-wrap long" id="tab-2"><table><tr><td>2<img src="x"></td></tr></table></div></details>'
        '</section><section id="b"><div class="table-wrap"><table><tr><td>3</td></tr></table></div></section></main>'
        '</body></html>')
    assert pdf.tables_page(page.replace("</details>", "", 1)) is None  # an end tag missing: no offsets to trust
    assert pdf.tables_page(page, min_columns=2) is None
    two = page.replace("<td>3</td>", '<td colspan="2">3</td>')
    assert pdf.tables_page(two, min_columns=2).endswith(
        '<main><section id="b"><div class="table-wrap"><table><tr><td colspan="2">3</td></tr></table></div></section>'
        '</main></body></html>')
    assert pdf.tables_page("<p>no body</p>") is None


def test_long_tables_may_run_over_pages_short_ones_stay_whole():
    rows = lambda n: "".join("<tr><td>1</td></tr>" for _ in range(n))  # noqa: E731
    page = (f'<header class="doc"></header><div class="table-wrap" id="tab-a"><table>{rows(30)}</table></div>'
            f'<div class="table-wrap" id="tab-b"><table>{rows(5)}</table></div>')
    out = pdf.pdf_html(page, COVER)
    assert '<div class="table-wrap long" id="tab-a">' in out and '<div class="table-wrap" id="tab-b">' in out


@slow
def test_the_cut_down_page_gives_every_table_the_width_the_whole_page_does(sample):
    """The sample's tables all fit portrait, so its PDF is the whole page laid out for portrait: each table there
    is exactly as wide, with exactly as much room, as on the page cut down to the tables."""
    cut = pdf.tables_page(pdf.pdf_html(sample[0], sample[1]))
    assert cut is not None and cut.count('class="table-wrap') == sample[0].count('class="table-wrap')
    whole, measured = (_widths(d) for d in (sample[2], pdf._layout(cut)))
    assert len(whole) >= 14 and whole == measured


def _widths(document) -> set[tuple]:
    """(table-wrap id, caption, width, room) of each table (its first part where it runs over pages)."""
    return {(t.wrap_id, t.caption, t.width, t.room) for t in pdf.table_widths(document) if t.caption}


@slow
def test_table_and_figure_numbers_are_contiguous(sample, texts):
    """Tabel 5 sits in a collapsed <details> on screen; the PDF prints it, so the numbers run 1..13 without a gap."""
    text = " ".join(texts)
    tables = sorted({int(n) for n in re.findall(r"Tabel (\d+)\.", text)})
    figures = sorted({int(n) for n in re.findall(r"Figur (\d+)\.", text)})
    assert tables == list(range(1, len(tables) + 1)) and len(tables) >= 13
    assert figures == list(range(1, 7))
    assert tables == sorted({int(n) for n in re.findall(r'num-label">Tabel (\d+)\.', sample[0])})
    assert "<details>" in sample[0]  # the screen page keeps its collapsed section


@slow
def test_cover_holds_title_date_version_and_design_hash(sample, texts):
    cover = texts[0]
    assert "Seniorvikar (syntetiske data)" in cover and "Effektevaluering".upper() in cover.upper()
    assert f"virkning-version {__version__}" in cover
    assert sample[1].design_hash in cover.replace(" ", "") and len(sample[1].design_hash) == 64
    assert "Dato 31. juli 2019" in cover  # the last day of the registers' last month, not today
    assert "Rapporten bygger på syntetiske data" in cover
    assert re.search(r"Sammenfatning \.*\s*2\b", cover)  # the contents with page numbers


@slow
def test_pages_are_numbered_side_x_af_y(texts):
    n = len(texts)
    for i, text in enumerate(texts, start=1):
        assert f"Side {i} af {n}" in text, i


@slow
def test_tagged_pdf_with_language_and_title(sample):
    reader = sample[4]
    root = reader.trailer["/Root"].get_object()
    assert root["/MarkInfo"]["/Marked"] is True or root["/MarkInfo"]["/Marked"] == True  # noqa: E712
    assert "/StructTreeRoot" in root and root["/Lang"] == "da"
    assert reader.metadata.title == "Seniorvikar (syntetiske data) – Effektevaluering"
    assert "pdfuaid" in reader.xmp_metadata.stream.get_data().decode("utf-8")  # the PDF/UA-1 claim
    assert reader.metadata.creation_date.date() == dt.date(2019, 7, 31)
    assert len(reader.trailer["/ID"]) == 2  # the file identifier (an MD5 of the content)


@slow
def test_every_figure_has_a_text_alternative(sample):
    """The tagged figures carry /Alt (the figure's text alternative, else its caption)."""
    alts = _figure_alts(sample[4])
    figures = sample[0].count('<div class="figure-body">')
    assert len(alts) >= figures == 6 and all(len(a) > 20 for a in alts), alts


def _figure_alts(reader) -> list[str]:
    """The /Alt of every /Figure in the PDF's structure tree."""
    alts, seen, stack = [], set(), [reader.trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        node = stack.pop()
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict) and id(node) not in seen:
            seen.add(id(node))
            if node.get("/S") == "/Figure":
                alts.append(str(node.get("/Alt", "")))
            kids = node.get("/K")
            if kids is not None:
                stack.append(kids)
    return alts


def _small(cover):
    page = ('<!DOCTYPE html><html lang="en"><head><title>T</title><style></style></head><body><header class="doc">'
            '<h1>T</h1></header><main><h2>One</h2><details><summary>More</summary><p>Hidden on screen</p></details>'
            '</main></body></html>')
    return pdf.report_pdf(page, cover)


def test_same_inputs_same_bytes_and_the_date_from_the_inputs(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    cover = pdf.Cover(language="en", version="9.9", design_hash="ab" * 32, date=pdf.report_date(["2019-02", "2018-12"]))
    assert cover.date == dt.date(2019, 2, 28)
    import time

    now = time.time()
    first = _small(cover)
    monkeypatch.setattr(time, "time", lambda: now + 86_400)  # the second run a day later: fonts carry no clock time
    second = _small(cover)
    assert first == second and "SOURCE_DATE_EPOCH" not in __import__("os").environ
    reader = PdfReader(io.BytesIO(first))
    text = reader.pages[1].extract_text()
    assert "Hidden on screen" in text and "Page 2 of 2" in text  # details printed open; English page numbers
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert pdf.report_date(["2019-02"]) == dt.date(2023, 11, 14)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(pdf.PdfError, match="SOURCE_DATE_EPOCH expected whole seconds"):
        pdf.report_date([])


def test_unknown_language_is_refused():
    with pytest.raises(pdf.PdfError, match="expected one of da, en; got 'de'"):
        pdf.pdf_html("<html></html>", pdf.Cover(language="de", version="0", design_hash=""))


@slow
def test_monitor_writes_each_status_page_as_pdf(synth_folder, tmp_path):
    """`virkning monitor --pdf`: status_<month>.pdf beside the status page, dated by the month, in the manifest."""
    from typer.testing import CliRunner

    from virkning.cli import app
    from virkning.demo import example
    from virkning.synth.sheets import write_monitoring_data

    data = tmp_path / "data"
    data.mkdir()
    for p in synth_folder.iterdir():
        if p.is_file():
            shutil.copy(p, data / p.name)
    write_monitoring_data(data, seed=3)
    design = tmp_path / "design.yaml"
    design.write_text(example("seniorvikar"), encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["monitor", str(design), "--data", str(data), "--out", str(out), "--no-registers",
                                   "--month", "2018-02", "--pdf"])
    assert res.exit_code == 0, res.output
    reader = PdfReader(out / "2018-02" / "status_2018-02.pdf")
    cover = reader.pages[0].extract_text()
    assert "Dato 28. februar 2018" in re.sub(r"\s+", " ", cover) and f"virkning-version {__version__}" in cover
    assert reader.trailer["/Root"]["/Lang"] == "da" and len(reader.pages) >= 2
    assert "2018-02/status_2018-02.pdf" in json.loads((out / "manifest.json").read_text())["files"]


def test_the_design_names_the_organisation_on_the_cover(tmp_path):
    from virkning.demo import example
    from virkning.design import load_design

    path = tmp_path / "design.yaml"
    path.write_text("organisation: Demo-kommunen\n" + example("minimal"), encoding="utf-8")
    design = load_design(path)
    assert design.organisation == "Demo-kommunen"
    page = pdf.pdf_html("<header class=\"doc\"></header><style></style>",
                        pdf.Cover(language="da", version="0", design_hash="0", organisation=design.organisation))
    assert "<dt>Organisation</dt><dd>Demo-kommunen</dd>" in page


@slow
def test_the_demo_report_fits_a4_with_landscape_pages_for_its_widest_tables(demo_reports, demo_bundle):
    """The frozen demo bundle (relative effects beside the differences, four robustness variants): its effect tables
    by month are too wide for A4 portrait, so they get landscape pages; afterwards no table is wider than its page
    and nothing collapsed is lost (table numbers run without a gap)."""
    html = demo_reports["da"].read_text(encoding="utf-8")
    cover = pdf.Cover(language="da", version=__version__, design_hash=pdf.design_digest(demo_bundle["design"]),
                      date=pdf.report_date([demo_bundle["data"]["end_month"]]))
    document = pdf.render(html, cover)
    assert pdf.table_overflows(document) == []
    landscape = [i for i, p in enumerate(document.pages, start=1) if p.width > p.height]
    assert 1 <= len(landscape) <= 4 and 15 <= len(document.pages) <= 35, (landscape, len(document.pages))
    # measured on the cut-down page: the tables too wide for portrait are on landscape pages, the tables on
    # portrait pages exactly as wide as measured
    measured = pdf.table_widths(pdf._layout(pdf.tables_page(pdf.pdf_html(html, cover))))
    turned = {t.wrap_id for t in pdf.table_widths(document) if document.pages[t.page - 1].width > 1000}
    assert {t.wrap_id for t in measured if t.width > t.room + 0.5} <= turned
    assert {x for x in _widths(document) if x[0] not in turned} == {
        (t.wrap_id, t.caption, t.width, t.room) for t in measured if t.caption and t.wrap_id not in turned}
    text = " ".join(pdf._texts(p._page_box) for p in document.pages)
    tables = sorted({int(n) for n in re.findall(r"Tabel (\d+)\.", text)})
    assert tables == list(range(1, len(tables) + 1)) and len(tables) >= 15
    assert tables == sorted({int(n) for n in re.findall(r'num-label">Tabel (\d+)\.', html)})


def _figure_page() -> str:
    """The report's style sheet and two figures as the report writes them: one with an aria-label, wide; one
    without, tall enough for the print rule's maximum height."""
    from virkning.report.render import TEMPLATES

    css = (TEMPLATES / "style.css").read_text(encoding="utf-8")
    shapes = '<rect x="10" y="10" width="100" height="50" style="fill: #1f77b4"/><text x="20" y="40">5 &amp; 7</text>'
    wide = (f'<svg role="img" aria-label="Kurver &quot;A&quot; og B" class="figure-svg" style="max-width: 300pt" '
            f'viewBox="0 0 400 200" version="1.1">{shapes}</svg>')
    tall = f'<svg class="figure-svg" style="max-width: 900pt" viewBox="0 0 400 900" version="1.1">{shapes}</svg>'
    # between them a figure drawn otherwise, whose caption must not run into the next figure's
    figures = "".join(f'<figure><figcaption>Figur {i}. <b>Titel</b> {i}</figcaption><div class="figure-body">{svg}'
                      f'</div></figure>' for i, svg in ((1, wide), ("1a", "<p>Ingen figur</p>"), (2, tall)))
    return (f'<!DOCTYPE html><html lang="da"><head><title>T</title><style>{css}</style></head><body>'
            f'<header class="doc"><h1>T</h1></header><main>{figures}</main></body></html>')


def _image_boxes(document) -> list[tuple[float, float]]:
    from weasyprint.formatting_structure import boxes

    return [(round(b.width, 3), round(b.height, 3)) for b in _boxes(document) if isinstance(b, boxes.ReplacedBox)]


def test_figures_become_images_of_the_same_size_with_their_text_alternatives(monkeypatch):
    page = _figure_page()
    html = pdf.pdf_html(page, COVER)
    assert "<svg" not in html.split("</style>")[-1] and html.count('<img class="figure-svg"') == 2
    assert 'alt="Kurver &quot;A&quot; og B" style="max-width: 300pt"' in html
    assert 'alt="Figur 2. Titel 2" style="max-width: 900pt"' in html  # no aria-label: the caption, tags dropped
    images = _image_boxes(pdf.render(page, COVER))
    monkeypatch.setattr(pdf, "_figure_images", lambda text: text)  # the figures inline, as the page has them
    inline = _image_boxes(pdf.render(page, COVER))
    assert images == inline and len(images) == 2
    (w1, h1), (w2, h2) = images
    assert h1 == pytest.approx(w1 / 2, rel=1e-3)  # the viewBox's shape
    assert h2 == pytest.approx(125 / 25.4 * 96, rel=1e-3) and w2 > w1  # the print rule's 125 mm, in CSS px
    monkeypatch.undo()
    alts = _figure_alts(PdfReader(io.BytesIO(pdf.report_pdf(page, COVER))))
    assert sorted(alts) == ['Figur 2. Titel 2', 'Kurver "A" og B']
