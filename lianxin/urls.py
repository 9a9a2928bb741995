from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("lianxin.core.urls")),
    path("network/", include("lianxin.network.urls")),
    path("workforce/", include("lianxin.workforce.urls")),
    path("patients/", include("lianxin.patients.urls")),
    path("referrals/", include("lianxin.referrals.urls")),
    path("diagnostics/", include("lianxin.diagnostics.urls")),
    path("outreach/", include("lianxin.outreach.urls")),
    path("family-doctors/", include("lianxin.primarycare.urls")),
    path("emergency/", include("lianxin.emergency.urls")),
    path("sterile/", include("lianxin.sterile.urls")),
    path("indicators/", include("lianxin.indicators.urls")),
    path("imports/", include("lianxin.core.import_urls")),
    path("api/", include("lianxin.api_urls")),
    path("fhir/", include("lianxin.interfaces.fhir.urls")),
    path("dicomweb/", include("lianxin.interfaces.dicomweb.urls")),
    path("interfaces/", include("lianxin.interfaces.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
