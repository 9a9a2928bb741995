"""List dates: this year's moments by month and day, older ones with their year."""

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
