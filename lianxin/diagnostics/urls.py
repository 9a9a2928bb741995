from django.urls import path

from lianxin.diagnostics.views import (
    critical,
    ecg,
    figures,
    orders,
    printing,
    reading,
    rules,
    specimens,
)

app_name = "diagnostics"
urlpatterns = [
    path("", orders.order_list, name="orders"),
    path("new/", orders.order_create, name="order-create"),
    path("orders/<uuid:id>/", orders.order_detail, name="order-detail"),
    path("orders/<uuid:id>/act/", orders.order_act, name="order-act"),
    path("orders/<uuid:id>/print/", printing.print_report, name="order-print"),
    path("orders/<uuid:id>/specimens/", specimens.specimen_register, name="specimen-register"),
    path("orders/<uuid:id>/ecg/", ecg.ecg_reading, name="ecg-reading"),
    path("orders/<uuid:id>/ecg/upload/", ecg.ecg_upload, name="ecg-upload"),
    path("orders/<uuid:id>/ecg/decide/", ecg.ecg_decide, name="ecg-decide"),
    path("worklist/", reading.worklist_view, name="worklist"),
    path("specimens/", specimens.specimen_list, name="specimens"),
    path("specimens/advance/", specimens.specimen_advance, name="specimen-advance"),
    path("specimens/<uuid:id>/label/", specimens.specimen_label, name="specimen-label"),
    path("critical/", critical.register, name="critical-results"),
    path("critical/<uuid:id>/", critical.detail, name="critical-detail"),
    path("critical/<uuid:id>/acknowledge/", critical.acknowledge, name="critical-ack"),
    path("figures/", figures.figures, name="figures"),
    path("rules/", rules.rules_page, name="rules"),
    path(
        "rules/recognition/<str:code>/", rules.recognition_rule_edit, name="recognition-rule-edit"
    ),
    path("rules/second-reader/", rules.second_read_rule_set, name="second-read-rule-set"),
]
