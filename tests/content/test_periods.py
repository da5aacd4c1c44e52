import datetime as dt

import pytest

from portal.content.periods import last_complete_half_year, parse_period, recent_half_years, span_label


@pytest.mark.parametrize(
    ("code", "start", "end", "label"),
    [
        ("2023", dt.date(2023, 1, 1), dt.date(2023, 12, 31), "2023年"),
        ("2023H1", dt.date(2023, 1, 1), dt.date(2023, 6, 30), "2023年上半年"),
        ("2023h2", dt.date(2023, 7, 1), dt.date(2023, 12, 31), "2023年下半年"),
        ("2024Q1", dt.date(2024, 1, 1), dt.date(2024, 3, 31), "2024年第一季度"),
        ("2023Q4", dt.date(2023, 10, 1), dt.date(2023, 12, 31), "2023年第四季度"),
    ],
)
def test_a_period_code_names_its_dates_and_label(code, start, end, label):
    period = parse_period(code)

    assert (period.start, period.end, period.label) == (start, end, label)


@pytest.mark.parametrize("code", ["2023H3", "2023Q5", "23H1", "2023-H1", ""])
def test_a_malformed_period_is_refused_in_chinese(code):
    with pytest.raises(ValueError, match="格式不对"):
        parse_period(code)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2023, 7, 1), "2023H1"),
        (dt.date(2023, 12, 31), "2023H1"),
        (dt.date(2024, 1, 1), "2023H2"),
        (dt.date(2023, 6, 30), "2022H2"),
    ],
)
def test_the_last_complete_half_year_ended_before_today(today, expected):
    assert last_complete_half_year(today).code == expected


def test_recent_half_years_go_back_newest_first():
    assert [p.code for p in recent_half_years(dt.date(2024, 2, 1), 4)] == [
        "2023H2",
        "2023H1",
        "2022H2",
        "2022H1",
    ]


def test_a_span_is_named_when_it_is_a_whole_half_year_or_year():
    assert span_label(dt.date(2023, 1, 1), dt.date(2023, 6, 30)) == "2023年上半年"
    assert span_label(dt.date(2023, 1, 1), dt.date(2023, 12, 31)) == "2023年"
    assert span_label(dt.date(2023, 1, 5), dt.date(2023, 6, 30)) == "2023-01-05 至 2023-06-30"


def test_periods_sort_by_their_end_and_a_year_after_its_second_half():
    codes = ["2022", "2023H1", "2022H2", "2022H1"]

    ordered = sorted((parse_period(c) for c in codes), key=lambda p: p.sort_key, reverse=True)

    assert [p.code for p in ordered] == ["2023H1", "2022", "2022H2", "2022H1"]
