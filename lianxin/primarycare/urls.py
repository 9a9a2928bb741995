from django.urls import path

from lianxin.primarycare.views import contracts, figures, teams, visits, week

app_name = "primarycare"
urlpatterns = [
    path("", week.week_view, name="week"),
    path("teams/", teams.team_list, name="teams"),
    path("teams/new/", teams.team_create, name="team-create"),
    path("teams/<uuid:id>/", teams.team_detail, name="team"),
    # One POST view per team step (add-member, remove-member, add-village, remove-village).
    *[
        path(f"teams/<uuid:id>/{name.replace('_', '-')}/", view, name=f"team-{name}")
        for name, view in teams.team_step_views.items()
    ],
    path("figures/", figures.figures_view, name="figures"),
    path("figures.xlsx", figures.figures_export, name="figures-export"),
    path("contracts/new/", contracts.contract_sign, name="contract-sign"),
    path("contracts/<uuid:id>/", contracts.contract_detail, name="contract"),
    path("contracts/<uuid:id>/print/", contracts.contract_print, name="contract-print"),
    path("contracts/<uuid:id>/visit/", visits.visit_record, name="visit"),
    # One POST view per step (renew, terminate, key-population), named primarycare:<step>.
    *[
        path(f"contracts/<uuid:id>/{name.replace('_', '-')}/", view, name=name)
        for name, view in contracts.step_views.items()
    ],
]
