"""Equipment gains a status history; each existing piece starts it with one row: its current
status, from the start of its installation day when that is earlier than its registration, else
from its registration (the rule ``network.actions.history_start`` applies to new pieces)."""

import datetime

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def begin_history(apps, schema_editor):
    Equipment = apps.get_model("network", "Equipment")
    Change = apps.get_model("network", "EquipmentStatusChange")
    batch = []
    rows = Equipment.objects.order_by("pk").values_list("pk", "status", "installed_on", "created_at")
    for pk, status, installed_on, created_at in rows.iterator(chunk_size=2000):
        since = created_at
        if installed_on is not None:
            start = timezone.make_aware(datetime.datetime.combine(installed_on, datetime.time.min))
            since = min(start, created_at)
        batch.append(Change(equipment_id=pk, status=status, changed_at=since))
        if len(batch) >= 2000:
            Change.objects.bulk_create(batch)
            batch = []
    Change.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ('network', '0002_capability_catalogue'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='EquipmentStatusChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('in_use', 'In use'), ('idle', 'Idle'), ('broken', 'Broken')], max_length=10, verbose_name='status')),
                ('changed_at', models.DateTimeField(verbose_name='from')),
                ('note', models.CharField(blank=True, max_length=200, verbose_name='note')),
                ('changed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='changed by')),
                ('equipment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='status_changes', to='network.equipment', verbose_name='equipment')),
            ],
            options={
                'verbose_name': 'equipment status change',
                'verbose_name_plural': 'equipment status history',
                'ordering': ['equipment_id', 'changed_at', 'pk'],
                'indexes': [models.Index(fields=['equipment', 'changed_at'], name='equipment_status_at_idx')],
            },
        ),
        migrations.RunPython(begin_history, migrations.RunPython.noop),
    ]
