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
        from lianxin.interfaces.hl7 import signals as hl7_signals

        hl7_signals.connect()
        from lianxin.interfaces import dicom_ecg

        dicom_ecg.connect()
        from lianxin.interfaces.dicom.signals import instance_stored
        from lianxin.interfaces.tasks import forward_stored_instance

        instance_stored.connect(forward_stored_instance, dispatch_uid="forward-to-archive")
