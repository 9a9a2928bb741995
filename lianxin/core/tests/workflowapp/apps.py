from django.apps import AppConfig


class Config(AppConfig):
    name = "lianxin.core.tests.workflowapp"
    label = "workflowapp"
    default_auto_field = "django.db.models.BigAutoField"
