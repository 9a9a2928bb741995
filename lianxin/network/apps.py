from django.apps import AppConfig


class Config(AppConfig):
    name = "lianxin.network"
    label = "network"
    default_auto_field = "django.db.models.BigAutoField"
