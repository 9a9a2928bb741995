from django.apps import AppConfig


class Config(AppConfig):
    name = "lianxin.interfaces"
    label = "interfaces"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from lianxin.interfaces.fhir.resources import register_all

        register_all()
