"""Open311 GeoReport v2 under /open311/v2/ (issue 17 item 1, SPEC §5 source `partner`, SPEC §7's paths table).

A partner system (interop.models.Partner) reads its district's tickets as service requests and files new ones; the
services (the categories) are public. The spec's paths, parameters and field names, in JSON and XML; errors are the
spec's list (`[{"code", "description"}]`), a missing or bad key 403 as Open311 clients expect. What is answered and
why: docs/integration.md "Open311"; the decisions: docs/decisions.md "Issue 17 — Open311".

- formats.py: the JSON and XML answers and the error list;
- inputs.py: the GET filters and the POST body, checked (nothing is stored when one fails);
- selectors.py: the categories as services, the district's tickets as service requests (nothing personal);
- services.py: filing a request as a ticket through issues.services.ticket_create;
- views.py, urls.py: the doors; throttles.py: the limit per key.
"""
