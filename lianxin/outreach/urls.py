from django.urls import path

from lianxin.outreach.views import building, dashboard, postings, sites

app_name = "outreach"
urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("export.xlsx", dashboard.export, name="export"),
    path("building/", building.building_view, name="building"),
    path("postings/", postings.posting_list, name="postings"),
    path("postings/new/", postings.posting_create, name="posting-create"),
    path("postings/<uuid:id>/", postings.posting_detail, name="posting"),
    path("postings/<uuid:id>/cancel/", postings.posting_cancel, name="posting-cancel"),
    path("roster/", postings.roster_view, name="roster"),
    path("sites/<uuid:id>/", sites.site_view, name="site"),
    path("sites-with/", sites.sites_with_view, name="sites-with"),
]
