"""The plan page in a real headless browser (Debian's chromium, driven by Selenium through chromium-driver).

One browser for the module, one West Midlands plan: every council is drawn, the figures are the
workbook's, a click on a council shows its own, the service filter works, and no request leaves the machine.
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from optimizer.report.workbook import write_plan
from tests.support.marks import slow
from tests.support.pages import HOSTILE, SCENARIO_ROWS, hostile_input, scenarios_workbook
from tests.support.paths import TRI_BOROUGH, WEST_MIDLANDS
from tests.support.report_plans import sheet_table

pytestmark = slow
LOCAL = ("file:", "data:", "blob:", "about:")


def consolidate(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimizer", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


def pounds(value: float) -> str:
    return f"{'-' if value < -0.5 else ''}£{int(abs(value) + 0.5):,}"


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1500,1200"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def plan(west_midlands_plan, tmp_path_factory) -> Path:
    """The West Midlands plan workbook (the session's plan, solved once for every test that needs it) and its page."""
    folder = tmp_path_factory.mktemp("wm")
    write_plan(west_midlands_plan, folder / "wm-plan.xlsx", force=False, input_path=WEST_MIDLANDS)
    done = consolidate("show", folder / "wm-plan.xlsx", "-o", folder / "wm.html")
    assert done.returncode == 0, done.stderr
    return folder / "wm-plan.xlsx"


@pytest.fixture(scope="module")
def page(browser, plan):
    """The page loaded once; the log of every request it made, from Chrome's DevTools, read as it was loaded."""
    browser.get_log("performance")  # what came before is not this page's
    browser.get(plan.with_name("wm.html").as_uri())
    WebDriverWait(browser, 60).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "yes")
    return browser


