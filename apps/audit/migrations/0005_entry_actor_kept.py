# An audit entry keeps its actor's id as it was written and hashed: deleting the user (the admin can) no longer sets it
# to NULL, which rewrote hashed entries and broke the chain's verification. No foreign-key constraint: the id stays
# when the user goes, and a POST's two entries no longer check it at the commit.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_auditstreamcursor"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
