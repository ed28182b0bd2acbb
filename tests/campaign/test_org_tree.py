from campaign.models import OrgUnit, UnitKind
from campaign.selectors import grid_for_point


def test_subtree_is_one_query_whatever_the_depth(org, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = {u.name for u in org.street1.subtree()}

    assert names == {"丈八街道", "丈八社区", "丈八一网格"}


def test_district_subtree_holds_every_unit(org):
    assert org.district.subtree().count() == OrgUnit.objects.count() == 9


def test_ancestors_run_from_the_root(org):
    assert [u.name for u in org.grid1.ancestors()] == ["高新区", "丈八街道", "丈八社区", "丈八一网格"]


def test_moving_a_unit_moves_its_subtree(org):
    org.community1.parent = org.street2
    org.community1.save()

    org.grid1.refresh_from_db()
    assert org.street2.contains(org.grid1)
    assert not org.street1.contains(org.grid1)


def test_point_inside_a_grid_is_assigned_to_it(org):
    assert grid_for_point(34.191, 108.881) == org.grid1
    assert grid_for_point(34.231, 108.851) == org.grid2


def test_point_outside_every_grid_has_no_grid(org):
    assert grid_for_point(34.30, 108.70) is None
    assert grid_for_point(None, None) is None


def test_point_in_the_bbox_but_outside_a_triangle_is_not_in_it(org):
    triangle = {"type": "Polygon", "coordinates": [[[109.0, 34.0], [109.1, 34.0], [109.0, 34.1], [109.0, 34.0]]]}
    grid = OrgUnit.objects.create(name="三角网格", kind=UnitKind.GRID, parent=org.community1, boundary=triangle)

    assert grid_for_point(34.01, 109.01) == grid
    assert grid_for_point(34.09, 109.09) is None  # inside the bounding box, outside the triangle
