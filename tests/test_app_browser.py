"""The app in a real browser (Debian's chromium through Playwright): upload, query, run, see plots and moments.

Skipped when /usr/bin/chromium or Playwright is absent. A screenshot goes to test-artifacts/app_retrieve.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_fakes import build_test_demo, free_port, make_clip

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 60_000  # a shared 2-core CI box is slow to import torch on the first request

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def page_and_url(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright Python package")
    tmp = tmp_path_factory.mktemp("app_browser")
    demo = build_test_demo(tmp)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False)
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            page.set_default_timeout(TIMEOUT_MS)
            yield page, f"http://127.0.0.1:{port}/", tmp
            browser.close()
    finally:
        demo.close()


def _upload(page, clip: Path, tries: int = 3) -> None:
    """Put ``clip`` in the first file input and wait for the video player to show it.

    The page's text can be on screen before the upload component's change handler is attached; a file set in that
    moment is dropped (seen once in a full CI run: no <video> after 60 s, while the same test alone passed 3 of 3).
    So the upload is repeated, at most ``tries`` times, each try waiting up to 20 s for the player; a clip that never
    shows still fails the test.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(tries):
        page.locator("input[type=file]").first.set_input_files(str(clip))
        try:
            page.locator("video").first.wait_for(state="attached", timeout=20_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"no video player after {tries} uploads of {clip.name}")


def _trace_count(page, elem_id: str) -> int:
    return page.evaluate(
        "(id) => { const p = document.querySelector(`#${id} .js-plotly-plot`); return p?.data ? p.data.length : 0; }",
        elem_id,
    )


def test_upload_query_run_shows_plots_and_moments(page_and_url):
    page, url, tmp = page_and_url
    clip = make_clip(tmp / "upload.webm", seconds=6.0)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.get_by_text("Honest label", exact=False).wait_for()
    _upload(page, clip)
    page.get_by_label("Query").fill("the red square moves right")
    page.locator("#run-retrieve").click()

    page.wait_for_function("() => document.querySelector('#timeline .js-plotly-plot')?.data?.length > 0")
    page.wait_for_function("() => document.querySelector('#heatmap .js-plotly-plot')?.data?.length > 0")
    assert _trace_count(page, "timeline") >= 3  # proposals + top 1 + top 2
    names = page.evaluate("() => document.querySelector('#timeline .js-plotly-plot').data.map(t => t.name)")
    assert any(n.startswith("Top 1") for n in names) and any(n.startswith("Top 2") for n in names)
    # plotly 7 ships arrays base64-encoded ("bdata"); plotly.js decodes them into _fullData
    heat_rows = page.evaluate("() => document.querySelector('#heatmap .js-plotly-plot')._fullData[0].z.length")
    assert heat_rows == 5  # one row per word of the query
    assert page.locator("#heatmap .hm image").count() == 1  # the heatmap was painted
    bars = page.evaluate("() => document.querySelectorAll('#timeline .barlayer .point').length")
    assert bars > 0  # the proposal bars were drawn, not just attached

    page.wait_for_function("() => document.querySelector('#clip1 video')?.getAttribute('src')")
    page.wait_for_function("() => document.querySelector('#clip2 video')?.getAttribute('src')")
    assert "Top 1:" in page.locator("#clip1").inner_text() and "Top 2:" in page.locator("#clip2").inner_text()
    assert "the red square moves right" in page.locator("#summary").inner_text()
    page.wait_for_timeout(500)  # let the plots finish their transition before the screenshot
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app_retrieve.png"), full_page=True)
    assert not errors, errors


def test_script_in_query_is_not_executed(page_and_url):
    page, url, tmp = page_and_url
    clip = make_clip(tmp / "upload2.webm")
    page.goto(url)
    page.evaluate("() => { window.__pwned = false; }")
    _upload(page, clip)
    page.get_by_label("Query").fill(
        "<img src=x onerror='window.__pwned=true'> the red circle <script>alert(1)</script>"
    )
    page.locator("#run-retrieve").click()
    page.wait_for_function("() => document.querySelector('#timeline .js-plotly-plot')?.data?.length > 0")
    assert "<img src=x" in page.locator("#summary").inner_text()  # shown as text
    assert page.evaluate("() => window.__pwned") is False
