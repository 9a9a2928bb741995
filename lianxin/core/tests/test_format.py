"""List dates (this year's moments by month and day, older ones with their year), durations as
clinicians read them and rates as percentages."""

from __future__ import annotations

import datetime

import pytest
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


@pytest.mark.django_db
def test_a_person_shows_by_name_and_title_never_by_user_name():
    from django.utils import translation

    from lianxin.core.templatetags.lianxin_format import person
    from lianxin.testing.factories import PractitionerFactory, UserFactory
    from lianxin.workforce.models import Title

    doctor = UserFactory(username="doctor_14_232", display_name="")
    PractitionerFactory(name="林志远", title=Title.CHIEF, user=doctor)
    clerk = UserFactory(username="clerk7", display_name="王芳")
    with translation.override("zh-hans"):
        assert person(doctor) == "林志远 主任医师"
        assert person(clerk) == "王芳"
    assert person(None) == ""


def test_an_audit_rows_change_reads_as_fields_in_local_time_and_named_states():
    from types import SimpleNamespace

    from django.utils import translation

    from lianxin.core.templatetags.lianxin_format import changes

    event = SimpleNamespace(
        target_type="referrals.referral",
        before={"status": "accepted", "slot": None},
        after={"status": "in-progress", "arrived_at": "2026-03-02T01:05:00+00:00", "slot": ["A"]},
    )
    with translation.override("zh-hans"):
        rows = changes(event)
    # Fields by their names, states by their names, moments in the configured time zone
    # (Asia/Shanghai: 01:05 UTC is 09:05), nothing left as ISO text or a Python value.
    assert ("状态", "已接受", "进行中") in rows
    assert ("到达时间", "", "2026-03-02 09:05") in rows
    # A relation by the name of what it points to (the referral's reserved slot).
    assert ("预留号源", "—", "A") in rows
    # A key no model names still reads as a message, never raises.
    assert changes(SimpleNamespace(target_type="nowhere.thing", before={}, after={"x": 1}))
