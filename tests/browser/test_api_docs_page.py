"""The API reference renders on an intranet PC with no internet."""

from __future__ import annotations


def test_api_docs_render_offline_with_chinese_text(offline_page):
    page = offline_page.page
    page.goto(f"{offline_page.base}/api/docs")
    heading = page.locator("h1", has_text="谈减负 反映平台 API")
    heading.wait_for()
    page.locator("h2", has_text="提交一条反映").first.wait_for()
    assert offline_page.outside == []
    # Chinese glyphs are drawn with a CJK font (not tofu boxes): the heading is wider than its Latin part.
    width = page.evaluate("() => document.querySelector('h1').getBoundingClientRect().width")
    assert width > 150
    offline_page.screenshot("api-docs", full_page=False)
