"""List dates (this year's moments by month and day, older ones with their year), durations as
clinicians read them and rates as percentages."""

from __future__ import annotations

import datetime

from django.utils import timezone

from lianxin.core.templatetags.lianxin_format import when


def test_this_years_moment_shows_month_day_and_time():
    now = timezone.localtime()
    moment = now.replace(month=1, day=2, hour=9, minute=5)
    assert when(moment) == "01-02 09:05"


def test_an_older_moment_shows_its_year():
    moment = timezone.localtime() - datetime.timedelta(days=400)
    assert when(moment) == moment.strftime("%Y-%m-%d")
    assert when(datetime.date(2020, 3, 4)) == "2020-03-04"


def test_nothing_shows_nothing():
    assert when(None) == ""


def test_durations_read_as_days_hours_and_minutes_in_chinese():
    from django.utils import translation

    from lianxin.core.templatetags.lianxin_format import duration

    with translation.override("zh-hans"):
        # The figures page once printed "1 day, 12:16:40.680628", the register "0:00:00.052157".
        assert duration(datetime.timedelta(days=1, seconds=44200.68)) == "1 天 12 小时"
        assert duration(datetime.timedelta(microseconds=52157)) == "0 秒"
        assert duration(datetime.timedelta(hours=3, minutes=20)) == "3 小时 20 分钟"
        assert duration(45 * 60) == "45 分钟"
        assert duration(None) == "—"


def test_rates_read_as_percentages():
    from lianxin.core.templatetags.lianxin_format import percent

    assert percent(0.8) == "80%"
    assert percent(0.8136, 1) == "81.4%"
    assert percent(0.5, 1) == "50%"
    assert percent(None) == "—"
