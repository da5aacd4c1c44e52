"""Policy bodies are Markdown rendered and cleaned: nothing in them can run."""

from concurrent.futures import ThreadPoolExecutor

from policies.rendering import plain_text, render_markdown


def test_markdown_renders_headings_lists_tables_and_links():
    html = str(
        render_markdown(
            "# 总则\n\n- 一\n- 二\n\n| 类别 | 金额 |\n|---|---|\n| 国家级 | 50 |\n\n[原文](https://example.org/a)"
        )
    )

    assert "<h2>总则</h2>" in html
    assert "<li>一</li>" in html
    assert "<td>国家级</td>" in html
    assert '<a href="https://example.org/a" rel="noopener noreferrer nofollow">原文</a>' in html


def test_a_script_tag_is_removed_with_its_content():
    html = str(render_markdown("正文<script>alert('x')</script>结束"))

    assert "<script" not in html
    assert "alert" not in html
    assert "正文" in html and "结束" in html


def test_event_handlers_are_removed():
    html = str(render_markdown('<img src="x" onerror="alert(1)"><p onclick="alert(2)">点击</p>'))

    assert "onerror" not in html
    assert "onclick" not in html
    assert "<img" not in html
    assert "点击" in html


def test_javascript_links_lose_their_target_however_they_are_written():
    html = str(
        render_markdown(
            '[一](javascript:alert(1)) [二](JaVaScRiPt:alert(1)) <a href=" javascript:alert(3)">三</a>'
        )
    )

    assert "javascript" not in html.lower()
    assert "href" not in html
    assert "一" in html and "三" in html


def test_styles_iframes_and_forms_are_dropped():
    html = str(render_markdown('<style>body{}</style><iframe src="https://x"></iframe><form><input></form>'))

    assert "<style" not in html and "<iframe" not in html and "<form" not in html and "<input" not in html


def test_plain_text_keeps_the_words_without_the_markup():
    assert plain_text("**第一条** 对*研发*费用给予补助。") == "第一条 对研发费用给予补助。"


def test_texts_converted_one_after_another_keep_nothing_of_each_other():
    table = "| 项目 | 金额 |\n|---|---|\n| 研发 | 100 |"
    first = render_markdown(table)

    assert render_markdown("正文") == "<p>正文</p>"
    assert "<table>" in first
    assert render_markdown(table) == first


def test_threads_converting_at_once_each_get_their_own_text():
    texts = [f"第{index}条\n\n- 甲{index}\n- 乙{index}" for index in range(40)]
    expected = [render_markdown(text) for text in texts]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(render_markdown, texts * 5))

    assert results == expected * 5
