"""schemathesis over the OpenAPI schema, in process, as every role (issue 12 item 10).

Every operation of /api/schema/ is fuzzed with a bounded, derandomized number of generated requests per role through
Django's WSGI app: no answer may be a server error, and every answer must use a documented status code and match its
documented schema. The token endpoints (log in, log out) are fuzzed apart, with the lockout reset between cases, so
the run can neither lock out nor revoke the credentials the other cases use.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from axes.models import AccessAttempt
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from issues.services import ticket_create
from tests.factories import EnterpriseFactory, HouseholdFactory

ROLES = ["admin_user", "leader", "dispatcher", "handler", "cadre"]
EXAMPLES = 10  # per operation and role: (49 operations - 2) x 5 roles x 10 = 2,350 requests, about a minute
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
TOKEN_PATH = "/api/v1/auth/token/"
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same cases every run: a red CI run reproduces locally
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the failure list names the operation and the case
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def app(db) -> Iterator[Any]:
    """Django's WSGI app, sharing the test's connection and transaction (as Django's test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def schema(app, admin_user) -> Any:
    _, token = AuthToken.objects.create(admin_user)
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, headers={"Authorization": f"Token {token}"})


@pytest.fixture
def seeded(org, campaign_obj, cadre) -> dict[str, int]:
    """Rows of each kind, by the path that names them: half the cases of an operation with an id use the real one
    (deeper than a 404: actions on a live ticket with generated bodies), the other half a generated id."""
    ticket = ticket_create(
        actor=cadre, source="self_found", kind="complaint", category="城市管理", description="占道经营", lat=34.19,
        lng=108.88,
    )  # fmt: skip
    return {
        "/api/v1/tickets/{id}/": ticket.pk,
        "/api/v1/households/{id}/": HouseholdFactory(unit=org.grid1).pk,
        "/api/v1/enterprises/{id}/": EnterpriseFactory(unit=org.grid1).pk,
        "/api/v1/units/{id}/": org.grid1.pk,
    }


def known_id(operation: Any, seeded: dict[str, int]) -> dict[str, int] | None:
    return next(({"id": pk} for prefix, pk in seeded.items() if operation.path.startswith(prefix)), None)


def fuzz(operation: Any, app: Any, headers: dict[str, str], failures: list[str], label: str, **kw: Any) -> int:
    """Run `operation`'s generated cases; record each failure (role, operation, the check's message). Returns cases."""
    count = 0

    strategy = operation.as_strategy()
    if kw.get("path_parameters"):
        strategy = strategy | operation.as_strategy(path_parameters=kw["path_parameters"])

    @FUZZ_SETTINGS
    @given(case=strategy)
    def run(case: Any) -> None:
        nonlocal count
        count += 1
        kw.get("before", lambda: None)()
        response = case.call(app=app, headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as failure:  # collected: the test lists every failure at the end
            failures.append(f"{label} {operation.label} → {response.status_code}: {str(failure)[:600]}")

    run()
    return count


def test_every_operation_as_every_role_answers_as_documented(schema, app, seeded, request):
    started, failures, cases = time.monotonic(), [], 0
    operations = [result.ok() for result in schema.get_all_operations()]
    for role in ROLES:
        _, token = AuthToken.objects.create(request.getfixturevalue(role))
        headers = {"Authorization": f"Token {token}"}
        for operation in operations:
            if operation.path != TOKEN_PATH:
                known = known_id(operation, seeded)
                cases += fuzz(operation, app, headers, failures, role, path_parameters=known)
    print(f"api fuzz: {len(operations) - 2} operations x {len(ROLES)} roles, {cases} cases, "
          f"{time.monotonic() - started:.0f}s")  # fmt: skip
    assert failures == [], "\n".join(failures)


def test_token_endpoints_apart_with_the_lockout_reset(schema, app, cadre, client):
    failures: list[str] = []
    keep, cases = AuthToken.objects.create(cadre)[1], 0
    for operation in schema.get_all_operations():
        operation = operation.ok()
        if operation.path == TOKEN_PATH:
            cases += fuzz(operation, app, {}, failures, "anonymous", before=AccessAttempt.objects.all().delete)
    print(f"token fuzz: 2 operations, {cases} cases")
    assert failures == [], "\n".join(failures)
    # the run revoked nothing it did not log in itself, and locked nobody out: the kept token still works
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {keep}").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/tickets/", "/api/v1/visits/", "/api/v1/stats/summary/"])
def test_missing_credentials_answer_401_naming_the_scheme(client, db, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
