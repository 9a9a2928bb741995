from django.urls import path

from lianxin.network import views

app_name = "network"
urlpatterns = [
    path("", views.institution_list, name="institution-list"),
    path("institutions/<uuid:id>/", views.institution_detail, name="institution-detail"),
    path("institutions/<uuid:id>/departments/add/", views.department_add, name="department-add"),
    path("institutions/<uuid:id>/equipment/add/", views.equipment_add, name="equipment-add"),
    path("equipment/<uuid:id>/status/", views.equipment_status, name="equipment-status"),
    path("institutions/<uuid:id>/dicom/add/", views.ae_add, name="ae-add"),
    path("dicom/<uuid:id>/", views.ae_edit, name="ae-edit"),
    path("dicom/<uuid:id>/active/", views.ae_active, name="ae-active"),
    path("communities/<uuid:id>/", views.community_detail, name="community-detail"),
    path("figures/", views.figures, name="figures"),
]
