from django.urls import path

from lianxin.sterile.views import figures, loads, pages, recalls, scan

app_name = "sterile"

urlpatterns = [
    path("", pages.home, name="home"),
    path("scan/<str:step>/", scan.scan_page, name="scan"),
    path("loads/", loads.load_list, name="loads"),
    path("loads/<uuid:id>/", loads.load_detail, name="load-detail"),
    # one URL per step, made from its input (sterile/inputs.py): sterile:load-finish …
    *[
        path(f"loads/<uuid:id>/{name}/", view, name=f"load-{name}")
        for name, view in loads.load_step_views.items()
    ],
    # sterile:bowie-dick, sterile:washer-run, sterile:open-load
    *[
        path(f"machines/<uuid:id>/{name.replace('_', '-')}/", view, name=name.replace("_", "-"))
        for name, view in loads.machine_step_views.items()
    ],
    path("catalogue/", pages.catalogue, name="catalogue"),
    path("circulation/", pages.circulation, name="circulation"),
    path("requests/", pages.request_list, name="requests"),
    path("packs/<uuid:id>/", pages.pack_detail, name="pack-detail"),
    path("packs/<uuid:id>/label.pdf", pages.pack_label, name="pack-label"),
    path("recalls/", recalls.recall_list, name="recalls"),
    path("recalls/<uuid:id>/", recalls.recall_detail, name="recall-detail"),
    path("recalls/<uuid:id>/confirm/", recalls.recall_confirm, name="recall-confirm"),
    path("recalls/<uuid:id>/report.pdf", recalls.recall_report, name="recall-report"),
    path("figures/", figures.figures_page, name="figures"),
    path("figures.xlsx", figures.figures_xlsx, name="figures-xlsx"),
]
