"""The built book in headless Chromium, with no network: math typeset, figures loaded, the Colab
button's address, and a widget that responds with no kernel. The CDN libraries are served from
tests/browser/node_modules."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import ROOT, chapter_notebooks, require, serving
from course.stamps import colab_url

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
ASSETS = ROOT / "tests" / "browser"
NODE_MODULES = ASSETS / "node_modules"
JSDELIVR_NPM = re.compile(r"^https://cdn\.jsdelivr\.net/npm/((?:@[^/@]+/)?[^/@]+)@[^/]+/([^?#]*)")
WIDGET_DIST = NODE_MODULES / "@jupyter-widgets/html-manager/dist"


@pytest.fixture(scope="module")
def browser():
    require(os.path.exists(CHROMIUM), f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    if not NODE_MODULES.is_dir():
        npm = shutil.which("npm")
        require(npm is not None, "npm is needed to install the book's JavaScript libraries for the browser test")
        subprocess.run([npm, "ci", "--silent", "--prefix", str(ASSETS)], check=True)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def site(built_book):
    with serving(built_book) as url:
        yield url.rstrip("/")


def local_copy(url):
    """The node_modules file for a CDN address the book asks for (all of them are npm packages
    served by jsDelivr: MathJax, RequireJS, the widget manager), else None."""
    match = JSDELIVR_NPM.match(url)
    if match:
        return NODE_MODULES / match[1] / match[2]
    name = url.split("?")[0].rsplit("/", 1)[-1]
    if name.endswith((".woff", ".woff2", ".ttf", ".eot")) and (WIDGET_DIST / name).is_file():
        return WIDGET_DIST / name  # the widget manager's icon fonts, asked for relative to the page
    return None


@pytest.fixture
def page(browser, site):
    """A page that gets the CDN libraries from node_modules and no other outside address."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()

    def route(route):
        url = route.request.url
        path = local_copy(url)
        if path is not None and path.is_file():
            return route.fulfill(path=str(path), headers={"Access-Control-Allow-Origin": "*"})
        return route.continue_() if url.startswith(site) else route.abort()
    page.route("**/*", route)
    yield page
    context.close()


def visible_images(page, selector):
    return page.eval_on_selector_all(
        selector, "els => els.filter(e => e.offsetParent !== null).map(e => e.src)")


@pytest.mark.parametrize("chapter", chapter_notebooks(), ids=lambda p: p.stem)
def test_chapter_page_in_chromium(page, site, chapter):
    page.goto(f"{site}/book/{chapter.stem}.html", wait_until="networkidle")
    # Math: MathJax replaced the TeX with its own elements.
    page.wait_for_function("document.querySelectorAll('article mjx-container').length >= 3", timeout=20000)
    # Figures: every stored image of a cell output loaded.
    sizes = page.eval_on_selector_all(".cell_output img", "els => els.map(e => [e.src.slice(-40), e.complete, e.naturalWidth])")
    assert sizes and all(complete and width > 0 for _, complete, width in sizes), sizes
    # The Colab button.
    href = page.eval_on_selector_all("a[href*='colab.research.google.com/github/']", "els => els.map(e => e.href)")
    assert colab_url(f"book/{chapter.name}") in href
    # The widget: the slider's handle, moved with the keyboard, changes the figure shown.
    handle = page.locator(".widget-slider .noUi-handle, .widget-hslider .noUi-handle").first
    handle.wait_for(timeout=20000)
    handle.scroll_into_view_if_needed()
    before = visible_images(page, ".widget-vbox img")
    assert before, "the widget shows no figure"
    handle.focus()
    page.keyboard.press("ArrowRight")
    shown = """before => { const now = [...document.querySelectorAll('.widget-vbox img')]
                     .filter(e => e.offsetParent !== null).map(e => e.src);
                   return now.length > 0 && JSON.stringify(now) !== JSON.stringify(before); }"""
    page.wait_for_function(shown, arg=before, timeout=10000)  # fails when the figure never changes
