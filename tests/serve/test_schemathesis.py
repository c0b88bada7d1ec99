"""Property-based tests from the app's own OpenAPI spec: no 500s, and answers that match it."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings as hypothesis_settings  # noqa: E402

from conftest import TOKEN  # noqa: E402

from tastemaker.serve import Engine, create_app  # noqa: E402

# the spec does not depend on the data: the app gets its store and model per test, below
app = create_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(autouse=True)
def served(settings):
    """Serve a private store copy (POST /events writes the random valid events to it)."""
    app.state.settings = settings
    app.state.engine = Engine(settings.db_path, settings.model_path).start()
    yield
    app.state.settings = app.state.engine = None


@pytest.mark.slow
@schema.parametrize()
@hypothesis_settings(max_examples=15, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                            HealthCheck.filter_too_much])
def test_no_server_errors_and_answers_match_the_spec(case):
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, (case.path, case.query, case.body, response.text)
    case.validate_response(response)
