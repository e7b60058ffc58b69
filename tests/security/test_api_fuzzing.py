"""Property-based fuzzing of /api/v1 against its own OpenAPI document (schemathesis, in-process).

schemathesis draws requests for every operation in /api/v1/openapi.json: ones the schema allows
(positive) and ones it forbids (negative), sent anonymously, with a customer's Bearer token and
with a forged token, plus the order endpoints aimed at real orders. Every answer must be a non-5xx
with a documented status code, content type, headers and body, and negative data must be refused
with a 4xx. Afterwards the books must still balance. The requests go straight into Django's WSGI
handler in this process, so the test runs on whichever database the suite runs on; it counts
what it sent and needs at least MIN_REQUESTS. Hypothesis runs derandomized: CI sends the same
requests every time, and a failure reproduces.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, AuthContext, Case, GenerationMode
from schemathesis.auths import AuthStorage
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.conftest import (
    IDENTIFIED_EMPTY,
    IDENTIFIED_WITH_FIVE_EUROS,
    api_token,
    assert_books_balance,
    order_create,
    order_paid,
)
from topup.subscribers.selectors import sim_balance, sim_get_by_msisdn

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

MIN_REQUESTS: Final = 2000
EXAMPLES_PER_RUN: Final = 40  # per operation, generation mode and caller
EXAMPLES_PER_KNOWN_ORDER_RUN: Final = 25

# "No 5xx, every answer as documented"; negative data must also be refused.
CHECKS: Final[list[CheckFunction]] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
NEGATIVE_CHECKS: Final[list[CheckFunction]] = [*CHECKS, negative_data_rejection]
# Like most HTTP APIs, this one ignores query parameters, headers and body fields it does not
# define; sending one is therefore not "invalid data" that must be refused.
CONFIG: Final = schemathesis.Config.from_dict({"generation": {"allow-extra-parameters": False}})


@dataclass
class CountingApplication:
    """Django's WSGI handler, counting the requests that reach it."""

    application: WSGIApplication
    requests: int = 0

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self.requests += 1
        return self.application(environ, start_response)


@dataclass(frozen=True)
class BearerToken:
    """schemathesis auth provider: this token on every request that does not test its absence."""

    token: str

    def get(self, case: Case, context: AuthContext) -> str:
        return self.token

    def set(self, case: Case, data: str, context: AuthContext) -> None:
        case.headers["Authorization"] = f"Bearer {data}"


@dataclass(frozen=True)
class Caller:
    name: str
    token: str | None = None

    def auth_storage(self) -> AuthStorage[str] | None:
        return None if self.token is None else AuthStorage(providers=[BearerToken(self.token)])


@dataclass
class FuzzReport:
    failures: list[str] = field(default_factory=list)
    exhausted: list[str] = field(default_factory=list)


def _fuzz(
    operation: APIOperation,
    *,
    mode: GenerationMode,
    caller: Caller,
    report: FuzzReport,
    max_examples: int = EXAMPLES_PER_RUN,
    path_parameters: dict[str, str] | None = None,
) -> None:
    """Send `max_examples` generated requests (fewer if the operation has no more to vary)."""
    checks = NEGATIVE_CHECKS if mode is GenerationMode.NEGATIVE else CHECKS
    strategy = operation.as_strategy(
        generation_mode=mode, path_parameters=path_parameters, auth_storage=caller.auth_storage()
    )

    @settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def send(case: Case) -> None:
        case.validate_response(case.call(), checks=checks)

    run = f"{operation.label} ({mode.value}, {caller.name})"
    try:
        send()
    except Unsatisfiable:
        # An operation without parameters has no negative version (the webhook's header aside).
        report.exhausted.append(run)
    except (BaseExceptionGroup, AssertionError) as failure:
        report.failures.append(f"{run}:\n{failure}")


@pytest.mark.django_db(transaction=True)  # autocommit, as in production: no test transaction
def test_the_api_answers_every_generated_request_as_documented(demo: None, client: Client) -> None:
    token = api_token(client, IDENTIFIED_WITH_FIVE_EUROS)
    credited = order_paid(client)
    awaiting = order_create()
    someone_elses = order_create(msisdn=IDENTIFIED_EMPTY)
    balances_before = _balances()

    application = CountingApplication(WSGIHandler())
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)
    callers = [Caller("anonymous"), Caller("customer", token), Caller("forged token", token[::-1])]
    report = FuzzReport()
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert operations and len(operations) == len(results), "the OpenAPI document is invalid"
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for caller in callers:
                _fuzz(operation, mode=mode, caller=caller, report=report)
        if "{order_id}" in operation.path:
            for order in (credited, awaiting, someone_elses):
                for caller in callers[:2]:
                    _fuzz(
                        operation,
                        mode=GenerationMode.POSITIVE,
                        caller=caller,
                        report=report,
                        max_examples=EXAMPLES_PER_KNOWN_ORDER_RUN,
                        path_parameters={"order_id": str(order.pk)},
                    )

    assert report.failures == [], "\n\n".join(report.failures)
    assert application.requests >= MIN_REQUESTS, (application.requests, report.exhausted)
    # Nothing the fuzzer sent moved money: no payment was made, so no balance may change.
    assert _balances() == balances_before
    assert_books_balance()


def _balances() -> dict[str, int]:
    return {
        msisdn: sim_balance(sim=sim_get_by_msisdn(msisdn=msisdn)).paid_cents
        for msisdn in (IDENTIFIED_WITH_FIVE_EUROS, IDENTIFIED_EMPTY)
    }
