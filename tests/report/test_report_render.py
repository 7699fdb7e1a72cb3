"""The HTML report rendered from the sample results bundle: sections, numbers, suppression, self-containment,
determinism."""

import copy
import json
import re
from html import unescape
from pathlib import Path

import pytest

from virkning.analyses.effect import render_report

SAMPLE = Path(__file__).parent.parent / "data" / "sample_results.json"
# the sample with its small cells blanked as a protected bundle carries them (a frozen fixture for rendering)
PROTECTED = Path(__file__).parent.parent / "data" / "sample_results_protected.json"
OUTCOMES = ("exit_beskaeftiget", "exit_vikar", "exit_tilbagetrukket")
HEADINGS = {
    "da": ["Overordnede konklusioner", "Sammenfatning", "Population og afgrænsning", "Deltagere sammenlignet med hele den berettigede population",
           "Balance før og efter matching", "Effekter måned for måned", "Tabel over effekter pr. måned",
           "Effekter i undergrupper", "Robusthed", "Forudsætninger og begrænsninger", "Metodebilag"],
    "en": ["Main conclusions", "Summary", "Population and selection", "Participants compared with the whole eligible population",
           "Balance before and after matching", "Effects month by month", "Table of effects by month",
           "Effects in subgroups", "Robustness", "Assumptions and limitations", "Method appendix"],
}


@pytest.fixture(scope="module")
def bundle() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rendered(bundle, tmp_path_factory) -> dict[str, Path]:
    out = {}
    for lang in ("da", "en"):
        folder = tmp_path_factory.mktemp(f"report_{lang}")
        out[lang] = render_report(copy.deepcopy(bundle), folder, language=lang)
    return out


def html(rendered, lang) -> str:
    return rendered[lang].read_text(encoding="utf-8")


