"""The portal in a real browser: Playwright drives the system's Chromium (Debian package; no browser download).

Login, a registration with an error corrected in place, an upload whose error is located by row, the status page,
and an attempt to open another unit's record. Skipped when Chromium or Playwright is missing, unless
VIRKNING_REQUIRE_BROWSER=1 (as .ci/run sets), where a missing browser is a failure."""

from __future__ import annotations

import io
import os

import openpyxl
import pytest

from virkning.portal.tests.conftest import BROWSER_ARGS, CHROMIUM, CPR_A, PASSWORD, chromium_missing

try:  # the module must still load, and skip, where Playwright is missing
    from playwright.sync_api import expect
except ImportError:
    expect = None  # type: ignore[assignment]
else:
    expect.set_options(timeout=15_000)  # as the pages' own default below: a loaded CI machine is slow

_missing = chromium_missing()
if _missing and os.environ.get("VIRKNING_REQUIRE_BROWSER") == "1":
    raise RuntimeError(f"VIRKNING_REQUIRE_BROWSER=1 but the browser tests cannot run: {_missing}")
pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(_missing), reason=_missing or "")]

# Playwright's sync API keeps an event loop in this thread; Django refuses ORM calls there unless told it is safe
# (the test thread only sets up data and reads results; requests run in the live server's threads).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server, live_world):
    context = browser.new_context(base_url=live_server.url)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.world = live_world
    yield pg
    context.close()


def log_in(pg, username: str) -> None:
    pg.goto("/login/")
    pg.fill("#id_username", username)
    pg.fill("#id_password", PASSWORD)
    pg.click("button[type=submit]")
    # a click waits only until the next page starts to arrive; wait until it has loaded away from the login
    pg.wait_for_url(lambda url: "/login/" not in url)


def test_login_wrong_password_then_right(page):
    page.goto("/registreringer/")
    assert "/login/" in page.url  # not logged in
    page.fill("#id_username", "jc-kolding")
    page.fill("#id_password", "forkert")
    page.click("button[type=submit]")
    assert "Forkert brugernavn eller adgangskode" in page.inner_text("p.error")
    log_in(page, "jc-kolding")
    assert page.url.endswith("/registreringer/")
    assert "010355-****" in page.content() and "Seniorvikar Roskilde" not in page.content()
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["portal-session"]["secure"] and cookies["portal-session"]["httpOnly"]


def test_registration_with_an_error_then_corrected(page):
    log_in(page, "jc-kolding")
    page.goto("/registreringer/ny/")
    page.fill("#id_cpr", "010170-1234")
    page.fill("#id_c_indkaldelsesdato", "2018-05-10")
    page.select_option("#id_c_deltaget", "ja")
    page.fill("#id_c_moededato", "2018-05-01")  # before the invitation: the guide's date rule
    page.select_option("#id_c_opskrevet", "nej")
    page.click("form.reg button[type=submit]")
    error = page.inner_text("#felt-c_moededato .field-error")
    assert error == "Datoen skal ligge samme dag som eller efter »Indkaldt« (10-05-2018)."
    assert "1234" not in page.content()  # the CPR number is not filled back into the page
    page.fill("#id_cpr", "010170-1234")
    page.fill("#id_c_moededato", "2018-05-17")
    page.click("form.reg button[type=submit]")
    # the form's page has an h1 too: wait for the record's (expect retries until it holds or times out)
    expect(page.locator("h1")).to_contain_text("Registrering 010170-****")
    expect(page.locator("table").last).to_contain_text("oprettet (formular)")


def test_upload_with_an_error_located(page, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Registrering"
    ws.append(["person_id", "projekt", "indkaldelsesdato", "deltaget", "moededato", "matchsamtale", "opskrevet",
               "opskrivningsdato", "opfoelgningsdato", "vikarjob_start", "vikar_branche", "alternativ_indsats"])
    ws.append(["0101701234", "Seniorvikar Kolding", "2018-04-02", "ja", "2018-04-09", None, "ja", "2018-04-10"])
    ws.append(["0202701234", "Seniorvikar Kolding", "2018-04-02", "ja", "2018-04-09", None, "måske"])
    path = tmp_path / "ark.xlsx"
    wb.save(path)
    log_in(page, "jc-kolding")
    page.goto("/upload/")
    page.set_input_files("#id_file", str(path))
    page.click("#upload-form button[type=submit]")
    # all_inner_texts() does not wait for the answer's page; expect retries until the row is there
    cells = page.locator("#upload-errors tbody tr").first.locator("td")
    expect(cells).to_have_text(["3", "opskrevet", "måske", "Skal være ja eller nej."])
    assert "intet er importeret" in page.inner_text("p.error")
    page.set_input_files("#id_file", str(path))
    page.check("#id_import_valid")
    page.click("#upload-form button[type=submit]")
    assert "1 nye" in page.inner_text("#upload-summary")


def test_status_page(page):
    log_in(page, "jc-kolding")
    page.goto("/status/?maaned=2018-03")
    report = page.inner_text("#status-report")
    assert "Seniorvikar Kolding" in report and "I alt" in report and "Roskilde" not in report
    assert "Succeskriterier" in report
    # the report's style came through the content security policy (nonce): the table header is styled
    bg = page.locator("#status-report th").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert bg == "rgb(244, 246, 248)"  # the shared report style (--soft)


def test_another_units_record_is_not_found(page):
    other = page.world.regs_b[0]
    log_in(page, "jc-kolding")
    resp = page.goto(f"/registreringer/{other.pk}/")
    assert resp.status == 404 and "Ikke fundet" in page.inner_text("h1")
    resp = page.goto(f"/api/registreringer/{other.pk}/")
    assert resp.status == 404
    resp = page.goto(f"/status/{page.world.unit_b.pk}/")
    assert resp.status == 404
    assert CPR_A[0] not in page.content()
