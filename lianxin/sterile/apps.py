from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SterileConfig(AppConfig):
    name = "lianxin.sterile"
    label = "sterile"
    verbose_name = _("Sterile supply")
    default_auto_field = "django.db.models.BigAutoField"
