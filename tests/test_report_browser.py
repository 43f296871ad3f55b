"""report.html in a real browser (headless Chromium via Playwright): loads cleanly, every figure renders,
and its tables show exactly the numbers of results.json.

Needs Debian's ``chromium`` (``.ci/install-browser``) and the ``playwright`` Python package (the test
extra); Playwright's own browser download is never used. Skipped, with the reason, when either is absent.
A screenshot is saved in the test's tmp folder and, if ``EXONU_ARTEFACTS_DIR`` is set, copied there.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from exonu.cli import main

CHROMIUM = Path(os.environ.get("EXONU_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright (test extra) is not installed")
if not CHROMIUM.exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM} (install Debian's `chromium`: .ci/install-browser)", allow_module_level=True
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    assert (
        main(["reproduce", "--out", str(out), "--toys", "4", "--masses", "3", "--dark-photon-toys", "0", "--seed", "3"])
        == 0
    )
    return out


@pytest.fixture(scope="module")
def page_state(report, tmp_path_factory):
    """Open report.html once: console messages, failed requests, figure sizes, table cells, a screenshot."""
    shots = tmp_path_factory.mktemp("screenshots")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        console, requests = [], []
        page.on("console", lambda m: console.append((m.type, m.text)))
        page.on("pageerror", lambda e: console.append(("error", str(e))))
        page.on("request", lambda r: requests.append(r.url))
        page.goto((report / "report.html").as_uri(), wait_until="load")
        figures = page.eval_on_selector_all(
            "figure img",
            "els => els.map(e => ({w: e.naturalWidth, h: e.naturalHeight, "
            "bw: e.getBoundingClientRect().width, bh: e.getBoundingClientRect().height, ok: e.complete}))",
        )
        cells = page.eval_on_selector_all(
            "#results-table tbody tr",
            "rows => rows.map(r => ({key: r.dataset.key, cells: Object.fromEntries("
            "[...r.querySelectorAll('td[data-field]')].map(c => [c.dataset.field, "
            "{value: c.dataset.value, text: c.textContent.trim()}]))}))",
        )
        page.screenshot(path=str(shots / "report.png"), full_page=True)
        page.emulate_media(media="print")
        print_height = page.evaluate("document.body.scrollHeight")
        browser.close()
    if os.environ.get("EXONU_ARTEFACTS_DIR"):
        target = Path(os.environ["EXONU_ARTEFACTS_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(shots / "report.png", target / "report.png")
    return {
        "console": console,
        "requests": requests,
        "figures": figures,
        "rows": cells,
        "screenshot": shots / "report.png",
        "print_height": print_height,
    }


def test_loads_without_console_errors_or_network(page_state):
    assert [text for kind, text in page_state["console"] if kind == "error"] == []
    assert all(url.startswith(("file:", "data:")) for url in page_state["requests"]), page_state["requests"]


def test_every_figure_renders_with_nonzero_size(report, page_state):
    figures = page_state["figures"]
    assert len(figures) == len(list(report.glob("fig*.png"))) == 6
    for fig in figures:
        assert fig["ok"] and fig["w"] > 100 and fig["h"] > 100 and fig["bw"] > 100 and fig["bh"] > 100, fig
    assert page_state["screenshot"].stat().st_size > 50_000
    assert page_state["print_height"] > 0


def test_table_numbers_equal_results_json(report, page_state):
    res = json.loads((report / "results.json").read_text())
    rows = {row["key"]: row["cells"] for row in page_state["rows"]}
    dark = {f"dark_photon_{d['mass_mev']:.4g}MeV": d for d in res["dark_photon"]}
    assert set(rows) >= {"millicharge_common_e", "millicharge_nue_e", "magnetic_moment_mub"}
    for key, cells in rows.items():
        expected = res[key] if key in res else dark[key]
        # the page's columns and the names of results.json (the result schema's)
        columns = (("observed", "upper_limit"), ("expected", "expected_upper_limit"), ("published", "published"))
        for field, key_in_json in columns:
            if field == "published" and field not in cells:  # column shown only when the config has values
                assert all(r["published"] is None for r in list(dark.values()) + [res[k] for k in rows if k in res])
                continue
            if expected[key_in_json] is None:
                assert cells[field]["value"] == "" and cells[field]["text"] == "—"
                continue
            assert float(cells[field]["value"]) == expected[key_in_json], (key, field)  # the exact number
            assert float(cells[field]["text"]) == pytest.approx(expected[key_in_json], rel=5e-4)  # what a reader sees
        band = expected["expected_band"]
        if band:
            assert [float(v) for v in cells["expected_band"]["value"].split()] == band
        assert cells["method"]["text"] == expected["method"]
        assert cells["statistic"]["text"] == expected["statistic"]
