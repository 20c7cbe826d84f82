"""The web console in a real browser: headless Chromium (Debian's chromium, chromium-driver and
python3-selenium) against a live broker, the sample camera and `roc web` as an operator starts it.

One browser, broker, camera and console serve the whole module (starting Chromium costs a second or
two); a test that needs something of its own (a camera to kill) starts it. A screenshot of every
page goes to $ROC_ARTIFACTS_DIR, else <ROC_BUILD_DIR>/test-artifacts/web/.
"""
from __future__ import annotations

import logging
import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from conftest import BUILD, REPO, Broker, Process, program, wait_for_object

import roc

WAIT = 10.0  # seconds any one thing on the page may take to show up
PACKAGES = "chromium chromium-driver python3-selenium"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def artifacts_dir() -> Path:
    directory = Path(os.environ.get("ROC_ARTIFACTS_DIR") or BUILD / "test-artifacts" / "web")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A broker, the camera 'vnir' and the console recording into an archive of its own:
    (broker, console URL)."""
    broker = Broker()
    processes = []
    try:
        processes.append(Process([program("vnir-server"), "--broker", broker.address]))
        wait_for_object(broker, "vnir")
        console = start_console(broker, tmp_path_factory.mktemp("console") / "a.sqlite")
        processes.append(console)
        yield broker, console.url
    finally:
        for process in reversed(processes):
            process.stop()
        broker.stop()


def start_console(broker: Broker, archive: Path, *extra: str) -> Process:
    """`roc web` on a free port (as `python3 -m roc.console web`); its `url` read from its start line."""
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    console = Process([sys.executable, "-m", "roc.console", "web", "--listen", "127.0.0.1:0",
                       "--broker", broker.address, "--archive", str(archive), *extra], env=env)
    console.url = console.wait_for(r"serving (http://127\.0\.0\.1:\d+/)").group(1)
    return console


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail(f"selenium is not installed: apt-get install {PACKAGES} (scripts/setup.sh does)")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            pytest.fail(f"{path} is missing: apt-get install {PACKAGES} (scripts/setup.sh does)")
    home = tmp_path_factory.mktemp("chromium")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,900", f"--user-data-dir={home / 'profile'}",
                     "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    # Chromium and its driver put scratch files in TMPDIR; keep them in tmp_path's tree so the
    # session's "nothing left in TMPDIR" check holds.
    service = Service(CHROMEDRIVER, env=dict(os.environ, TMPDIR=str(home)))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_script_timeout(WAIT)
    yield driver
    driver.quit()


# --- helpers ------------------------------------------------------------------------------------

def wait_for(driver, condition, what: str, timeout: float = WAIT):
    """Polls `condition(driver)` until it is truthy and returns that; fails saying what it waited for
    (with the page's text, to see what it showed instead)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition(driver)
        except Exception:  # an element replaced while it was read: try again
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            body = driver.find_element("tag name", "body").text
            pytest.fail(f"waited {timeout} s for {what}; the page showed:\n{body[:3000]}")
        time.sleep(0.05)


def css(driver, selector: str):
    return driver.find_elements("css selector", selector)


def text_of(driver, selector: str) -> str:
    found = css(driver, selector)
    return found[0].text if found else ""


def open_page(driver, url: str, fragment: str) -> None:
    """Opens `fragment` (e.g. '#/status'): a full load the first time, then a route change as a
    user clicking a link makes (no page reload)."""
    if not driver.current_url.startswith(url):
        driver.get(url + fragment)
        wait_for(driver, lambda d: d.execute_script("return window.rocConsole && window.rocConsole.connected"),
                 "the page's event stream to connect")
    else:
        driver.execute_script("location.hash = arguments[0]", fragment)
    page = fragment.lstrip("#/").split("/")[0].split("?")[0]
    wait_for(driver, lambda d: d.execute_script("return document.body.dataset.page") == page,
             f"the {page} page to show")


def screenshot(driver, name: str) -> None:
    driver.save_screenshot(str(artifacts_dir() / f"{name}.png"))


def set_value(driver, element, value: str) -> None:
    element.clear()
    element.send_keys(value)


# --- the tests ----------------------------------------------------------------------------------

def test_the_object_list_shows_vnir_with_its_worker(stack, browser):
    broker, url = stack
    open_page(browser, url, "#/objects")
    # The list is redrawn as workers change: read the row inside the wait, not from a kept element.
    wait_for(browser, lambda d: "vnir-server" in text_of(d, '#objects-list tr[data-object="vnir"]'),
             "vnir and its worker's program in the object list")
    wait_for(browser, lambda d: text_of(d, "#broker") == broker.address, "the broker's address in the header")
    assert text_of(browser, "#connection") == "live"
    screenshot(browser, "objects")


def test_a_property_changes_on_the_page_when_it_changes_on_the_device(stack, browser):
    broker, url = stack
    with roc.Client(broker.address) as client:
        client.call("vnir", "rpc.set", name="fps", value=25.0)
        open_page(browser, url, "#/object/vnir")
        cell = '#object-properties tr[data-property="fps"] td[data-value]'
        wait_for(browser, lambda d: text_of(d, cell) == "25", "fps 25 on the page")
        client.call("vnir", "rpc.set", name="fps", value=37.5)
        wait_for(browser, lambda d: text_of(d, cell) == "37.5", "fps 37.5 on the page after the device changed")


def test_a_property_set_on_the_page_changes_the_device(stack, browser):
    broker, url = stack
    open_page(browser, url, "#/object/vnir")
    setter = wait_for(browser, lambda d: css(d, '[data-setter="fps"]'), "the fps setter")[0]
    set_value(browser, setter, "12.5")
    css(browser, '#object-properties tr[data-property="fps"] [data-action="set"]')[0].click()
    with roc.Client(broker.address) as client:
        deadline = time.monotonic() + WAIT
        while client.call("vnir", "rpc.get", name="fps") != 12.5:
            assert time.monotonic() < deadline, "the page's Set did not reach the camera"
            time.sleep(0.05)
    wait_for(browser, lambda d: text_of(d, '#object-properties tr[data-property="fps"] td[data-value]') == "12.5",
             "the new fps on the page")


def call_from_form(driver, method: str, inputs: dict) -> str:
    """Fills `method`'s form, presses Call and returns the result's text once it came."""
    form = f'form[data-method="{method}"]'
    for name, value in inputs.items():
        set_value(driver, css(driver, f'{form} [data-param="{name}"]')[0], value)
    css(driver, f'{form} [data-action="call"]')[0].click()
    wait_for(driver, lambda d: css(d, f'{form} [data-result]')[0].get_attribute("data-state") in ("ok", "error"),
             f"the result of {method}")
    return text_of(driver, f"{form} [data-result]")


def test_a_method_called_from_its_form_shows_its_result_or_its_error(stack, browser):
    broker, url = stack
    open_page(browser, url, "#/object/vnir")
    wait_for(browser, lambda d: css(d, 'form[data-method="set_roi"]'), "the methods' forms")
    # A struct parameter, typed as JSON; the result of the next call shows it came through.
    assert call_from_form(browser, "set_roi", {"roi": '{"x": 8, "y": 4, "width": 64, "height": 32}'}) == "done"
    result = call_from_form(browser, "roi", {})
    assert '"width": 64' in result and '"height": 32' in result
    # A big array (64 × 10 values) is summarised, never printed whole.
    result = call_from_form(browser, "grab", {"lines": "10"})
    assert re.search(r"uint16\[640\]|\[640\]", result), result
    assert len(result) < 300
    # A 2-D frame shows as an image.
    call_from_form(browser, "frame", {})
    wait_for(browser, lambda d: css(d, 'form[data-method="frame"] img[data-image]'), "the frame as an image")
    # A remote error is shown as one.
    result = call_from_form(browser, "grab", {"lines": "0"})
    assert css(browser, 'form[data-method="grab"] [data-result]')[0].get_attribute("data-state") == "error"
    assert "error" in result
    screenshot(browser, "object")


def test_a_killed_server_turns_stale_and_its_object_leaves_the_list(stack, browser):
    broker, url = stack
    doomed = Process([program("vnir-server"), "--broker", broker.address, "--id", "doomed"])
    try:
        wait_for_object(broker, "doomed")
        open_page(browser, url, "#/status")
        leaf = '#status-tree [data-path="doomed.temperature"] [data-value]'
        wait_for(browser, lambda d: css(d, leaf), "doomed.temperature in the status tree")
        open_page(browser, url, "#/objects")
        wait_for(browser, lambda d: css(d, '#objects-list tr[data-object="doomed"]'), "doomed in the object list")
        doomed.stop(signal.SIGKILL)
        wait_for(browser, lambda d: not css(d, '#objects-list tr[data-object="doomed"]'),
                 "doomed to leave the object list")
        open_page(browser, url, "#/status")
        wait_for(browser, lambda d: css(d, '#status-tree [data-path="doomed"][data-stale] [data-stale-age]')
                 or css(d, '#status-tree [data-path^="doomed."][data-stale] [data-stale-age]'),
                 "doomed's status flagged stale")
        first = text_of(browser, "#status-tree [data-stale] [data-stale-age]")
        wait_for(browser, lambda d: text_of(d, "#status-tree [data-stale] [data-stale-age]") != first,
                 "the stale age to count up", timeout=3)
        assert text_of(browser, '#status-tree [data-path="vnir"]') and not css(browser, '#status-tree [data-path="vnir"][data-stale]')
        screenshot(browser, "status")
    finally:
        doomed.stop(signal.SIGKILL)


def test_a_log_record_appears_live_and_the_filters_hide_it(stack, browser):
    broker, url = stack
    open_page(browser, url, "#/logs")
    handler = roc.LogHandler("browser-test", broker.address)
    logger = logging.getLogger("test_web_browser")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        # The page subscribes through the console; publish until the record shows (the first may
        # go out before the subscription reached the broker).
        deadline = time.monotonic() + WAIT
        row = '#logs-list tr[data-node="browser-test"]'
        while not any("hello from the browser test" in r.text for r in css(browser, row)):
            assert time.monotonic() < deadline, f"the record never showed; the page: {text_of(browser, '#page-logs')}"
            logger.warning("hello from the browser test")
            time.sleep(0.3)
        assert css(browser, row)[0].get_attribute("data-level") == "warning"
        screenshot(browser, "logs")
        set_value(browser, css(browser, "#logs-text")[0], "no such text anywhere")
        wait_for(browser, lambda d: not css(d, row), "the text filter to hide the record")
        set_value(browser, css(browser, "#logs-text")[0], "hello from")
        wait_for(browser, lambda d: css(d, row), "the record back with a matching text")
        browser.execute_script("const s = document.getElementById('logs-level'); s.value = 'error';"
                               "s.dispatchEvent(new Event('input'))")
        wait_for(browser, lambda d: not css(d, row), "the level filter (error and above) to hide a warning")
    finally:
        logger.removeHandler(handler)
        handler.close()
        browser.execute_script("const s = document.getElementById('logs-level'); s.value = 'info';"
                               "s.dispatchEvent(new Event('input'))")
        css(browser, "#logs-text")[0].clear()


def test_a_number_in_the_status_tree_opens_its_history_plot_which_has_points_and_extends_live(stack, browser):
    broker, url = stack
    open_page(browser, url, "#/status")
    leaf = '#status-tree [data-path="vnir.temperature"] [data-value]'
    wait_for(browser, lambda d: css(d, leaf), "vnir.temperature in the status tree")[0].click()
    wait_for(browser, lambda d: d.execute_script("return document.body.dataset.page") == "history",
             "the history page after clicking the number")
    assert css(browser, "#history-path")[0].get_attribute("value") == "vnir.temperature"
    browser.execute_script("document.querySelector('#history-ranges [data-range=\"900\"]').click()")

    def plotted(d):
        plot = d.execute_script("return window.rocConsole.lastPlot")
        return plot if plot and plot["path"] == "vnir.temperature" and plot["points"] > 0 else None

    # The camera publishes its temperature every second and the console records it: wait for it
    # to be in the archive, then reload the range.
    first = None
    deadline = time.monotonic() + WAIT
    while first is None:
        first = plotted(browser)
        if first is None:
            assert time.monotonic() < deadline, "no history plotted for vnir.temperature"
            time.sleep(1)
            browser.execute_script("document.querySelector('#history-ranges [data-range=\"900\"]').click()")
    assert int(css(browser, "#history-canvas")[0].get_attribute("data-points")) > 0
    wait_for(browser, lambda d: (plotted(d) or {"points": 0})["points"] > first["points"],
             "the plot to extend with a live value", timeout=5)
    screenshot(browser, "history")


def test_the_page_reconnects_by_itself_to_a_restarted_console_and_shows_what_is_new(stack, browser, tmp_path):
    broker, _ = stack
    archive = tmp_path / "own.sqlite"
    console = start_console(broker, archive)
    try:
        open_page(browser, console.url, "#/status")
        wait_for(browser, lambda d: css(d, '#status-tree [data-path="vnir.temperature"]'), "the camera's status")
        port = int(console.url.rstrip("/").rsplit(":", 1)[1])
        assert console.stop() == 0, console.output
        state = lambda d: d.find_element("id", "connection").get_attribute("data-state")  # noqa: E731
        wait_for(browser, lambda d: state(d) != "open", "the page to notice its console is gone")
        console = start_console(broker, archive, "--listen", f"127.0.0.1:{port}")  # the last --listen wins
        wait_for(browser, lambda d: state(d) == "open", "the page to reconnect by itself")
        with roc.StatusUpdater(broker.address, program="browser-test") as updater:
            assert updater.flush(5)
            updater.emit("reconnected", {"ok": 1})
            wait_for(browser, lambda d: css(d, '#status-tree [data-path="reconnected.ok"]'),
                     "a status value published after the restart")
    finally:
        console.stop()
