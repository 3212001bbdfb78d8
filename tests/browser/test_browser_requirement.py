"""Without Debian's Chromium the browser tests are skipped and say what to install; CI (KAOHE_REQUIRE_BROWSER=1)
fails instead; KAOHE_SKIP_BROWSER=1 skips them even with Chromium present.
(Runs an inner pytest on one browser test with the driver path pointed at nothing.)"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def inner_pytest(tmp_path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KAOHE_", "PYTEST_"))}  # inner run: own SQLite
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-o", "addopts=-p no:cacheprovider", "-q", "-rfEs",
         "--basetemp", str(tmp_path / "inner"), "tests/browser/test_home_browser.py"],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120)


def test_missing_chromium_is_skipped_with_what_to_install(tmp_path):
    run = inner_pytest(tmp_path, KAOHE_CHROMEDRIVER=str(tmp_path / "no-chromedriver"))
    assert run.returncode == 0, run.stdout
    assert "1 skipped" in run.stdout and "apt-get install -y chromium chromium-driver" in run.stdout


def test_where_a_browser_is_required_a_missing_one_fails(tmp_path):
    run = inner_pytest(tmp_path, KAOHE_CHROMEDRIVER=str(tmp_path / "no-chromedriver"), KAOHE_REQUIRE_BROWSER="1")
    assert run.returncode == 1, run.stdout
    assert "1 error" in run.stdout and "apt-get install -y chromium chromium-driver" in run.stdout
    # the driver is named among what is missing (Chromium too, on a machine without it)
    assert "missing " in run.stdout and str(tmp_path / "no-chromedriver") in run.stdout


def test_an_explicit_switch_skips_them(tmp_path):
    run = inner_pytest(tmp_path, KAOHE_SKIP_BROWSER="1")
    assert run.returncode == 0, run.stdout
    assert "1 skipped" in run.stdout and "KAOHE_SKIP_BROWSER=1" in run.stdout
