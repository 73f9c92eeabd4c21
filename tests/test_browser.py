"""End to end in a real headless Chromium against smsreply under a real gunicorn.

Log in with the account ``smsreply init`` printed, switch to French, compose a message
(the live counter, smart encoding and the phone check run in the browser), set the reply
action to the ``cgi-bin/echo.sh`` script, simulate a reply from the test console and read
the answer in the thread. Every page's accessibility, console and layout, and the
documentation's screenshots, are ``tests/test_browser_audit.py``'s. Skips only when
``/usr/bin/chromium`` is missing (tests/system-deps.sh installs it).
"""

from __future__ import annotations

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from smsreply.text.segments import count_segments
from tests.support.browser import CHROMIUM, chromium, manager_server

COUNTER_SAMPLES = ["", "Bonjour", "a" * 161, "€" * 81, "ç" * 71, "🙂" * 36, "[x]{y}"]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing: run tests/system-deps.sh as root"
)


@pytest.fixture
def server(tmp_path, database_url):
    # the simulator reports delivery, as on a real network
    with manager_server(tmp_path, database_url, simulator_dlr_delay=0.2) as started:
        yield started


@pytest.fixture
def browser(tmp_path):
    driver = chromium(tmp_path)
    yield driver
    driver.quit()


def wait(driver, condition, timeout: float = 15):
    # Pages are replaced under our feet while they load: retry stale or missing elements.
    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(driver, timeout, ignored_exceptions=ignored).until(condition)


def text(driver, css: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, css).text


def test_compose_configure_simulate_and_read_the_answer(server, browser):
    gunicorn, username, password = server
    base = gunicorn.url

    # Every page leads to the login; the browser asked for English.
    browser.get(base + "/manager/compose")
    wait(browser, EC.url_contains("/manager/login"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(password, Keys.ENTER)
    wait(browser, EC.presence_of_element_located((By.ID, "send")))

    # The first Tab reaches the skip link, with a visible focus ring.
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.get_attribute("class") == "skip-link"
    assert focused.value_of_css_property("outline-style") == "solid"

    browser.find_element(By.CSS_SELECTOR, 'a[hreflang="fr"]').click()
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr")
    wait(browser, lambda d: "Numéro court permettant la réponse" in text(d, "#sender"))

    # The phone check and the live counter run in the page.
    to = browser.find_element(By.ID, "to")
    to.send_keys("01 23 45 67 89", Keys.TAB)
    wait(browser, lambda d: "mobile français" in text(d, "#to-check"))
    assert to.get_attribute("aria-invalid") == "true"
    to.clear()
    to.send_keys("06 12 34 56 78", Keys.TAB)
    wait(browser, lambda d: text(d, "#to-check") == "")
    message = browser.find_element(By.ID, "message")
    message.send_keys("RDV demain 10h. Répondez OUI ou NON")
    wait(browser, lambda d: text(d, "#message-counter").startswith("35 / 160 caractères · 1 SMS"))
    message.send_keys(" 🙂")
    wait(browser, lambda d: "Unicode (UCS-2)" in text(d, "#message-counter"))
    assert text(browser, "#message-why") == "Unicode à cause de : « 🙂 »"
    # Smart encoding, live: typographic characters cost nothing more while the box is ticked.
    message.clear()
    message.send_keys("C’est l’heure…")
    wait(browser, lambda d: "GSM-7" in text(d, "#message-counter"))
    assert text(browser, "#message-why") == "L'encodage intelligent a remplacé 3 caractères."
    assert text(browser, "#message-counter").startswith("16 / 160 caractères · 1 SMS · 1 crédit")
    browser.find_element(By.ID, "smart_encoding").click()
    wait(browser, lambda d: "Unicode (UCS-2)" in text(d, "#message-counter"))
    assert text(browser, "#message-why") == (
        "Unicode à cause de : « ’ », « … » L'encodage intelligent l'enverrait en GSM-7 en 1 SMS."
    )
    browser.find_element(By.ID, "smart_encoding").click()
    for sample in COUNTER_SAMPLES:
        counted = browser.execute_script(
            "return window.smsreply.countSegments(arguments[0])", sample
        )
        expected = count_segments(sample)
        assert (counted["encoding"], counted["units"], counted["parts"]) == (
            expected.encoding,
            expected.units,
            expected.parts,
        ), sample
    message.clear()
    message.send_keys("RDV demain 10h. Répondez OUI ou NON")
    browser.find_element(By.ID, "tag").send_keys("rdv-42")
    browser.find_element(By.ID, "send").click()
    wait(browser, EC.url_contains("/manager/conversations/"))
    conversation_id = browser.current_url.rstrip("/").rsplit("/", 1)[1]
    assert "Message envoyé" in text(browser, ".flash")

    # Reply options: the CGI action with a script of cgi-bin/.
    browser.get(base + "/manager/options")
    browser.find_element(By.ID, "action-cgi").click()
    assert browser.find_element(By.ID, "script").is_displayed()
    assert not browser.find_element(By.ID, "text").is_displayed()  # other panels hidden
    Select(browser.find_element(By.ID, "script")).select_by_value("echo.sh")
    browser.find_element(By.ID, "rules-0-pattern").send_keys("INFO")
    browser.find_element(By.ID, "rules-0-value").send_keys("Cabinet ouvert de 9h à 18h.")
    browser.find_element(By.ID, "save-options").click()
    wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, ".flash")))
    assert "enregistrées" in text(browser, ".flash")
    assert browser.find_element(By.ID, "rules-0-pattern").get_attribute("value") == "INFO"
    assert browser.find_element(By.ID, "rules-1-pattern").get_attribute("value") == ""

    # The test console posts a reply through the real callback and runs the script.
    browser.get(base + f"/manager/console?conversation={conversation_id}")
    browser.find_element(By.ID, "message").send_keys("OUI")
    browser.find_element(By.ID, "simulate").click()
    wait(browser, EC.presence_of_element_located((By.ID, "result")))
    result = text(browser, "#result")
    assert "traitée" in result and "X_SMSREPLY_MESSAGE" in result
    assert "Vous avez écrit : OUI" in result

    # The thread shows the reply and the script's answer.
    browser.get(base + f"/manager/conversations/{conversation_id}")
    answer = wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, ".sms-text.answer")))
    assert answer.text == "Vous avez écrit : OUI"
    assert "Réponses (1)" in text(browser, "#replies-title")

    browser.get(base + "/manager/")
    assert "rdv-42" in text(browser, "table")
    browser.get(base + "/manager/credits")
    assert "97 crédits" in text(browser, "#balance")  # message, reply, answer
