"""A real headless Chromium for the manager's tests, and what they check in every page.

``manager_server(tmp_path, database_url)`` serves the manager from a real gunicorn;
``chromium(tmp_path)`` starts Chromium through the Debian ChromeDriver (Selenium Manager
never downloads anything) with the browser's console log kept. ``audit(driver)`` then
returns what is wrong with the page shown: axe-core's serious and critical accessibility
violations (axe-core comes from npm, pinned in ``tests/axe/package-lock.json``, installed
by ``tests/system-deps.sh``, and injected into the page), console errors, and elements
that stick out of the viewport — unless a scrolling box of their own, inside the
viewport, holds them (a wide table scrolls in its wrapper on a phone, never the page).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from testkit.ports import free_port
from tests.support.servers import GunicornServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE = Path(__file__).resolve().parents[1] / "axe" / "node_modules" / "axe-core" / "axe.min.js"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1280,1000",
)
SERIOUS = {"serious", "critical"}

OVERFLOW = """
const width = document.documentElement.clientWidth;
const inside = (rect) => rect.left >= -0.5 && rect.right <= width + 0.5;
const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
  + (typeof el.className === "string" && el.className ? "." + el.className.replace(/ /g, ".") : "");
const bad = [];
for (const el of document.querySelectorAll("body *")) {
  if (el.closest(".skip-link")) continue;  /* off-screen on purpose until focused */
  const rect = el.getBoundingClientRect();
  if ((rect.width === 0 && rect.height === 0) || inside(rect)) continue;
  let held = false;
  for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
    if (/auto|scroll|hidden|clip/.test(getComputedStyle(box).overflowX)
        && inside(box.getBoundingClientRect())) { held = true; break; }
  }
  if (!held) bad.push(name(el) + " " + Math.round(rect.left) + ".." + Math.round(rect.right));
}
const wraps = [...document.querySelectorAll(".table-wrap")]
  .filter((box) => box.scrollWidth > box.clientWidth + 1).map(name);
const broken = [...document.querySelectorAll("time")]
  .filter((el) => el.getClientRects().length > 1 || el.offsetHeight > 40)
  .map((el) => el.textContent);
/* A select narrower than its chosen text shows it cut ("Appeler un CGI (cgi-bi"). */
const canvas = document.createElement("canvas").getContext("2d");
const clipped = [...document.querySelectorAll("select")].filter((select) => {
  const option = select.selectedOptions[0];
  if (!option || !select.offsetWidth) return false;
  const style = getComputedStyle(select);
  canvas.font = style.font;
  const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return canvas.measureText(option.text).width > room - 16;  /* the arrow */
}).map((select) => name(select) + " " + select.selectedOptions[0].text);
return {width, scrollWidth: document.documentElement.scrollWidth, bad, wraps, broken, clipped};
"""

AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then((result) => done(result.violations.map(
  (v) => ({id: v.id, impact: v.impact, help: v.help,
           nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" "))}))));
"""


@contextlib.contextmanager
def manager_server(
    tmp_path: Path, database_url: str, **settings: object
) -> Iterator[tuple[GunicornServer, str, str]]:
    """A real gunicorn, initialised, serving the manager: (server, user, password).

    On a known port, so that ``server.base_url`` (where the test console posts) is itself.
    """
    port = free_port()
    server = GunicornServer(
        tmp_path,
        database_url,
        server_bind=f"127.0.0.1:{port}",
        server_base_url=f"http://127.0.0.1:{port}",
        **settings,
    )
    printed = server.run_init()
    with server:
        yield server, printed["Manager user"], printed["Password"]


def chromium(tmp_path: Path, accept_language: str = "en-US,en") -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.add_experimental_option("prefs", {"intl.accept_languages": accept_language})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(60)
    return driver


def console_errors(driver: webdriver.Chrome) -> list[str]:
    """The console's errors since the last call (reading the log empties it)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def axe_violations(driver: webdriver.Chrome) -> list[dict]:
    driver.execute_script(AXE.read_text())
    return [v for v in driver.execute_async_script(AXE_RUN) if v["impact"] in SERIOUS]


def overflow(driver: webdriver.Chrome, wide: bool) -> list[str]:
    """What sticks out: elements past the viewport, a page wider than it, and when
    ``wide`` (a desktop window) tables that need to scroll, times broken over lines and
    selects too narrow for their choice."""
    found = driver.execute_script(OVERFLOW)
    problems = [f"outside the viewport: {item}" for item in found["bad"]]
    if found["scrollWidth"] > found["width"] + 1:
        problems.append(f"page {found['scrollWidth']} px wide in {found['width']} px")
    if wide:
        problems += [f"table scrolls: {item}" for item in found["wraps"]]
        problems += [f"time on several lines: {item}" for item in found["broken"]]
        # On a phone a closed select shows a cut choice and opens a full-width list.
        problems += [f"select cut: {item}" for item in found["clipped"]]
    return problems


def audit(driver: webdriver.Chrome, wide: bool, expected_errors: tuple[str, ...] = ()) -> dict:
    """Everything wrong with the page shown; empty lists when all is well."""
    errors = [
        message
        for message in console_errors(driver)
        if not any(expected in message for expected in expected_errors)
    ]
    return {
        "axe": json.loads(json.dumps(axe_violations(driver))),
        "console": errors,
        "overflow": overflow(driver, wide),
    }


def snapshot(driver: webdriver.Chrome, path: Path, width: int = 1280) -> None:
    """The whole page, not just the window: grow the window to the page's height."""
    driver.execute_script("window.scrollTo(0, 0)")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(1000, min(height, 4000)))
    driver.save_screenshot(str(path))
    driver.set_window_size(width, 1000)
