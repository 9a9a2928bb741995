from django.urls import path

from lianxin.interfaces import views

app_name = "interfaces"
urlpatterns = [
    path("hl7/", views.message_list, name="hl7-messages"),
    path("hl7/<int:pk>/", views.message_detail, name="hl7-message"),
    path("hl7/<int:pk>/rerun/", views.message_rerun, name="hl7-rerun"),
]
urlpatterns += [
    path("reconciliation/", views.reconciliation_queue, name="reconciliation"),
    path("reconciliation/<uuid:id>/", views.reconciliation_study, name="reconciliation-study"),
    path(
        "reconciliation/<uuid:id>/attach/",
        views.reconciliation_attach,
        name="reconciliation-attach",
    ),
]
