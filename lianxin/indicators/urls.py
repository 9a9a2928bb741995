from django.urls import path

from lianxin.indicators.views import dashboard, evidence, exports, feeds

app_name = "indicators"
urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("export.xlsx", exports.export, name="export"),
    path("report.pdf", exports.annual_report, name="report"),
    path("alliance/", exports.alliance, name="alliance"),
    path("feeds/", feeds.feed_list, name="feeds"),
    path("evidence/", evidence.evidence_list, name="evidence"),
    path("evidence/<uuid:id>/judge/", evidence.evidence_judge, name="evidence-judge"),
    path("<int:number>/", dashboard.indicator_detail, name="detail"),
    path("<int:number>/target/", evidence.target_set, name="target"),
    path("<int:number>/rows/<uuid:institution>/", dashboard.feed_rows, name="rows"),
]
