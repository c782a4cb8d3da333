"""Runs the forecasting notebook in a real JupyterLab, in headless Chromium, as a user would."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

NOTEBOOK = "02_forecast_costs.ipynb"
LEADERBOARD_CALL = "selection_.leaderboard"
FAN_CALL = "lookup_chart(run, lookup(run))"
SCREENSHOT = f"jupyterlab-{Path(NOTEBOOK).stem}.png"
OPEN_TIMEOUT_MS = 60_000
# The notebook runs in under a minute on the sample; the margin covers a cold kernel on a loaded CI machine.
RUN_TIMEOUT_MS = 180_000

# Resolves once the kernel is idle and either every code cell shows an execution count or an error is shown
# (Run All stops at the first error and leaves later prompts empty: waiting for counts alone would hang).
RUN_FINISHED_JS = """
() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const indicator = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');
  if (!indicator || indicator.dataset.status !== 'idle') return false;
  const errors = panel.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
  if ([...errors].some(e => e.textContent.includes('Traceback'))) return 'error';
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
  return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]/.test(p.textContent.trim())) && 'done';
}
"""
ERROR_LINE = re.compile(r"Traceback|^\w*(Error|Exception)\b", re.MULTILINE)
# Resolves once the lookup widget's table is non-empty and every row names the chosen service.
LOOKUP_FOLLOWS_JS = """
(service) => {
  const cell = [...document.querySelectorAll('.jp-CodeCell')].find(
    c => (c.querySelector('.jp-InputArea')?.textContent ?? '').includes('choice("Service"'));
  const rows = cell ? [...cell.querySelectorAll('.widget-output table tbody tr')] : [];
  return rows.length > 0 && rows.every(r => r.textContent.includes(service));
}
"""
LOOKUP_CALL = 'choice("Service"'
BUDGET_CALL = "budget_slider(bill)"


def _wait_for_connected_kernel(url: str, timeout_s: float) -> None:
    """Block until the server reports a kernel that is idle and has a browser connected to it.

    The page's own idle indicator shows before the kernel's websocket is up (the first connection attempt can
    fail and be retried), and cells run during that window are silently dropped.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{url}/api/kernels", timeout=5) as response:
            kernels = json.load(response)
        if any(k["execution_state"] == "idle" and k["connections"] > 0 for k in kernels):
            return
        time.sleep(0.25)
    raise AssertionError(f"no kernel became idle with a connected client in {timeout_s:.0f} s: {kernels}")


def _run_all(page: Page) -> None:
    """Run > Run All Cells, through the menu bar as a user would click it."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def _cell_with_source(page: Page, needle: str) -> Any:
    """The code cell whose source contains ``needle`` (exactly one must)."""
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell").filter(
        has=page.locator(".jp-InputArea", has_text=needle)
    )
    assert cells.count() == 1, f"expected one code cell calling {needle!r}, found {cells.count()}"
    return cells.first


def _check_lookup_widget(page: Page) -> None:
    """The lookup widget shows a table and a chart, and its table follows a service picked in the page."""
    cell = _cell_with_source(page, LOOKUP_CALL)
    assert cell.locator(".widget-output table").count() == 1, "the lookup widget shows no table"
    assert cell.locator(".widget-output img").count() == 1, "the lookup widget shows no chart"
    budget = _cell_with_source(page, BUDGET_CALL)
    assert budget.locator(".widget-output table").count() == 1, "the budget widget shows no odds table"
    assert budget.locator(".widget-output img").count() == 1, "the budget widget shows no month-end chart"
    select = cell.locator(".widget-dropdown", has_text="Service").locator("select")
    # ipywidgets shows spaces in option labels as no-break spaces; the table has plain ones.
    service = select.locator("option").nth(1).inner_text().replace("\xa0", " ")
    select.select_option(index=1)
    try:
        page.wait_for_function(LOOKUP_FOLLOWS_JS, arg=service)
    except PlaywrightTimeoutError:
        pytest.fail(f"the lookup table did not switch to service {service!r} after picking it")


@pytest.mark.browser
def test_run_all_renders_leaderboard_and_fan_chart(
    lab_server: Any, browser: Browser, artifacts: Path
) -> None:
    """Run All on the forecasting notebook finishes without an error and renders its table and charts."""
    page = browser.new_page(viewport={"width": 1440, "height": 1800})
    page.set_default_timeout(OPEN_TIMEOUT_MS)
    try:
        page.goto(f"{lab_server.url}/lab/tree/{NOTEBOOK}")
        _wait_for_connected_kernel(lab_server.url, OPEN_TIMEOUT_MS / 1000)
        page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for()
        _run_all(page)
        try:
            outcome = page.wait_for_function(RUN_FINISHED_JS, timeout=RUN_TIMEOUT_MS).json_value()
        except PlaywrightTimeoutError:
            waited = f"{RUN_TIMEOUT_MS / 1000:.0f} s"
            pytest.fail(f"Run All did not finish in {waited}; server log:\n{lab_server.log_tail()}")

        stderr = page.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
        ).all_inner_texts()
        errors = [text for text in stderr if ERROR_LINE.search(text)]
        assert not errors, f"error output in {NOTEBOOK}:\n" + "\n---\n".join(errors)
        assert outcome == "done", "Run All stopped before every cell ran"

        leaderboard = _cell_with_source(page, LEADERBOARD_CALL).locator(".jp-OutputArea-output table")
        assert leaderboard.count() == 1, "the leaderboard DataFrame was not rendered as a table"
        header = leaderboard.locator("thead").inner_text().lower()
        for metric in ("wql", "wape", "mase"):
            assert metric in header, f"leaderboard lacks a {metric} column: {header!r}"

        fan = _cell_with_source(page, FAN_CALL).locator(".jp-OutputArea-output img")
        assert fan.count() >= 1, "the fan chart was not rendered as an image"
        assert fan.first.evaluate("img => img.naturalWidth") > 0, "the fan chart image did not load"
        _check_lookup_widget(page)
        # The screenshot shows the leaderboard at the top and the fan charts below it.
        leaderboard.evaluate("table => table.scrollIntoView({block: 'start'})")
    finally:
        page.screenshot(path=str(artifacts / SCREENSHOT))
        page.close()
