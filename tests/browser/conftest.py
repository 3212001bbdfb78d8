"""End-to-end fixtures: the real app served on 127.0.0.1 (a free port, in a thread) and a real headless Chromium.

The browser is Debian's ``chromium`` driven by Debian's ``chromium-driver`` through Selenium — never a browser a test
tool downloads. Without them these tests are skipped with what to install, so the README's test command still works
on a fresh machine with only Python; ``KAOHE_REQUIRE_BROWSER=1`` (set by CI, which installs Chromium) makes a missing
browser a failure, and ``KAOHE_SKIP_BROWSER=1`` skips them even where Chromium is installed.
"""
from __future__ import annotations

import os
import shutil
import threading
from datetime import timedelta

import pytest

from handlers.actor import system_actor
from handlers.quarter.cycles import open_cycle
from models import utcnow
from tests import factories as f
from tests.chat.conftest import AES_KEY, flush_redis

CHROMIUM = os.environ.get("KAOHE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("KAOHE_CHROMEDRIVER", "/usr/bin/chromedriver")
INSTALL_HINT = ("the browser tests need Debian's Chromium and its driver: "
                "`apt-get install -y chromium chromium-driver` (expects /usr/bin/chromium and /usr/bin/chromedriver, "
                "or set KAOHE_CHROMIUM / KAOHE_CHROMEDRIVER)")

CHROME_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=zh-CN")


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK) or bool(shutil.which(path))


@pytest.fixture(scope="session")
def chromium_paths() -> tuple[str, str]:
    if os.environ.get("KAOHE_SKIP_BROWSER") == "1":
        # why: an operator asked for it explicitly (e.g. a machine where Chromium is installed but must not run)
        pytest.skip("KAOHE_SKIP_BROWSER=1: browser tests skipped on request")
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not _executable(p)]
    if missing:
        if os.environ.get("KAOHE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"missing {', '.join(missing)} — {INSTALL_HINT}", pytrace=False)
        # why: the README's test command must pass on a fresh machine with only Python; CI sets
        # KAOHE_REQUIRE_BROWSER=1 (above) after installing Chromium, so there a missing browser fails instead
        pytest.skip(f"missing {', '.join(missing)} — {INSTALL_HINT}")
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.fail("the Python package selenium is missing: `.venv/bin/pip install -e '.[test]'`", pytrace=False)
    return CHROMIUM, CHROMEDRIVER


@pytest.fixture
def browser(chromium_paths, tmp_path):
    """A fresh headless Chromium (its own profile under the test's tmp dir)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = chromium_paths
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    # LANGUAGE picks the browser's own words (file picker, date fields) as a Chinese user sees them, where Debian's
    # chromium-l10n is installed; without it they stay English and nothing else changes.
    service = Service(chromedriver, env={**os.environ, "LANGUAGE": "zh_CN"})
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def live_settings(settings, fake_wechat):
    """The app's settings: the test database and Redis, an EncodingAESKey (all three modes), the simulator on,
    outbound WeChat calls to the local fake."""
    return settings.with_overrides(wechat_aes_key=AES_KEY, wechat_api_base=fake_wechat.url,
                                   wecom_api_base=fake_wechat.url, wechat_open_base=fake_wechat.url, simulator=True)


@pytest.fixture
def live_server(live_settings, db, redis_url):
    """``create_app`` served by werkzeug on 127.0.0.1 (free port, threaded) for the test; yields its base URL."""
    from werkzeug.serving import make_server

    from bot import create_app
    from bot.ext import services

    flush_redis(redis_url)
    app = create_app(live_settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="kaohe-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
        services(app).close()
        flush_redis(redis_url)


@pytest.fixture
def small_unit(db, policy):
    """县财政局 with an open quarter: 张局长 (leader, supervises) and 王干事 (staff, C001)."""
    with db.session() as s:
        unit = f.unit(s)
        boss = f.person(s, unit, "中层干部", leader=True, name="张局长", staff_no="B001")
        clerk = f.person(s, unit, supervisor=boss, name="王干事", staff_no="C001")
        today = utcnow().date()
        cycle = open_cycle(s, system_actor(), unit.id, today.year, (today.month - 1) // 3 + 1, policy, today=today)
        cycle.summary_due = utcnow() + timedelta(days=3)
        cycle.scoring_due = utcnow() + timedelta(days=6)
        return dict(unit=unit.id, boss=boss.id, clerk=clerk.id, cycle=cycle.id)
