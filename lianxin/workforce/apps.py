from django.apps import AppConfig


class Config(AppConfig):
    name = "lianxin.workforce"
    label = "workforce"
    default_auto_field = "django.db.models.BigAutoField"
