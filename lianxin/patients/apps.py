from django.apps import AppConfig


class Config(AppConfig):
    name = "lianxin.patients"
    label = "patients"
    default_auto_field = "django.db.models.BigAutoField"
