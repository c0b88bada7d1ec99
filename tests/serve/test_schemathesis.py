"""Property-based tests from the app's own OpenAPI spec: no 500s, and answers that match it."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings as hypothesis_settings  # noqa: E402

from serve_support import TOKEN  # noqa: E402

from tastemaker.serve import Engine, create_app  # noqa: E402

CORE = {"/health", "/users", "/users/{user_id}", "/users/{user_id}/recommendations",
        "/users/{user_id}/explanations/{item_id}", "/items", "/items/{item_id}/similar", "/events"}

# the spec does not depend on the data: the app gets its store and model per test, below (loaded
# from the app's own spec, not over ASGI: that would start the app's lifespan with no store yet)
app = create_app()
schema = schemathesis.openapi.from_dict(app.openapi())
schema.app = app


@pytest.fixture(autouse=True)
def served(settings):
    """Serve a private store copy (POST /events writes the random valid events to it)."""
    app.state.settings = settings
    app.state.engine = Engine(settings.db_path, settings.model_root).start()
    yield
    app.state.settings = app.state.engine = None


@pytest.mark.slow
@schema.parametrize()
@hypothesis_settings(max_examples=15, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                            HealthCheck.filter_too_much])
def test_no_server_errors_and_answers_match_the_spec(case):
    """Every operation: never a 5xx. The core API's operations (below): every check
    schemathesis has (status codes documented, bodies as specified, valid requests accepted).
    The product routers (home, Discover Weekly) are held to no 5xx here."""
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, (case.path, case.query, case.body, response.text)
    if case.operation.path in CORE:
        case.validate_response(response)
