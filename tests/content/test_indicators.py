from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from portal.content import services
from portal.content.models import Indicator
from portal.tabular import ImportFileError
from tests.content.factories import IndicatorFactory

pytestmark = pytest.mark.django_db

GOOD = (
    "期间,指标,数值,单位,同比增长(%),来源\n"
    "2023H1,地区生产总值,302.3,亿元,7.5%,统计局\n"
    "2023H1,规模以上工业增加值,,,11.1,统计局\n"
    '2023H1,一般公共预算收入,"38.68",亿元,0.51,财政局\n'
)


def run(text: str, *, filename="indicators.csv", dry_run=False, encoding="utf-8"):
    return services.indicators_import(data=text.encode(encoding), filename=filename, dry_run=dry_run)


def test_a_good_file_creates_every_indicator():
    report = run(GOOD)

    assert report.summary() == "导入完成：共 3 行，新增 3，更新 0，未变 0。"
    gdp = Indicator.objects.get(period="2023H1", name="地区生产总值")
    assert (gdp.value, gdp.unit, gdp.yoy_growth, gdp.source) == (
        Decimal("302.30"),
        "亿元",
        Decimal("7.50"),
        "统计局",
    )
    industry = Indicator.objects.get(name="规模以上工业增加值")
    assert (industry.value, industry.yoy_growth) == (None, Decimal("11.10"))


def test_importing_the_same_file_again_changes_nothing_and_a_new_value_updates():
    run(GOOD)

    again = run(GOOD)
    changed = run(GOOD.replace("302.3,", "303.0,"))

    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)
    assert Indicator.objects.get(name="地区生产总值").value == Decimal("303.00")


def test_english_headers_and_a_gb18030_file_are_read():
    text = "period,name,value,unit,yoy_growth,source,order\n2022,地区生产总值,560.1,亿元,4.2,统计局,3\n"

    report = run(text, encoding="gb18030")

    assert report.ok
    assert Indicator.objects.get(period="2022").order == 3


def test_every_bad_row_is_reported_and_nothing_is_written():
    text = (
        "期间,指标,数值,单位,同比增长(%),来源\n"
        "2023H1,地区生产总值,302.3,亿元,7.5,统计局\n"
        "2023H3,第二产业增加值,156.2,亿元,8.9,统计局\n"
        "2023H1,第三产业增加值,一百,亿元,6.1,统计局\n"
        "2023H1,固定资产投资,,,,统计局\n"
        "2023H1,,1,亿元,1,统计局\n"
        "2023H1,地区生产总值,300,亿元,7.0,统计局\n"
        "2023Q2,社会消费品零售总额,1,亿元,1,统计局,\n"
    )

    report = run(text)

    assert [str(e) for e in report.errors] == [
        "第 3 行：期间“2023H3”格式不对，应为 2023、2023H1、2023H2 或 2023Q1 至 2023Q4",
        "第 4 行：数值“一百”不是数字",
        "第 5 行：数值和同比增长至少要填一项",
        "第 6 行：指标名称为空",
        "第 7 行：与第 2 行重复（2023H1 地区生产总值）",
    ]
    assert report.summary() == "导入被拒绝：5 行有错误，未做任何修改。"
    assert Indicator.objects.count() == 0


