"""Every name a ticket already carries becomes a category (issue 15 item 1): a ticket keeps its name (Ticket.category),
and the name is now a row. Read through ticket_category_idx (category, created_at, id): the distinct names of a
million tickets in a few skips of the index, not a sort of the table."""

from django.db import migrations


def ticket_names(apps, schema_editor):
    Category = apps.get_model("campaign", "Category")
    Ticket = apps.get_model("issues", "Ticket")
    known = set(Category.objects.values_list("name", flat=True))
    names = Ticket.objects.exclude(category="").order_by("category").values_list("category", flat=True).distinct()
    for name in names:
        if name in known:
            continue
        n = Category.objects.count() + 1
        code = f"c{n}"
        while Category.objects.filter(code=code).exists():
            n += 1
            code = f"c{n}"
        Category.objects.create(code=code, name=name, position=n, active=True)
        known.add(name)


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0014_router_model"),
        ("campaign", "0010_categories"),
    ]

    operations = [migrations.RunPython(ticket_names, migrations.RunPython.noop)]
