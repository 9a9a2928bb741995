from django.urls import path

from lianxin.emergency import views

app_name = "emergency"
urlpatterns = [
    path("", views.desk, name="desk"),
    path("villages.json", views.villages, name="villages"),
    path("map.svg", views.map_svg, name="map"),
    path("cases/", views.case_list, name="cases"),
    path("cases/new/", views.case_open, name="case-open"),
    path("cases/<uuid:id>/", views.case_detail, name="case"),
    *[
        path(f"cases/<uuid:id>/{name}/", view, name=f"case-{name}")
        for name, view in views.step_views.items()
    ],
    path("savings/", views.savings_view, name="savings"),
    path("planner/", views.planner_view, name="planner"),
    path("network/", views.network_view, name="network"),
    *[
        path(f"network/<uuid:id>/{name}/", view, name=f"network-{name}")
        for name, view in views.network_step_views.items()
    ],
]
