"""The campaign screens in a real headless Chromium with JavaScript switched off: paste
numbers, check, confirm, then the campaign's page — counts and the server-drawn chart,
styled by the manager's stylesheet under its Content-Security-Policy."""

from __future__ import annotations

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.support.browser import AXE, CHROMEDRIVER, CHROMIUM, FLAGS, audit, chromium, snapshot
from tests.support.servers import GunicornServer
from tests.test_browser import text, wait

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing: run tests/system-deps.sh as root"
)


@pytest.fixture
def no_js_browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    prefs = {"intl.accept_languages": "fr-FR,fr"}
    prefs["profile.managed_default_content_settings.javascript"] = 2  # JavaScript off
    options.add_experimental_option("prefs", prefs)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_a_campaign_from_the_manager_without_javascript(tmp_path, no_js_browser):
    server = GunicornServer(tmp_path, sms_rate_per_second=50)
    printed = server.run_init()
    browser = no_js_browser
    with server:
        browser.get(server.url + "/manager/campaigns")
        browser.find_element(By.ID, "username").send_keys(printed["Manager user"])
        browser.find_element(By.ID, "password").send_keys(printed["Password"], Keys.ENTER)
        wait(browser, lambda d: d.find_element(By.ID, "check"))
        # manager.js (loaded by every page) did not run: scripts really are off
        assert browser.execute_script("return typeof window.smsreply") == "undefined"
        browser.find_element(By.ID, "name").send_keys("Sondage")
        browser.find_element(By.ID, "message").send_keys("Venez-vous samedi ? OUI/NON")
        numbers = "06 12 34 56 78\n0612345679\n01 23 45 67 89\n"
        browser.find_element(By.ID, "numbers").send_keys(numbers)
        browser.find_element(By.ID, "check").click()
        wait(browser, lambda d: d.find_element(By.ID, "confirm"))
        assert "2 destinataire(s), 2 SMS, 2 crédit(s)" in text(browser, "#preview-summary")
        assert "pas un mobile de France métropolitaine" in text(browser, "table")
        snapshot(browser, tmp_path / "campaign-check.png")
        browser.find_element(By.ID, "confirm").click()
        wait(browser, lambda d: "/manager/campaigns/" in d.current_url)
        for _ in range(40):
            if text(browser, "#count-sent") == "2":
                break
            browser.refresh()
        assert text(browser, "#count-sent") == "2"
        bars = browser.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar-sent")
        assert bars and bars[0].value_of_css_property("fill") == "rgb(31, 95, 168)"
        assert "Envois et réponses dans le temps" in text(browser, "h2:nth-of-type(2)")
        snapshot(browser, tmp_path / "campaign.png")


def log_in(browser, server, printed) -> None:
    browser.get(server.url + "/manager/campaigns")
    browser.find_element(By.ID, "username").send_keys(printed["Manager user"])
    browser.find_element(By.ID, "password").send_keys(printed["Password"], Keys.ENTER)
    wait(browser, lambda d: d.find_element(By.ID, "check"))


def check_and_confirm(browser, name: str, numbers: str) -> None:
    browser.find_element(By.ID, "name").send_keys(name)
    browser.find_element(By.ID, "message").send_keys("Venez-vous ? OUI/NON")
    browser.find_element(By.ID, "numbers").send_keys(numbers)
    browser.find_element(By.ID, "check").click()
    wait(browser, lambda d: d.find_element(By.ID, "confirm"))


def test_schedule_with_the_picker_then_cancel_after_a_confirmation(tmp_path, no_js_browser):
    """The date-time picker (no JavaScript) is read in Europe/Paris; cancelling asks first,
    on a page of its own, saying how many recipients it stops and what it refunds."""
    server = GunicornServer(tmp_path, sms_rate_per_second=50)
    printed = server.run_init()
    browser = no_js_browser
    with server:
        log_in(browser, server, printed)
        picker = browser.find_element(By.ID, "send_at")
        assert picker.get_attribute("type") == "datetime-local"
        # Typed field by field as Chromium's picker takes it: the date (01/01, the same
        # whichever comes first, day or month), then the time (an AM mark if it asks one)
        picker.send_keys("01012099", Keys.TAB, "0930A")
        assert picker.get_attribute("value") == "2099-01-01T09:30"
        check_and_confirm(browser, "Plus tard", "0612345678\n0612345679\n0612345680\n")
        assert "1 janv. 2099, 09:30" in text(browser, "#preview-when")
        browser.find_element(By.ID, "confirm").click()
        wait(browser, lambda d: "/manager/campaigns/" in d.current_url)
        assert "programmée" in text(browser, ".lead")
        browser.find_element(By.ID, "cancel").click()
        wait(browser, lambda d: d.find_element(By.ID, "confirm-cancel"))
        assert text(browser, "#cancel-summary").startswith(
            "3 destinataire(s) pas encore envoyé(s) ne le recevront pas ; 3 crédit(s) seront "
            "remboursé(s)."
        )
        snapshot(browser, tmp_path / "campaign-cancel.png")
        browser.find_element(By.ID, "confirm-cancel").click()
        wait(browser, lambda d: "3 crédit(s) remboursé(s)" in d.page_source)
        assert "annulée" in text(browser, ".lead")


def audit_sending_page(tmp_path, url: str, printed: dict) -> None:
    """No serious or critical axe violation on a page that reloads itself (a refresh
    through ``<meta http-equiv>`` would be one: axe's ``meta-refresh`` rule)."""
    driver = chromium(tmp_path / "with-javascript")
    try:
        driver.get(url)
        driver.find_element(By.ID, "username").send_keys(printed["Manager user"])
        driver.find_element(By.ID, "password").send_keys(printed["Password"], Keys.ENTER)
        wait(driver, lambda d: d.find_element(By.ID, "auto-refresh"))
        assert not any(audit(driver, wide=True).values())
    finally:
        driver.quit()


def test_progress_refreshes_itself_without_javascript(tmp_path, no_js_browser):
    server = GunicornServer(tmp_path, sms_rate_per_second=0.2)
    printed = server.run_init()
    browser = no_js_browser
    with server:
        log_in(browser, server, printed)
        check_and_confirm(browser, "Lent", "0612345678\n0612345679\n0612345680\n")
        browser.find_element(By.ID, "confirm").click()
        wait(browser, lambda d: "/manager/campaigns/" in d.current_url)
        assert "transmis" in text(browser, "#progress-text")
        assert "toutes les 10 s" in text(browser, "#auto-refresh")
        if AXE.exists():  # reloading is allowed (the reader can stop it): axe, with JavaScript
            audit_sending_page(tmp_path, browser.current_url, printed)
        # No browser.refresh(): the page reloads itself (every 10 s) until all are sent.
        wait(browser, lambda d: text(d, "#count-sent") == "3", timeout=60)
        wait(browser, lambda d: not d.find_elements(By.ID, "auto-refresh"), timeout=30)
        assert "100 % transmis (3 sur 3)" in text(browser, "#progress-text")
