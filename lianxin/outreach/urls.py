from django.urls import path

from lianxin.outreach.views import building, dashboard, education, postings, sites, specialties

app_name = "outreach"
urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("export.xlsx", dashboard.export, name="export"),
    path("building/", building.building_view, name="building"),
    path("postings/", postings.posting_list, name="postings"),
    path("postings/new/", postings.posting_create, name="posting-create"),
    path("postings/<uuid:id>/", postings.posting_detail, name="posting"),
    path("postings/<uuid:id>/cancel/", postings.posting_cancel, name="posting-cancel"),
    path("postings/<uuid:id>/period/", postings.posting_period, name="posting-period"),
    path("specialties/", specialties.specialty_list, name="specialties"),
    path("specialties/new/", specialties.specialty_create, name="specialty-create"),
    path("specialties/<uuid:id>/", specialties.specialty_detail, name="specialty"),
    path("courses/", education.course_list, name="courses"),
    path("courses/new/", education.course_create, name="course-create"),
    path("courses/<uuid:id>/", education.course_detail, name="course"),
    path("sessions/<uuid:id>/", education.session_detail, name="session"),
    path("roster/", postings.roster_view, name="roster"),
    path("sites/<uuid:id>/", sites.site_view, name="site"),
    path("sites-with/", sites.sites_with_view, name="sites-with"),
]
