"""The raw-rows baseline of the statistics benchmarks (bench/rollup.py, bench/stats_scale.py): no imports, no side
effects, so a test can hold it to its answers and its plan."""

# The summary of a unit's subtree over [start, end) computed from visits and tickets alone,
# as a DBA would write it — one statement, one pass over each table. The visits to date are grouped once by
# household, each group counting its visits inside the period with a FILTER; every visit figure is an aggregate of
# those groups (the NULL group holds the enterprise visits: counted as visits, never as households), and the
# members are looked up by key only for the groups visited in the period (a sub-select under the FILTER: a join
# would look up every household visited to date). tests/dashboard/
# test_raw_baseline.py holds it to the older four-scan statement's answers and asserts its plan scans each once.
RAW_SUMMARY = """
WITH sub AS (SELECT id FROM campaign_orgunit WHERE path LIKE %(path)s),
homes AS (
  SELECT household_id, COUNT(*) FILTER (WHERE visited_at >= %(start)s) AS in_period
  FROM visits_visit
  WHERE unit_id IN (SELECT id FROM sub) AND visited_at < %(end)s
  GROUP BY household_id
)
SELECT
 COALESCE(SUM(homes.in_period), 0),
 COUNT(homes.household_id) FILTER (WHERE homes.in_period > 0),
 SUM((SELECT h.members FROM campaign_household h WHERE h.id = homes.household_id)) FILTER (WHERE homes.in_period > 0),
 COUNT(homes.household_id),
 (SELECT row(COUNT(*) FILTER (WHERE kind <> 'suggestion'), COUNT(*) FILTER (WHERE status IN ('resolved','closed')),
    COUNT(*) FILTER (WHERE status <> 'cancelled'), COUNT(*) FILTER (WHERE accepted_at <= dispatched_at + interval '24 hours'),
    COUNT(*) FILTER (WHERE dispatched_at IS NOT NULL), COUNT(*) FILTER (WHERE satisfaction IN ('satisfied','basically_satisfied')))::text
  FROM issues_ticket WHERE unit_id IN (SELECT id FROM sub) AND created_at >= %(start)s AND created_at < %(end)s)
FROM homes
"""