def text_of(page: str) -> str:
    """Visible text without tags (inline SVG text included), whitespace collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page)))


def test_report_and_figures_are_written(rendered):
    for lang, path in rendered.items():
        assert path.name == "report.html" and path.stat().st_size > 50_000
        figures = path.parent / "figures"
        stems = ["flow", "love_plot", "forest", *(f"effect_{o}" for o in OUTCOMES)]
        for stem in stems:
            png, svg = figures / f"{stem}.png", figures / f"{stem}.svg"
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
            assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml"), svg


def test_self_contained(rendered):
    for lang in ("da", "en"):
        page = html(rendered, lang)
        assert "http://" not in page and "https://" not in page
        assert "<script" not in page and "<link" not in page and "<img" not in page and "@import" not in page
        assert not re.search(r"url\((?!#)", page), "only in-document url(#id) references are allowed"
        assert page.count("<svg") == 6  # flow, Love plot, three effect curves, forest plot


def test_sections_in_order(rendered):
    for lang, headings in HEADINGS.items():
        page = html(rendered, lang)
        h2 = re.findall(r"<h2><span class=\"sec-no\">(\d+)\.</span> ([^<]+)</h2>", page)
        assert [title for _, title in h2] == headings
        assert [int(n) for n, _ in h2] == list(range(1, 12))


def test_summary_in_danish_words(rendered):
    page = text_of(html(rendered, "da"))
    # exit_vikar at month 7: 14.759 % vs 8.735 %, ATT 6.024 pp, CI 2.093 to 9.940
    assert ("7 måneder efter første informationsmøde var 14,8 % af deltagerne kommet i vikarjob mod 8,7 % i "
            "kontrolgruppen, en forskel på 6,0 procentpoint (95 %-konfidensinterval 2,1 til 9,9). Forskellen er "
            "statistisk signifikant på 5 %-niveauet.") in page
    # exit_beskaeftiget at month 7: interval -1.2 to 12.1 includes 0
    assert "en forskel på 5,1 procentpoint (95 %-konfidensinterval -1,2 til 12,1). Forskellen er ikke statistisk" in page
    assert "428 personer er registreret som deltagere" in page and "332 matchede kontrolpersoner" in page
    assert "juli 2019" in page and "9. januar 2018" in page


def test_summary_in_english_words(rendered):
    page = text_of(html(rendered, "en"))
    assert ("7 months after the first information meeting, 14.8% of the participants had had a temp-agency job, "
            "compared with 8.7% in the control group, a difference of 6.0 percentage points (95% confidence "
            "interval 2.1 to 9.9). The difference is statistically significant at the 5% level.") in page
    assert "July 2019" in page


def test_danish_and_english_number_formats(rendered):
    da, en = html(rendered, "da"), html(rendered, "en")
    assert '<td class="num count">17.156</td>' in da and '<td class="num count">17,156</td>' in en
    assert '<td class="num">[2,1; 9,9]</td>' in da and '<td class="num">[2.1, 9.9]</td>' in en
    assert '<td class="num">56,4</td>' in da  # mean age of participants
    assert "52,7 %" in da and "52.7%" in en  # share of women among participants


def test_balance_flags_and_love_plot(rendered):
    page = html(rendered, "da")
    assert page.count('<td class="center flag">Over grænsen</td>') == 4  # balance_summary.n_imbalanced
    assert 'id="fig-love_plot"' in page and "Love-plot" in page


def test_counts_carry_the_count_class(rendered):
    page = html(rendered, "da")
    counts = {"17.156", "16.824", "4.283", "69.493", "3.298", "137.466", "8.715"}
    for value in counts:
        hits = [m for m in re.finditer(r"<(\w+)([^>]*)>\s*([^<]*?)\s*</\1>", page) if value in m.group(3)]
        assert hits, value
        for m in hits:
            assert m.group(3) == value and re.search(r'class="[^"]*\bcount\b', m.group(2)), m.group(0)[:200]
    # counts inside the figures (flow boxes, at-risk rows) are marked too
    assert re.search(r'<text class="count"[^>]*>137\.466</text>', page)
    assert re.search(r'<text class="count"[^>]*>284</text>', page)  # at risk, exit_vikar month 7, participants


@pytest.fixture(scope="module")
def protected(bundle, tmp_path_factory) -> Path:
    """The sample after disclosure control, with one more null injected: rendered in Danish."""
    b = json.loads(PROTECTED.read_text(encoding="utf-8"))
    row = next(r for r in b["effects"] if r["outcome"] == "exit_vikar" and r["month"] == 3)
    row.update(att=None, ci_low=None, ci_high=None, treated_mean=None)
    return render_report(b, tmp_path_factory.mktemp("protected"), language="da")


def table_html(page: str, key: str) -> str:
    part = page[page.index(f'id="tab-{key}"'):]
    return part[:part.index("</div>\n</div>")]


def test_null_is_a_dash_with_footnote(protected):
    page = protected.read_text(encoding="utf-8")
    effects = table_html(page, "effects_exit_vikar")
    month3 = re.search(r"<tr><td class=\"num\">3</td>(.*?)</tr>", effects).group(1)
    assert month3.count(">–<") == 4  # participants, difference, interval, significance; SE and at risk stay
    assert '<td class="num count">301</td>' in month3
    assert "– Ikke vist: færre end 5 personer." in effects
    units = table_html(page, "units")
    assert units.count('<td class="num">–</td>') == 2  # Vallensbæk (2) and, secondarily, Langeland (5)
    assert "– Ikke vist: færre end 5 personer." in units
    assert "Punkter, der bygger på færre end 5 personer, er ikke tegnet." in page
    assert "Ikke vist" not in table_html(page, "effects_exit_beskaeftiget")


def test_threshold_and_language_from_design(bundle, tmp_path):
    b = copy.deepcopy(bundle)
    b["design"]["disclosure_threshold"] = 10
    b["design"]["language"] = "en"
    b["effects"][0]["n_treated"] = None
    b["design"]["robustness"] = {"controls aged 55-65": {"pool": {"age": [55, 65]}}}
    page = render_report(b, tmp_path).read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Method appendix" in page
    assert "– Not shown: fewer than 10 persons." in page
    assert "controls aged 55-65: Pool, age: 55-65." in page  # in words, never the raw `pool.age = [55, 65]`
    with pytest.raises(ValueError, match="language"):
        render_report(b, tmp_path, language="de")


def test_same_bundle_same_bytes(bundle, rendered, tmp_path):
    again = render_report(copy.deepcopy(bundle), tmp_path, language="da")
    first = rendered["da"]
    assert again.read_bytes() == first.read_bytes()
    for fa in sorted((first.parent / "figures").iterdir()):
        assert fa.read_bytes() == (tmp_path / "figures" / fa.name).read_bytes(), fa.name


def test_method_appendix_from_design(rendered):
    page = text_of(html(rendered, "da"))
    for fragment in ("informationsmøde", "fra 1. januar 2018 til og med 31. december 2018", "er 50-65 år",
                     "har en DREAM-kode for ledighed i ugen før indeksugen og indeksugen",
                     "Personer i beskæftigelse i indeksmåneden (beskæftigelsesgrad > 0)",
                     "employment_at_0 > 0", "uden tilbagelægning", "uden caliper", "weeks_sygdom_156w",
                     "Uger med sygedagpenge, seneste 156 uger", "Afgang til beskæftigelse",
                     "den første måned efter indeksmåneden med en positiv beskæftigelsesgrad i eIndkomst",
                     "Kaplan-Meier", "199 gentagelser", "seed 2018", "dream_codes.csv", "50-54, 55-59, 60-65"):
        assert fragment in page, fragment
    assert "/work/" not in page  # local paths of the data and catalogue are not published


def test_minimal_bundle_renders(tmp_path):
    b = {
        "version": 1,
        "design": {"name": "Minimal", "outcomes": [{"name": "andel_ledig", "kind": "status_share", "status": "ledig",
                                                     "horizon": 2}]},
        "effects": [{"outcome": "andel_ledig", "month": m, "att": -0.05, "se": 0.02, "ci_low": -0.09, "ci_high": -0.01,
                     "treated_mean": 0.5, "control_mean": 0.55, "n_treated": 40, "n_control": 40,
                     "at_risk_treated": 40, "at_risk_control": 40, "method": "matched regression"} for m in (1, 2)],
    }
    page = render_report(b, tmp_path, language="da").read_text(encoding="utf-8")
    assert "Andel i ledighed" in page and "Der er ikke kørt følsomhedsanalyser." in page
    assert "Der er ikke opgjort undergrupper." in page
    assert (tmp_path / "figures" / "effect_andel_ledig.svg").is_file()
