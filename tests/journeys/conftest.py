"""Helpers of the role journeys: one signed-in browser context per role, an axe-core check of every page visited,
screenshots for the user guide, and the phone-width check."""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.journeys import scenario

DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
BLOCKING = ("serious", "critical")
AXE = Axe()
# Violations inside Django's own admin that no project template can reach (reported to the owners of
# apps/accounts/admin.py): the split date/time inputs of last_login and date_joined have no label of their own, and
# SelectFilter2.js puts an aria-label on the filter icon's bare <span>. Tolerated only under /admin/, only for these.
DJANGO_ADMIN_UPSTREAM = {
    ("label", "#id_last_login_0"),
    ("label", "#id_last_login_1"),
    ("label", "#id_date_joined_0"),
    ("label", "#id_date_joined_1"),
    ("aria-prohibited-attr", ".search-label-icon"),
}


def _upstream(where: str, violation: dict) -> bool:
    if not where.startswith("/admin/"):
        return False
    return all(
        any(
            rule == violation["id"] and fragment in ", ".join(node["target"])
            for rule, fragment in DJANGO_ADMIN_UPSTREAM
        )
        for node in violation["nodes"]
    )


@pytest.fixture
def world():
    """The journeys' reference data (tests/journeys/scenario.py), replacing the shared world of other tests."""
    return scenario.build()


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where screenshots go: docs/images/ when DEPLOYDESK_DOCS_SCREENSHOTS=1, else the test's tmp_path."""
    if os.environ.get("DEPLOYDESK_DOCS_SCREENSHOTS") == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        return DOCS_IMAGES
    return tmp_path


class Journey:
    """One role's signed-in browser tab: every visit is checked for accessibility, and may be photographed."""

    def __init__(self, browser: Browser, base: str, username: str, shots: Path):
        self.browser, self.base, self.username, self.shots = browser, base, username, shots
        # reduced motion: Bootstrap then neither animates alerts nor scrolls smoothly, so pictures are taken at rest
        self.context = browser.new_context(viewport=DESKTOP, base_url=base, reduced_motion="reduce")
        self.context.set_default_timeout(10_000)
        self.page: Page = self.context.new_page()
        self.checked: list[str] = []
        self.extra_contexts = []
        self.page.goto("/accounts/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(scenario.PASSWORD)
        self.page.get_by_test_id("login-submit").click()
        expect(self.page.get_by_test_id("logout")).to_be_visible()

    def goto(self, path: str) -> Page:
        response = self.page.goto(path)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        self.a11y()
        return self.page

    def a11y(self) -> None:
        """axe-core on the page as it is now: no serious or critical violation; the minor ones are printed."""
        page = self.page
        page.wait_for_load_state("load")
        results = AXE.run(page)
        where = page.url.removeprefix(self.base)
        self.checked.append(where)
        blocking = []
        for violation in results.response["violations"]:
            targets = [", ".join(n["target"]) for n in violation["nodes"]][:5]
            line = f"[axe {violation['impact']}] {where}: {violation['id']} — {violation['help']} {targets}"
            if violation["impact"] in BLOCKING and not _upstream(where, violation):
                blocking.append(line)
            else:
                print(line + (" (Django admin upstream)" if violation["impact"] in BLOCKING else ""))
        assert not blocking, "\n".join(blocking)

    def shot(self, name: str, *, locator=None) -> None:
        """A 1280×800 picture of the viewport (or of one element) for the user guide."""
        path = self.shots / f"{name}.png"
        if locator is not None:
            locator.screenshot(path=path)
        else:
            self.page.screenshot(path=path, full_page=False)

    def on_phone(self, path: str, *, navbar: bool = True) -> Page:
        """The same session at a phone's width: `path` must not scroll sideways and the menu must fold away."""
        phone = self.browser.new_context(
            viewport=PHONE, base_url=self.base, reduced_motion="reduce", storage_state=self.context.storage_state()
        )
        self.extra_contexts.append(phone)
        page = phone.new_page()
        response = page.goto(path)
        assert response is not None and response.status == 200
        toggler = page.locator(".navbar-toggler")
        if navbar:
            expect(toggler).to_be_visible()
            expect(page.locator("#mainnav")).to_be_hidden()
        else:  # the Django admin folds its sidebar away instead
            expect(page.locator("#nav-sidebar")).to_be_hidden()
        overflow = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth,"
            " [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right >"
            " window.innerWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className)]"
        )
        scroll_width, inner_width, culprits = overflow
        assert scroll_width <= inner_width + 1, f"{path} overflows at 390 px ({scroll_width}): {culprits}"
        if navbar:
            toggler.click()
            expect(page.locator("#mainnav")).to_be_visible()
        return page

    def close(self) -> None:
        for context in [*self.extra_contexts, self.context]:
            context.close()


@pytest.fixture
def journey(browser: Browser, live_server, shots):
    """`journey("maria")` signs a role in, in its own context; contexts are closed at the end of the test."""
    opened = []

    def start(username: str) -> Journey:
        made = Journey(browser, live_server.url, username, shots)
        opened.append(made)
        return made

    yield start
    for made in opened:
        made.close()
