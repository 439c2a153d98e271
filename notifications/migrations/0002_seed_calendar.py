from django.db import migrations


def seed_calendar(apps, schema_editor):
    from notifications.calendar_seed import seed

    seed(apps.get_model("notifications", "CalendarDay"))


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(seed_calendar, migrations.RunPython.noop)]