def network_log(driver) -> tuple[dict[str, str], dict[str, str]]:
    """Every request the page started since the last call (id: url), and why each blocked one was ({id: reason})."""
    started, blocked = {}, {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message["params"]
        if message["method"] in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            started[params["requestId"]] = params.get("request", {}).get("url") or params.get("url", "")
        elif message["method"] == "Network.loadingFailed" and params.get("blockedReason"):
            blocked[params["requestId"]] = params["blockedReason"]
    return started, blocked


def requests_made(driver) -> list[str]:
    return list(network_log(driver)[0].values())


def test_every_council_of_the_plan_is_on_the_map(page, plan):
    names = {row["council"] for row in sheet_table(plan, "Councils", "council")}
    drawn = page.execute_script(
        "const t = document.getElementById('plan-map').data.find(t => t.meta.role === 'councils');"
        "return [t.text, document.querySelectorAll('.scatterlayer .trace:last-child path.point').length,"
        " document.getElementById('plan-map').data.map(t => t.type)];")
    assert {html.unescape(name) for name in drawn[0]} == names and len(drawn[0]) == len(names) == 38
    assert drawn[1] == len(names)  # drawn as SVG points, not just handed to Plotly
    assert set(drawn[2]) == {"scatter"}  # plain x/y: no geo trace, whose outlines come from a CDN


def test_the_headline_figures_are_the_workbooks(page, plan):
    summary = {row["metric"]: row["value"] for row in sheet_table(plan, "Summary", "metric")}
    shown = {e.get_attribute("data-metric"): e.text for e in page.find_elements(By.CSS_SELECTOR, ".card b")}
    assert shown["status"] == summary["status"] == "optimal"
    for metric in ("total_annual_saving", "total_one_off_cost", "net_benefit", "total_shortfall"):
        assert shown[metric] == pounds(summary[metric]), metric
    assert shown["councils_meeting_target"] == f"{summary['councils_meeting_target']} of {summary['councils_with_target']}"
    assert shown["partnerships"] == str(len(sheet_table(plan, "Partnerships", "partnership")))


def lonely_councils(page) -> dict[str, dict]:
    """Each council's marker on screen, with the distance to the nearest other marker (a click must hit it alone)."""
    return page.execute_script("""
        const plot = document.getElementById('plan-map');
        const index = plot.data.findIndex(t => t.meta.role === 'councils');
        const points = [...document.querySelectorAll('.scatterlayer .trace')[index].querySelectorAll('path.point')];
        const boxes = points.map(p => p.getBoundingClientRect());
        const out = {};
        boxes.forEach((b, i) => {
          const x = b.x + b.width / 2, y = b.y + b.height / 2;
          let nearest = 1e9;
          boxes.forEach((o, j) => { if (j !== i) nearest = Math.min(nearest, Math.hypot(o.x + o.width / 2 - x, o.y + o.height / 2 - y)); });
          out[plot.data[index].text[i]] = {i: i, nearest: nearest};
        });
        return out;""")


def test_a_click_on_a_council_shows_its_figures_and_partners(page, plan):
    rows = {row["council"]: row for row in sheet_table(plan, "Councils", "council")}
    members = sheet_table(plan, "Membership", "council")
    spaced = lonely_councils(page)
    chosen = [name for name in sorted(spaced, key=lambda n: -spaced[n]["nearest"])][:6]
    chosen = [n for n in chosen if rows[n]["target_met"] == "yes"][:2] + [n for n in chosen if rows[n]["target_met"] == "no"][:1]
    assert len(chosen) == 3 and all(spaced[n]["nearest"] > 20 for n in chosen)
    index = page.execute_script("return document.getElementById('plan-map').data.findIndex(t => t.meta.role === 'councils')")
    for name in chosen:
        point = page.find_elements(By.CSS_SELECTOR, ".scatterlayer .trace")[index].find_elements(By.CSS_SELECTOR, "path.point")[spaced[name]["i"]]
        ActionChains(page).move_to_element(point).pause(0.2).click().perform()
        panel = page.find_element(By.ID, "council-panel")
        WebDriverWait(page, 10).until(lambda _: panel.get_attribute("data-council") == name)
        figures = {e.get_attribute("data-field"): e.text for e in panel.find_elements(By.CSS_SELECTOR, "[data-field]")}
        row = rows[name]
        assert figures["council"] == name
        for field in ("target", "saving_from_sharing", "saving_from_reductions", "total_saving", "shortfall", "one_off_cost"):
            assert figures[field] == pounds(row[field]), (name, field)
        assert figures["target_met"] == row["target_met"]
        services = [e.get_attribute("data-service") for e in panel.find_elements(By.CSS_SELECTOR, ".shares li")]
        assert sorted(services) == sorted(m["service"] for m in members if m["council"] == name)
        for item in panel.find_elements(By.CSS_SELECTOR, ".shares li"):
            mine = next(m["partnership"] for m in members if m["council"] == name and m["service"] == item.get_attribute("data-service"))
            for partner in {m["council"] for m in members if m["partnership"] == mine} - {name}:
                assert partner in item.text, (name, partner)


def test_the_service_filter_shows_one_services_partnerships(page, plan):
    service = sheet_table(plan, "Partnerships", "partnership")[0]["service"]
    Select(page.find_element(By.ID, "service-filter")).select_by_value(service)
    shown = page.execute_script("return document.getElementById('plan-map').data.filter(t => t.visible !== false)"
                                ".map(t => [t.meta.role, t.meta.service || ''])")
    assert {s for role, s in shown if role != "councils"} == {service} and ["councils", ""] in shown
    Select(page.find_element(By.ID, "service-filter")).select_by_value("")
    assert page.execute_script("return document.getElementById('plan-map').data.every(t => t.visible !== false)")


def test_no_request_leaves_the_machine(page):
    # after the page has been loaded, clicked and filtered by the tests above
    urls = requests_made(page)
    assert urls and all(url.startswith(LOCAL) for url in urls), [u for u in urls if not u.startswith(LOCAL)]
    problems = [e["message"] for e in page.get_log("browser") if e["level"] == "SEVERE" or "Content Security" in e["message"]]
    assert problems == []


def test_the_page_is_not_allowed_to_fetch_anything(page):
    """The Content-Security-Policy itself: a fetch or an image from elsewhere, tried by a script, is refused."""
    refused = page.execute_async_script("""
        const done = arguments[arguments.length - 1], seen = [];
        document.addEventListener('securitypolicyviolation', e => seen.push(e.violatedDirective));
        const image = new Image();
        image.src = 'http://example.invalid/tile.png';
        fetch('https://example.invalid/data.json').then(() => done(['fetched'])).catch(
            () => setTimeout(() => done(seen), 0));""")
    assert "fetched" not in refused and {"connect-src", "img-src"} <= set(refused)
    started, blocked = network_log(page)
    tried = [request for request, url in started.items() if "example.invalid" in url]
    assert tried and all(blocked.get(request) == "csp" for request in tried)  # stopped before the network


def test_a_scenarios_page_draws_its_chart(browser, tmp_path):
    book = scenarios_workbook(tmp_path / "s.xlsx")
    assert consolidate("show", book, "-o", tmp_path / "s.html").returncode == 0
    browser.get_log("performance")
    browser.get((tmp_path / "s.html").as_uri())
    WebDriverWait(browser, 60).until(lambda d: d.execute_script(
        "const c = document.getElementById('scenario-chart'); return c && c.data && c._fullLayout ? true : false"))
    traces = browser.execute_script("return document.getElementById('scenario-chart').data.map(t => [t.meta.metric, t.y])")
    net_benefit = dict(traces)["net_benefit"]
    assert net_benefit == [row[6] for row in SCENARIO_ROWS]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#scenario-chart .bars path")) >= 4
    assert all(url.startswith(LOCAL) for url in requests_made(browser))


def test_a_name_that_is_html_is_shown_as_text(browser, tmp_path):
    hostile_input(TRI_BOROUGH, tmp_path / "in.xlsx")
    assert consolidate("run", tmp_path / "in.xlsx", "-o", tmp_path / "plan.xlsx").returncode == 0
    assert consolidate("show", tmp_path / "plan.xlsx", "-o", tmp_path / "plan.html").returncode == 0
    browser.get((tmp_path / "plan.html").as_uri())  # an alert() run by the page would fail every call below
    WebDriverWait(browser, 60).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "yes")
    Select(browser.find_element(By.ID, "council-picker")).select_by_visible_text(HOSTILE)
    assert browser.find_element(By.CSS_SELECTOR, "#council-panel h3").text == HOSTILE
    labels = browser.execute_script("return [...document.querySelectorAll('#plan-map .textpoint')].map(t => t.textContent)")
    assert HOSTILE in labels  # Plotly drew the name as it is
    assert browser.execute_script("return document.querySelectorAll('#plan-map a, #plan-map .textpoint b').length") == 0
