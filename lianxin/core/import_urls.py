"""Upload pages for bulk imports (institutions, practitioners, residents)."""

from django.urls import path

from lianxin.core import import_views

app_name = "imports"
urlpatterns = [
    path("", import_views.upload, name="upload"),
    path("report/", import_views.report, name="report"),
    path("report/csv/", import_views.report_csv, name="report-csv"),
    path("report/xlsx/", import_views.report_xlsx, name="report-xlsx"),
]