def test_a_dry_run_reports_without_writing():
    report = run(GOOD, dry_run=True)

    assert report.summary() == "校验通过（未写入）：共 3 行，新增 3，更新 0，未变 0。"
    assert Indicator.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "filename", "message"),
    [
        (GOOD, "indicators.xlsx", "只支持 CSV 文件。"),
        ("", "indicators.csv", "文件为空。"),
        ("期间,指标,数值,备注\n", "indicators.csv", "无法识别的列：备注"),
        ("期间,数值\n", "indicators.csv", "缺少必填列：name/指标"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(text, filename, message):
    with pytest.raises(ImportFileError, match=message):
        run(text, filename=filename)


def test_a_file_in_an_unknown_encoding_says_so():
    with pytest.raises(ImportFileError, match="文件编码无法识别"):
        services.indicators_import(data=b"\xff\xfe\x00\xd8bad", filename="x.csv")


def test_the_import_command_fails_with_the_row_errors(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("期间,指标,数值\n2023H1,地区生产总值,abc\n", encoding="utf-8")

    with pytest.raises(CommandError, match="导入被拒绝：1 行有错误"):
        call_command("import_indicators", str(path))

    assert "第 2 行：数值“abc”不是数字" in capsys.readouterr().err


def test_the_import_command_imports_a_good_file(tmp_path, capsys):
    path = tmp_path / "good.csv"
    path.write_text(GOOD, encoding="utf-8")

    call_command("import_indicators", str(path))

    assert capsys.readouterr().out.strip() == "导入完成：共 3 行，新增 3，更新 0，未变 0。"
    assert Indicator.objects.count() == 3


def test_the_download_reads_back_into_the_same_indicators(client):
    run(GOOD)
    IndicatorFactory(period="2022H1", name="=HYPERLINK(1)", value=Decimal("1.00"), yoy_growth=None)

    response = client.get(reverse("content:economy_csv"), {"period": "2023h1"})

    assert response["Content-Disposition"] == 'attachment; filename="indicators-2023H1.csv"'
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff期间,指标,数值,单位,同比增长(%),来源,排序\r\n")
    assert "HYPERLINK" not in text
    Indicator.objects.filter(period="2023H1").delete()
    assert run(text.lstrip("\ufeff")).created == 3


def test_the_full_download_quotes_a_formula_like_name_as_text(client):
    IndicatorFactory(period="2022H1", name="=HYPERLINK(1)")

    text = b"".join(client.get(reverse("content:economy_csv")).streaming_content).decode("utf-8")

    assert "'=HYPERLINK(1)" in text


def test_a_bad_period_in_the_download_is_a_bad_request(client):
    response = client.get(reverse("content:economy_csv"), {"period": "2023H9"})

    assert response.status_code == 400


def test_the_economy_page_shows_the_latest_period_as_a_table_and_charts(client):
    run(GOOD)
    IndicatorFactory(period="2022H1", name="地区生产总值", value=Decimal("281.21"), yoy_growth=None)
    IndicatorFactory(period="2022H1", name="一般公共预算收入", value=Decimal("38.48"), yoy_growth=None)

    response = client.get(reverse("content:economy"))

    body = response.content.decode()
    assert response.context["current"].code == "2023H1"
    assert [r.name for r in response.context["rows"]] == [
        "地区生产总值",
        "规模以上工业增加值",
        "一般公共预算收入",
    ]
    assert [p.code for p in response.context["periods"]] == ["2023H1", "2022H1"]
    assert body.count('aria-current="page"') == 2
    assert '<a href="/economy/" aria-current="page">经济数据</a>' in body
    assert (
        '<th scope="row">地区生产总值</th><td class="num" data-label="数值">302.3</td>'
        '<td data-label="单位">亿元</td>'
    ) in body
    assert '<span class="ok">+0.51%</span>' in body
    assert [c["title"] for c in response.context["charts"]] == [
        "2023年上半年 主要指标同比增速",
        "2023年上半年 总量（亿元）",
        "历年同期走势（亿元）",
    ]
    assert body.count("<svg") == 3
    assert "+11.1%" in body
    assert "<script" not in "".join(c["svg"] for c in response.context["charts"])


def test_the_economy_page_shows_an_earlier_period_on_request_and_404_for_an_unknown_one(client):
    run(GOOD)
    IndicatorFactory(period="2022H1", name="地区生产总值", value=Decimal("281.21"), yoy_growth=None)

    earlier = client.get(reverse("content:economy"), {"period": "2022H1"})
    unknown = client.get(reverse("content:economy"), {"period": "2019H1"})

    assert [r.name for r in earlier.context["rows"]] == ["地区生产总值"]
    assert earlier.context["charts"] == []
    assert unknown.status_code == 404


def test_the_economy_page_without_figures_says_so(client):
    assert "暂无经济数据。" in client.get(reverse("content:economy")).content.decode()


def test_negative_growth_draws_a_bar_left_of_zero():
    from portal.content import charts

    svg = charts.bar_chart(
        "增速", [("固定资产投资", Decimal("-2.0"), "-2.0%"), ("GDP", Decimal("6.0"), "+6.0%")]
    )

    assert svg.count('class="chart-bar negative"') == 1
    assert "固定资产投资：-2.0%" in svg
