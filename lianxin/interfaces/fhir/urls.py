"""The FHIR façade, mounted at /fhir/ (docs/interfaces/fhir.md)."""

from django.urls import path

from lianxin.interfaces.fhir import views

app_name = "fhir"
urlpatterns = [
    path("metadata", views.MetadataView.as_view(), name="metadata"),
    path("<str:resource_type>/<str:id>", views.ReadView.as_view(), name="read"),
    path("<str:resource_type>", views.SearchView.as_view(), name="search"),
]
