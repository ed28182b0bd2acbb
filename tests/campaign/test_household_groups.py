"""Household groups (户区, issue 16 item 4): members lie in the group's grid (service and database), heads are
reporters, and the Excel import of groups and heads is all or nothing with a row-by-row report."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from campaign.errors import Invalid, NotAllowed
from campaign.household_group_import import household_groups_import
from campaign.household_groups import household_group_save
from campaign.models import Household, HouseholdGroup, Role, User
from campaign.services import household_update
from tests.factories import HouseholdFactory, UserFactory


@pytest.fixture
def head(org) -> User:
    return UserFactory(username="huzhang", role=Role.REPORTER, unit=org.grid1)


def counts() -> tuple[int, int, int]:
    return HouseholdGroup.objects.count(), Household.objects.filter(group__isnull=False).count(), User.objects.count()


def test_a_group_takes_households_of_its_grid(admin_user, org, head):
    homes = [HouseholdFactory(unit=org.grid1) for _ in range(3)]

    group = household_group_save(actor=admin_user, group=HouseholdGroup(name="一号户区", unit=org.grid1, head=head),
                                 households=homes)  # fmt: skip

    assert set(group.households.values_list("pk", flat=True)) == {h.pk for h in homes}
    assert group.district_id == org.district.pk


def test_a_household_of_another_grid_is_refused_and_nothing_stored(admin_user, org, head):
    before = counts()
    with pytest.raises(Invalid) as refused:
        household_group_save(
            actor=admin_user,
            group=HouseholdGroup(name="一号户区", unit=org.grid1, head=head),
            households=[HouseholdFactory(unit=org.grid1), HouseholdFactory(unit=org.grid2)],
        )
    assert "households" in refused.value.payload()
    assert counts() == before


def test_a_household_stays_in_one_group(admin_user, org, head):
    home = HouseholdFactory(unit=org.grid1)
    household_group_save(
        actor=admin_user, group=HouseholdGroup(name="甲", unit=org.grid1, head=head), households=[home]
    )
    other = UserFactory(role=Role.REPORTER, unit=org.grid1)

    with pytest.raises(Invalid):
        household_group_save(actor=admin_user, group=HouseholdGroup(name="乙", unit=org.grid1, head=other),
                             households=[Household.objects.get(pk=home.pk)])  # fmt: skip


def test_heads_must_be_reporters_and_only_an_admin_keeps_groups(admin_user, cadre, dispatcher, org):
    with pytest.raises(Invalid):
        household_group_save(actor=admin_user, group=HouseholdGroup(name="甲", unit=org.grid1, head=cadre))
    with pytest.raises(NotAllowed):
        household_group_save(actor=dispatcher, group=HouseholdGroup(name="甲", unit=org.grid1, head=cadre))
    assert HouseholdGroup.objects.count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the composite FK is PostgreSQL's")
def test_the_database_refuses_a_member_of_another_grid(admin_user, org, head):
    group = household_group_save(actor=admin_user, group=HouseholdGroup(name="甲", unit=org.grid1, head=head))
    stranger = HouseholdFactory(unit=org.grid2)

    with pytest.raises(IntegrityError), transaction.atomic():
        Household.objects.filter(pk=stranger.pk).update(group=group)
        connection.check_constraints()  # the FK is deferred: checked at commit, asked for here

    assert Household.objects.get(pk=stranger.pk).group_id is None


def test_a_household_moved_to_another_grid_leaves_its_group(admin_user, org, head):
    home = HouseholdFactory(unit=org.grid1)
    household_group_save(
        actor=admin_user, group=HouseholdGroup(name="甲", unit=org.grid1, head=head), households=[home]
    )

    household_update(actor=admin_user, household=Household.objects.get(pk=home.pk), data={"unit": org.grid2})

    assert Household.objects.get(pk=home.pk).group_id is None


# --- import ---------------------------------------------------------------------------------------------------------
COLUMNS = ("户区名称", "所在网格", "户长账号", "户长姓名", "户长手机", "楼长账号", "住户编号", "住户地址")


def row(name, grid, head, **more):
    """One row with every column (a sheet's header names them all)."""
    return {**dict.fromkeys(COLUMNS, ""), "户区名称": name, "所在网格": grid, "户长账号": head, **more}


def test_import_creates_groups_heads_and_members(admin_user, org):
    a, b, c = (HouseholdFactory(unit=org.grid1, address=f"丈八路{n}号") for n in (1, 2, 3))
    rows = [
        row("一号户区", "丈八一网格", "hz01", 户长姓名="李四", 户长手机="13900001111", 住户编号=a.pk),
        row("一号户区", "丈八一网格", "hz01", 住户地址="丈八路2号"),
        row("二号户区", "丈八一网格", "hz02", 楼长账号="lz02", 住户编号=c.pk),
    ]

    result = household_groups_import(actor=admin_user, rows_or_file=rows)

    assert result.ok, result.errors
    assert result.created == 3
    first = HouseholdGroup.objects.get(name="一号户区")
    assert set(first.households.values_list("pk", flat=True)) == {a.pk, b.pk}
    head = first.head
    assert (head.role, head.unit_id, head.display_name, head.has_usable_password()) == (
        Role.REPORTER, org.grid1.pk, "李四", False,
    )  # fmt: skip
    assert HouseholdGroup.objects.get(name="二号户区").second_head.username == "lz02"
    # imported again: nothing new
    again = household_groups_import(actor=admin_user, rows_or_file=rows)
    assert again.ok and again.created == 0
    assert HouseholdGroup.objects.count() == 2


def test_a_bad_import_stores_nothing_and_names_every_row(admin_user, cadre, org):
    ok = HouseholdFactory(unit=org.grid1)
    far = HouseholdFactory(unit=org.grid2)
    before = counts()
    rows = [
        row("一号户区", "丈八一网格", "hz01", 住户编号=ok.pk),  # fine on its own
        row("一号户区", "丈八一网格", "hz09", 住户编号=far.pk),  # other head; household of another grid
        row("二号户区", "不存在的网格", "hz02", 住户编号=ok.pk),
        row("三号户区", "丈八一网格", "cadre", 住户地址="没有这个地址"),  # a cadre is no head
        row("", "丈八一网格", "hz03", 住户编号="abc"),
        row("四号户区", "丈八一网格", "hz04", 住户编号=ok.pk, 户长手机="12345"),
    ]

    result = household_groups_import(actor=admin_user, rows_or_file=rows)

    assert not result.ok
    by_row = {}
    for error in result.errors:
        by_row.setdefault(error.row, set()).add(error.column)
    assert by_row == {
        3: {"户长账号", "住户编号"},
        4: {"所在网格"},
        5: {"户长账号", "住户地址"},
        6: {"户区名称", "住户编号"},
        7: {"户长手机"},
    }
    assert counts() == before


def test_hostile_cells_are_refused_and_a_non_admin_may_not_import(admin_user, dispatcher, org):
    home = HouseholdFactory(unit=org.grid1)
    result = household_groups_import(
        actor=admin_user, rows_or_file=[row('=HYPERLINK("http://x")\x00', "丈八一网格", "hz01", 住户编号=home.pk)]
    )
    assert not result.ok and counts()[0] == 0
    with pytest.raises(NotAllowed):
        household_groups_import(actor=dispatcher, rows_or_file=[])


def test_the_admin_lists_groups_with_masked_heads_and_imports(client, org, head):
    root = UserFactory(username="root", role=Role.ADMIN, unit=org.district, is_staff=True, is_superuser=True)
    head.display_name = "王小明"
    head.save(update_fields=["display_name"])
    home = HouseholdFactory(unit=org.grid1, head_name="张三丰")
    group = household_group_save(actor=root, group=HouseholdGroup(name="甲", unit=org.grid1, head=head),
                                 households=[home])  # fmt: skip
    client.force_login(root)

    listing = client.get("/admin/campaign/householdgroup/").content.decode()
    change = client.get(f"/admin/campaign/householdgroup/{group.pk}/change/").content.decode()
    page = client.get("/admin/campaign/householdgroup/import/")

    assert "王小明" not in listing and "huzhang" in listing
    assert "张三丰" not in change and home.address in change
    assert page.status_code == 200
