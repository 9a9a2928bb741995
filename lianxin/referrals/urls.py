from django.urls import path

from lianxin.referrals.views import consultations, printing, referrals, slots

app_name = "referrals"
urlpatterns = [
    path("", referrals.worklist_view, {"box": "incoming"}, name="incoming"),
    path("sent/", referrals.worklist_view, {"box": "sent"}, name="sent"),
    path("new/", referrals.create, name="create"),
    path("new/receiver/", referrals.receiver_fields, name="receiver-fields"),
    path("<uuid:id>/", referrals.detail, name="detail"),
    *[
        path(f"<uuid:id>/{name.replace('_', '-')}/", view, name=name)
        for name, view in referrals.step_views.items()
    ],
    path("<uuid:id>/print/", printing.print_form, name="print"),
    path(
        "<uuid:id>/attachments/<uuid:attachment_id>/",
        referrals.attachment,
        name="attachment",
    ),
    path(
        "<uuid:id>/results/<uuid:result_id>/",
        referrals.linked_result,
        name="linked-result",
    ),
    path("slots/", slots.slot_list, name="slots"),
    path("slots/<uuid:id>/withdraw/", slots.slot_withdraw, name="slot-withdraw"),
    path(
        "consultations/",
        consultations.consultation_list,
        {"box": "incoming"},
        name="consultations",
    ),
    path(
        "consultations/sent/",
        consultations.consultation_list,
        {"box": "sent"},
        name="consultations-sent",
    ),
    path("consultations/new/", consultations.consultation_create, name="consultation-create"),
    path("consultations/<uuid:id>/", consultations.consultation_detail, name="consultation-detail"),
    path("consultations/<uuid:id>/act/", consultations.consultation_act, name="consultation-act"),
]
