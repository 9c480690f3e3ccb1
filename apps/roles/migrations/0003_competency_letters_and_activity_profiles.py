"""Competency profiles become multi-letter (L, A, C, M, T): the single profile each role carried is turned into its
letter first (roles_sync then sets the guide's letters), and the activities of both processes get their profiles."""

import apps.roles.competencies
from django.db import migrations, models


WORDS = {
    "leader": "L",
    "administrator": "A",
    "coordinator": "C",
    "methods_expert": "M",
    "technical_expert": "T",
}


def to_letters(apps, schema_editor):
    RoleProfile = apps.get_model("roles", "RoleProfile")
    for profile in RoleProfile.objects.all():
        letters = WORDS.get(profile.competency_profile)
        if letters:
            RoleProfile.objects.filter(pk=profile.pk).update(competency_profile=letters)


def to_words(apps, schema_editor):
    RoleProfile = apps.get_model("roles", "RoleProfile")
    back = {letter: word for word, letter in WORDS.items()}
    for profile in RoleProfile.objects.all():
        RoleProfile.objects.filter(pk=profile.pk).update(
            competency_profile=back.get(profile.competency_profile[:1], "leader")
        )


def sync_activities(apps, schema_editor):
    from apps.roles.services import activities_sync

    activities_sync(apps=apps)


class Migration(migrations.Migration):

    dependencies = [
        ('roles', '0002_roles'),
    ]

    operations = [
        migrations.RunPython(to_letters, to_words),
        migrations.AlterField(
            model_name='roleprofile',
            name='competency_profile',
            field=models.CharField(help_text='Letters out of L, A, C, M, T, most significant first.', max_length=5, validators=[apps.roles.competencies.profile_validate]),
        ),
        migrations.CreateModel(
            name='ActivityProfile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('process', models.CharField(choices=[('models', 'Deployment models development and review'), ('deployment', 'Deployment')], max_length=20)),
                ('order', models.PositiveSmallIntegerField()),
                ('activity', models.CharField(max_length=150)),
                ('competency_profile', models.CharField(max_length=5, validators=[apps.roles.competencies.profile_validate])),
                ('description', models.TextField(blank=True)),
            ],
            options={
                'ordering': ['process', 'order'],
                'constraints': [models.UniqueConstraint(fields=('process', 'activity'), name='unique_activity_profile')],
            },
        ),
        migrations.RunPython(sync_activities, migrations.RunPython.noop),
    ]
