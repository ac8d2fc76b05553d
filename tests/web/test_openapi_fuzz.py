"""Schemathesis against the app's own OpenAPI description (create_app().openapi(), every route and
its form fields), in-process: anonymous, and signed in as staff with a valid CSRF token so that the
handlers' checks are reached. No answer is a 5xx, and a refused POST leaves the database as it was."""
import re

import pytest
import schemathesis
from schemathesis import GenerationMode
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from sqlmodel import select
from typer.testing import CliRunner

from config.settings import Settings
from dondoc.cli import app as cli_app
from dondoc.app.context import AppContext
from dondoc.web import create_app
from models.accounts import add_staff_user
from models.agency import Agency, FocalPoint
from models.db import transaction
from tests.abuse_support import Snapshot, open_review, scratch_database
from tests.conftest import BUNDLED_PLAN, at_vn
from tests.web.conftest import ALICE, BOB, TODAY

EXAMPLES = 8  # per operation and variant: 43 operations, 3 variants
UNLIMITED = 10 ** 6  # the guessing limits are tested in test_limits.py; here they would only hide routes


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("openapi")
    with scratch_database(folder) as url:
        settings = Settings(data_dir=folder / "var", database_url=url, today=TODAY, actor="test",
                            public_base_url="http://testserver", token_failures_per_client=UNLIMITED,
                            signin_requests_per_client=UNLIMITED, signin_requests_per_email=UNLIMITED)
        loader = AppContext(settings)
        result = CliRunner().invoke(cli_app, ["plan", "load", str(BUNDLED_PLAN)], obj=loader)
        assert result.exit_code == 0, result.output
        context = AppContext(settings)
        with transaction(context.engine) as session:
            add_staff_user(session, email=ALICE[0], name=ALICE[1], password=ALICE[2], now=at_vn(TODAY), actor="test")
            agency = session.exec(select(Agency).where(Agency.code == "SKHDT")).one()
            session.add(FocalPoint(agency_id=agency.id, name=BOB[1], email=BOB[0], role="primary"))
        open_review(context)
        app = create_app(context)
        yield app, context
        context.close()


def staff_cookies_and_csrf(app) -> tuple[dict, str]:
    client = TestClient(app)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text).group(1)
    signed_in = client.post("/signin/password", data=dict(email=ALICE[0], password=ALICE[2], csrf=csrf),
                            follow_redirects=False)
    assert signed_in.status_code == 303
    return dict(client.cookies), csrf


def fuzz_every_operation(app, context, *, cookies: dict, csrf: str | None,
                         mode: GenerationMode = GenerationMode.POSITIVE) -> list[str]:
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app
    snapshot = Snapshot(context.engine)
    problems = []
    operations = [result.ok() for result in schema.get_all_operations()]
    # the guided import's six, the periodic reports' two, the stylesheets (2), the people and agency forms, the task's requests,
    # the one-click link's two; evidence download, reassign, contribute (21b)
    assert len(operations) == 43

    for operation in operations:
        @hypothesis_settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                             phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def exercise(case):
            if csrf and isinstance(case.body, dict):
                case.body["csrf"] = case.body["csrf_token"] = csrf
            before = snapshot() if case.method.upper() == "POST" else None
            response = case.call(cookies=cookies)
            case.validate_response(response, checks=[not_a_server_error])
            if before is not None and response.status_code >= 400:
                assert snapshot() == before, f"{case.method} {case.formatted_path} {response.status_code} changed the database"

        try:
            exercise()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # nothing in this operation can break its schema
        except Exception as failure:  # noqa: BLE001 — gather every operation's failure, then report them all
            problems.append(f"{operation.label}: {failure}")
    return problems


def test_no_operation_answers_an_anonymous_visitor_with_a_server_error(site):
    app, context = site
    assert fuzz_every_operation(app, context, cookies={}, csrf=None) == []


def test_no_operation_answers_staff_with_a_server_error_even_with_a_valid_csrf_token(site):
    app, context = site
    cookies, csrf = staff_cookies_and_csrf(app)
    assert fuzz_every_operation(app, context, cookies=cookies, csrf=csrf) == []


def test_no_operation_answers_staff_with_a_server_error_when_the_inputs_break_the_schema(site):
    app, context = site
    cookies, csrf = staff_cookies_and_csrf(app)
    assert fuzz_every_operation(app, context, cookies=cookies, csrf=csrf, mode=GenerationMode.NEGATIVE) == []
