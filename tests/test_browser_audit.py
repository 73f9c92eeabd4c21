"""Every manager page, in French and English, at 1280 and 375 px, in a real headless Chromium.

smsreply runs under a real gunicorn; the data is made through the pages themselves (a
message with a long unbroken text and tag, a CGI answer, a STOP that fills the blacklist, a
top-up). Each page must then have no serious or critical axe-core violation, no console
error (a missing favicon is one), nothing sticking out of the viewport, and at 1280 px no
table needing to scroll and no time broken over lines. The same run writes the French
pages at 1280 px to ``docs/screenshots/`` (or ``$SMSREPLY_SCREENSHOTS``), so the
documentation's pictures never go stale.
"""

from __future__ import annotations

import os
import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.support.browser import AXE, CHROMIUM, audit, chromium, manager_server, snapshot
from tests.support.servers import ROOT

WIDTHS = (1280, 375)
LONG_TEXT = "Confirmation-" + "ABCDEFGHIJ" * 12 + " Répondez OUI ou NON"
LONG_TAG = "dossier-" + "x" * 56
# The screenshots of docs/manager.md: page name -> file.
SHOTS = {
    "compose": "compose.png",
    "options": "options.png",
    "conversations": "conversations.png",
    "thread": "thread.png",
    "replies": "replies.png",
    "credits": "credits.png",
    "blacklist": "blacklist.png",
    "console": "console.png",
}

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="/usr/bin/chromium is missing: run tests/system-deps.sh"
    ),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is missing: run tests/system-deps.sh"),
]


@pytest.fixture
def server(tmp_path, database_url):
    with manager_server(tmp_path, database_url) as started:
        yield started


@pytest.fixture
def browser(tmp_path):
    driver = chromium(tmp_path)
    yield driver
    driver.quit()


def wait(driver, condition, timeout: float = 20):
    return WebDriverWait(driver, timeout).until(condition)


def log_in(driver, base: str, username: str, password: str) -> None:
    driver.get(base + "/manager/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password, Keys.ENTER)
    wait(driver, lambda d: "/manager/login" not in d.current_url)
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "nav ul")))


def compose(driver, base: str, to: str, message: str, tag: str = "") -> str:
    driver.get(base + "/manager/compose")
    driver.find_element(By.ID, "to").send_keys(to)
    driver.find_element(By.ID, "message").send_keys(message)
    driver.find_element(By.ID, "tag").send_keys(tag)
    driver.find_element(By.ID, "send").click()
    wait(driver, EC.url_contains("/manager/conversations/"))
    return driver.current_url.rstrip("/").rsplit("/", 1)[1]


def simulate(driver, base: str, conversation: str, message: str) -> str:
    driver.get(base + f"/manager/console?conversation={conversation}")
    driver.find_element(By.ID, "message").send_keys(message)
    driver.find_element(By.ID, "simulate").click()
    card = wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "#result .reply")))
    return card.get_attribute("id").split("-")[1]


def campaign(driver, base: str) -> str:
    """A campaign scheduled with the date-time picker, one line refused: its id."""
    driver.get(base + "/manager/campaigns")
    driver.find_element(By.ID, "name").send_keys("Sondage de décembre")
    driver.find_element(By.ID, "message").send_keys("Venez-vous samedi ? OUI/NON")
    driver.find_element(By.ID, "numbers").send_keys("06 12 34 56 78\n01 23 45 67 89\n")
    driver.find_element(By.ID, "send_at").send_keys("01012099", Keys.TAB, "0930A")
    driver.find_element(By.ID, "check").click()
    wait(driver, EC.presence_of_element_located((By.ID, "confirm"))).click()
    wait(driver, EC.url_matches(r"/manager/campaigns/\d+$"))
    return driver.current_url.rstrip("/").rsplit("/", 1)[1]


def make_data(driver, base: str) -> dict[str, str]:
    """Real data, made through the pages: what every page then shows."""
    driver.get(base + "/manager/options")
    driver.find_element(By.ID, "action-cgi").click()
    Select(driver.find_element(By.ID, "script")).select_by_value("echo.sh")
    driver.find_element(By.ID, "rules-0-pattern").send_keys("INFO")
    driver.find_element(By.ID, "rules-0-value").send_keys("Cabinet ouvert de 9 h à 18 h.")
    driver.find_element(By.ID, "save-options").click()
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, ".flash")))
    conversation = compose(driver, base, "06 12 34 56 78", LONG_TEXT, LONG_TAG)
    reply = simulate(driver, base, conversation, "OUI " + "Z" * 90)
    stopped = compose(driver, base, "07 98 76 54 32", "Promo demain")
    simulate(driver, base, stopped, "STOP")
    driver.get(base + "/manager/credits")
    driver.find_element(By.ID, "amount").send_keys("50", Keys.ENTER)
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, ".flash")))
    return {"conversation": conversation, "reply": reply, "campaign": campaign(driver, base)}


