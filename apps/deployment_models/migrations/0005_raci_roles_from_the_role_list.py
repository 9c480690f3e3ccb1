"""RACI roles come from the role list (apps.roles.definitions.RACI_ROLES), not free text. Existing names are mapped:
a name of the list (any case) is kept; a known other name (KNOWN) is mapped; otherwise the first keyword of KEYWORDS
found in it decides, and a name with none goes to the deployment manager. Where two rows of one activity meet on
the same role, the stronger letter is kept (A, then R, C, I) and the other row is deleted."""


from django.db import migrations, models

ROLE_LIST = [
    "Deployment manager",
    "Deployment practitioner",
    "Service owner",
    "Product owner",
    "Auditor",
    "Supplier contact",
    "Service desk",
]
# known names (lower case) → the role list; a name met in the reference data or common in RACI charts
KNOWN = {
    "manager": "Deployment manager",
    "deployment managers": "Deployment manager",
    "release manager": "Deployment manager",
    "change manager": "Deployment manager",
    "practitioner": "Deployment practitioner",
    "deployment practitioners": "Deployment practitioner",
    "ci/cd pipeline": "Deployment practitioner",  # a pipeline acts with a practitioner's token
    "pipeline": "Deployment practitioner",
    "engineer": "Deployment practitioner",
    "vendor": "Supplier contact",
    "supplier": "Supplier contact",
    "partner": "Supplier contact",
    "installation partner": "Supplier contact",
    "helpdesk": "Service desk",
    "help desk": "Service desk",
    "owner": "Service owner",
    "product manager": "Product owner",
}
# otherwise the first keyword found in the name decides; a name with none goes to the deployment manager, the role
# accountable for the practice
KEYWORDS = [
    ("practitioner", "Deployment practitioner"),
    ("pipeline", "Deployment practitioner"),
    ("engineer", "Deployment practitioner"),
    ("operat", "Deployment practitioner"),
    ("vendor", "Supplier contact"),
    ("supplier", "Supplier contact"),
    ("partner", "Supplier contact"),
    ("desk", "Service desk"),
    ("audit", "Auditor"),
    ("product", "Product owner"),
    ("owner", "Service owner"),
]
STRENGTH = {"A": 4, "R": 3, "C": 2, "I": 1}


def role_for(name: str) -> str:
    text = " ".join((name or "").split()).lower()
    for role in ROLE_LIST:
        if text == role.lower():
            return role
    if text in KNOWN:
        return KNOWN[text]
    return next((role for word, role in KEYWORDS if word in text), "Deployment manager")


def map_roles(apps, schema_editor):
    Responsibility = apps.get_model("deployment_models", "Responsibility")
    kept = {}
    for row in Responsibility.objects.order_by("model_id", "activity", "id"):
        role = role_for(row.role)
        key = (row.model_id, row.activity.lower(), role)
        other = kept.get(key)
        if other is None:
            kept[key] = row
            if role != row.role:
                Responsibility.objects.filter(pk=row.pk).update(role=role)
            continue
        weaker, stronger = sorted([other, row], key=lambda r: STRENGTH.get(r.raci, 0))
        Responsibility.objects.filter(pk=weaker.pk).delete()
        Responsibility.objects.filter(pk=stronger.pk).update(role=role)
        kept[key] = stronger



class Migration(migrations.Migration):

    dependencies = [
        ("deployment_models", "0004_stage_step_template"),
    ]

    operations = [
        migrations.RunPython(map_roles, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='responsibility',
            name='role',
            field=models.CharField(choices=[('Deployment manager', 'Deployment manager'), ('Deployment practitioner', 'Deployment practitioner'), ('Service owner', 'Service owner'), ('Product owner', 'Product owner'), ('Auditor', 'Auditor'), ('Supplier contact', 'Supplier contact'), ('Service desk', 'Service desk')], help_text='A role (or party) of the role list.', max_length=100),
        ),
    ]
