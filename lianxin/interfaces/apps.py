from django.apps import AppConfig


class Config(AppConfig):
    name = "lianxin.interfaces"
    label = "interfaces"
    default_auto_field = "django.db.models.BigAutoField"
