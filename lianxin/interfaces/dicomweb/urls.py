"""``/dicomweb/``: QIDO-RS, WADO-RS and WADO-URI (PS3.18)."""

from django.urls import path

from lianxin.interfaces.dicomweb import views

app_name = "dicomweb"

STUDY = "studies/<str:study>"
SERIES = f"{STUDY}/series/<str:series>"
INSTANCE = f"{SERIES}/instances/<str:instance>"

urlpatterns = [
    path("wado", views.WadoUriView.as_view(), name="wado"),
    # QIDO-RS
    path("studies", views.StudySearchView.as_view(), name="search-studies"),
    path("series", views.SeriesSearchView.as_view(), name="search-series"),
    path("instances", views.InstanceSearchView.as_view(), name="search-instances"),
    path(f"{STUDY}/series", views.SeriesSearchView.as_view(), name="search-study-series"),
    path(f"{STUDY}/instances", views.InstanceSearchView.as_view(), name="search-study-instances"),
    path(
        f"{SERIES}/instances",
        views.InstanceSearchView.as_view(),
        name="search-series-instances",
    ),
    # WADO-RS
    path(STUDY, views.RetrieveView.as_view(), name="study"),
    path(SERIES, views.RetrieveView.as_view(), name="series"),
    path(INSTANCE, views.RetrieveView.as_view(), name="instance"),
    path(f"{STUDY}/metadata", views.MetadataView.as_view(), name="study-metadata"),
    path(f"{SERIES}/metadata", views.MetadataView.as_view(), name="series-metadata"),
    path(f"{INSTANCE}/metadata", views.MetadataView.as_view(), name="instance-metadata"),
    path(f"{INSTANCE}/rendered", views.RenderedView.as_view(), name="instance-rendered"),
    path(f"{INSTANCE}/frames/<str:frames>", views.FramesView.as_view(), name="frames"),
    path(
        f"{INSTANCE}/frames/<str:frames>/rendered",
        views.RenderedView.as_view(),
        name="frames-rendered",
    ),
    path(f"{INSTANCE}/bulkdata/<str:tag>", views.BulkDataView.as_view(), name="bulkdata"),
]
