from django.apps import AppConfig


class Config(AppConfig):
    name = "lianxin.interfaces"
    label = "interfaces"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from lianxin.interfaces.fhir.resources import referrals, register_all

        register_all()
        # ServiceRequest, Task and Appointment from the referrals app.
        referrals.register()
