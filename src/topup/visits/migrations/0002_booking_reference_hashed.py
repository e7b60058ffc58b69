"""A booking's reference cancels it: keep only its keyed hash (issue 7)."""

from __future__ import annotations

from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def _hash_references(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from topup.visits.services import booking_reference_hash

    booking_model = apps.get_model("visits", "ShopBooking")
    for booking in booking_model.objects.only("pk", "reference").iterator():
        booking.reference_hash = booking_reference_hash(booking.reference)
        booking.save(update_fields=["reference_hash"])


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="shopbooking",
            name="reference_hash",
            field=models.CharField(max_length=64, null=True),
        ),
        # Backwards there is nothing to restore: the references in clear are gone.
        migrations.RunPython(_hash_references, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(model_name="shopbooking", name="reference"),
        migrations.AlterField(
            model_name="shopbooking",
            name="reference_hash",
            field=models.CharField(max_length=64, unique=True),
        ),
    ]