def pages(ids: dict[str, str]) -> dict[str, str]:
    return {
        "compose": "/manager/compose",
        "options": "/manager/options",
        "conversations": "/manager/",
        "thread": f"/manager/conversations/{ids['conversation']}",
        "replies": "/manager/replies",
        "reply": f"/manager/replies/{ids['reply']}",
        "credits": "/manager/credits",
        "blacklist": "/manager/blacklist",
        "console": f"/manager/console?conversation={ids['conversation']}",
        "console-result": f"/manager/console?reply={ids['reply']}",
        "campaigns": "/manager/campaigns",
        "campaign": f"/manager/campaigns/{ids['campaign']}",
        "campaign-cancel": f"/manager/campaigns/{ids['campaign']}/cancel",
        "not-found": "/manager/no/such/page",
    }


def screenshots_folder(tmp_path):
    folder = os.environ.get("SMSREPLY_SCREENSHOTS")
    folder = ROOT / (folder or "docs/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_every_page_in_both_languages_and_widths_is_accessible_clean_and_fits(
    server, browser, tmp_path
):
    gunicorn, username, password = server
    base = gunicorn.url
    problems: dict[str, dict] = {}

    def check(name: str, lang: str, width: int, expected_errors: tuple[str, ...] = ()) -> None:
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
        found = audit(browser, wide=width >= 1280, expected_errors=expected_errors)
        if any(found.values()):
            problems[f"{name} {lang} {width}px"] = found

    # The login page, before any session, in both languages and widths.
    for lang in ("fr", "en"):
        browser.get(base + f"/manager/lang/{lang}?next=/manager/login")
        for width in WIDTHS:
            browser.set_window_size(width, 900)
            browser.get(base + "/manager/login")
            check("login", lang, width)

    log_in(browser, base, username, password)
    ids = make_data(browser, base)
    browser.get_log("browser")  # the checks below start from a clean console
    shots = screenshots_folder(tmp_path)
    for lang in ("fr", "en"):
        browser.get(base + f"/manager/lang/{lang}?next=/manager/")
        for width in WIDTHS:
            browser.set_window_size(width, 900)
            for name, path in pages(ids).items():
                browser.get(base + path)
                # The 404 page's own status is logged by Chromium: that one is expected.
                expected = (f"{path} - Failed to load resource",) if name == "not-found" else ()
                check(name, lang, width, expected)
                if lang == "fr" and width == 1280 and name in SHOTS:
                    snapshot(browser, shots / SHOTS[name])
    assert not problems, "\n".join(f"{page}: {found}" for page, found in problems.items())

    # The checks can fail: a page that breaks each rule is caught.
    browser.set_window_size(375, 900)
    browser.get(base + "/manager/compose")
    browser.execute_script(
        "document.querySelector('h1').style.width = '900px';"
        "document.querySelector('#send').removeAttribute('id');"
        "document.querySelector('label[for=to]').remove();"
        "console.error('boom');"
    )
    broken = audit(browser, wide=False)
    assert any("h1" in item for item in broken["overflow"])
    assert any(v["id"] == "label" for v in broken["axe"])
    assert any("boom" in message for message in broken["console"])


def test_console_picking_a_conversation_fills_its_fields_visibly(server, browser):
    gunicorn, username, password = server
    base = gunicorn.url
    log_in(browser, base, username, password)
    conversation = compose(browser, base, "06 12 34 56 78", "RDV demain ?", "rdv-1")
    browser.get(base + "/manager/console")
    assert browser.find_element(By.ID, "sender").get_attribute("value") == ""
    Select(browser.find_element(By.ID, "conversation")).select_by_value(conversation)
    assert browser.find_element(By.ID, "sender").get_attribute("value") == "+33612345678"
    assert re.fullmatch(r"\d{5}", browser.find_element(By.ID, "shortcode").get_attribute("value"))
    assert browser.find_element(By.ID, "console-tag").get_attribute("value").startswith("sr")
    Select(browser.find_element(By.ID, "conversation")).select_by_value("")
    assert browser.find_element(By.ID, "sender").get_attribute("value") == ""
