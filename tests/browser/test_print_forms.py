"""The print-ready HTML forms printed by a real headless Chromium (DevTools ``Page.printToPDF``, the page's own
``@page`` size): an ordinary quarter fits one A4 page; a long summary runs onto a second page, not off it."""
from __future__ import annotations

import base64
import re

import pytest

from tests.results.conftest import add_quarter, county, render_bytes  # noqa: F401  (county is a fixture)

A4_POINTS = (595.3, 841.9)  # 210 × 297 mm


def _print(browser, tmp_path, html: bytes) -> bytes:
    page = tmp_path / "form.html"
    page.write_bytes(html)
    browser.get(page.as_uri())
    result = browser.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": False})
    return base64.b64decode(result["data"])


def _pages(pdf: bytes) -> list[tuple[float, float]]:
    """The size of each page of a PDF as Chromium writes it (one ``/Type /Page`` object with a MediaBox each)."""
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    count = len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf))
    boxes = [tuple(float(v) for v in m) for m in
             re.findall(rb"/MediaBox\s*\[\s*[-\d.]+\s+[-\d.]+\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)]
    assert boxes, "no MediaBox in the PDF"
    return [boxes[min(i, len(boxes) - 1)] for i in range(count)]


def _assert_a4(pages):
    for w, h in pages:
        assert w == pytest.approx(A4_POINTS[0], abs=1.5) and h == pytest.approx(A4_POINTS[1], abs=1.5)


@pytest.mark.parametrize("name", ["registration-html", "evaluation-html"])
def test_an_ordinary_quarter_prints_on_one_a4_page(browser, tmp_path, session, policy, county, name):  # noqa: F811
    from handlers.actor import system_actor

    _, html = render_bytes(session, system_actor(), policy, name, person="F002", year=2026, quarter=2)
    pdf = _print(browser, tmp_path, html)
    pages = _pages(pdf)
    assert len(pages) == 1 and len(pdf) > 5000
    _assert_a4(pages)


def test_a_long_summary_continues_on_a_second_a4_page(browser, tmp_path, session, policy, county):  # noqa: F811
    from handlers.actor import system_actor

    paragraph = "本季度围绕预算绩效管理重点任务，逐项对照年初计划推进落实，按时完成各项报表与专题材料的起草报送工作。"
    lead, a = county.people["F001"], county.people["F002"]
    add_quarter(session, policy, county.units["fin"], 2026, 3, {a: (90, "好", None), lead: (88, "较好", None)},
                summaries={a: [paragraph] * 14})
    _, html = render_bytes(session, system_actor(), policy, "registration-html", person="F002", year=2026, quarter=3)
    pages = _pages(_print(browser, tmp_path, html))
    assert len(pages) == 2
    _assert_a4(pages)
