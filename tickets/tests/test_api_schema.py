"""/api/schema describes the API and the webhook accurately; /api/docs is served offline, CSP-clean."""

import re

import pytest
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def parameters(operation: dict) -> dict:
    return {p["name"]: p for p in operation.get("parameters", [])}


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


def test_the_paths_are_spec_md_paths_without_trailing_slashes(schema):
    assert {path: sorted(ops) for path, ops in schema["paths"].items()} == {
        "/api/tickets": ["get", "post"],
        "/api/tickets/{id}": ["delete", "get", "patch", "put"],
        "/api/tickets/{id}/history": ["get"],
        "/webhook/ticket": ["post"],
        "/api/rules": ["get", "post"],
        "/api/rules/backtest": ["post"],
        "/api/rules/{id}": ["delete", "get", "patch", "put"],
        "/api/channels": ["get", "post"],
        "/api/channels/{id}": ["delete", "get", "patch", "put"],
        "/api/channels/{id}/test": ["post"],
        "/api/notifications": ["get"],
        "/api/notifications/{id}": ["get"],
        "/api/notifications/{id}/retry": ["post"],
        "/api/insight/anomalies": ["get"],
    }


def test_the_list_describes_every_filter_and_the_pages(schema):
    listing = schema["paths"]["/api/tickets"]["get"]
    params = parameters(listing)
    assert set(params) == {
        "status", "priority", "assigned_to", "unassigned", "created_after", "created_before", "search",
        "ordering", "page", "page_size",
    }  # fmt: skip
    assert params["status"]["schema"]["type"] == "array" and params["status"]["explode"] is True
    assert params["status"]["schema"]["items"]["enum"] == ["closed", "in_progress", "open"]
    assert params["priority"]["schema"]["items"]["enum"] == ["high", "low", "medium"]
    # Every single-valued filter also takes the empty value as "no filter" (the dashboard's form sends it).
    assert params["created_after"]["schema"]["anyOf"] == [
        {"type": "string", "format": "date"},
        {"type": "string", "maxLength": 0},
    ]
    assert params["unassigned"]["schema"]["enum"] == ["true", "false", ""]
    assert params["search"]["schema"]["maxLength"] == 200
    assert "-priority" in params["ordering"]["schema"]["items"]["enum"]
    assert params["page_size"]["schema"]["anyOf"][0] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 999_999_999,
    }
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert page["$ref"].endswith("/PaginatedTicketList")
    assert set(listing["responses"]) == {"200", "400", "401", "403", "404", "429", "503"}


def test_writes_describe_their_errors(schema):
    create = schema["paths"]["/api/tickets"]["post"]
    assert set(create["responses"]) == {"201", "400", "401", "403", "413", "415", "422", "429", "503"}
    bad = create["responses"]["400"]["content"]["application/json"]["schema"]
    assert bad["additionalProperties"] == {"type": "array", "items": {"type": "string"}}
    detail = schema["components"]["schemas"]["ErrorDetail"]
    assert detail["properties"]["detail"]["type"] == "string"
    for method in ("put", "patch"):
        assert {"200", "400", "403", "404", "412", "413", "503"} <= set(
            schema["paths"]["/api/tickets/{id}"][method]["responses"]
        )
    assert set(schema["paths"]["/api/tickets/{id}"]["delete"]["responses"]) >= {
        "204",
        "401",
        "403",
        "404",
        "412",
    }


def test_the_ticket_component_marks_read_only_fields(schema):
    ticket = schema["components"]["schemas"]["Ticket"]
    read_only = {name for name, prop in ticket["properties"].items() if prop.get("readOnly")}
    assert read_only == {
        "id", "created_at", "updated_at", "source", "version", "closed_at", "predicted_resolution",
    }  # fmt: skip
    assert ticket["properties"]["title"]["maxLength"] == 200
    # A field that may be blank is "text of at most 100 characters, or empty" (a oneOf).
    assigned_to, blank = ticket["properties"]["assigned_to"]["oneOf"]
    assert (assigned_to["maxLength"], blank) == (100, {"type": "string", "maxLength": 0})
    assert ticket["properties"]["created_at"]["format"] == "date-time"


def test_the_history_describes_its_events(schema):
    history = schema["paths"]["/api/tickets/{id}/history"]["get"]
    assert set(parameters(history)) == {"id", "page", "page_size"}
    event = schema["components"]["schemas"]["TicketEvent"]
    assert set(event["properties"]) == {"id", "at", "kind", "actor", "source", "changes", "text"}
    assert "404" in history["responses"]


def test_the_api_declares_token_and_session_auth(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }  # fmt: skip
    assert schemes["cookieAuth"]["in"] == "cookie"
    assert {"tokenAuth": []} in schema["paths"]["/api/tickets"]["get"]["security"]


def test_the_webhook_describes_headers_body_and_answers(schema):
    webhook = schema["paths"]["/webhook/ticket"]["post"]
    headers = {p["name"]: p for p in webhook["parameters"] if p["in"] == "header"}
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert all(h["required"] for h in headers.values())
    assert headers["webhook-timestamp"]["schema"]["type"] == "integer"
    assert "security" not in webhook and "security" not in schema  # signed, not authenticated
    body = webhook["requestBody"]["content"]["application/json"]["schema"]
    payload = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert set(payload["properties"]) == {"title", "description", "priority", "assigned_to", "external_id"}
    assert payload["required"] == ["title"]
    assert set(webhook["responses"]) == {"200", "201", "400", "401", "413", "429", "503"}
    assert "HMAC-SHA256" in webhook["description"]


def test_the_schema_is_also_yaml(client):
    response = client.get("/api/schema?format=yaml")
    assert response.status_code == 200 and response.content.startswith(b"openapi: 3")


def test_the_docs_load_nothing_from_elsewhere_and_have_no_inline_script_or_style(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert not re.search(r"(https?:)?//[a-z]", html.replace("<!DOCTYPE html>", ""), re.IGNORECASE)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert len(scripts) == 3
    assert all('src="/' in attrs and body.strip() == "" for attrs, body in scripts)
    assert "<style" not in html and "style=" not in html
    for asset in re.findall(r'(?:src|href)="/static/([^"]+)"', html):
        assert finders.find(asset), asset


def test_the_docs_start_up_script_is_a_file_of_its_own(client):
    response = client.get("/api/docs?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert 'url: "/api/schema"' in response.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_docs_render_in_a_browser_without_csp_violations(live_server):
    from django.test import Client
    from playwright.sync_api import sync_playwright

    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
            page.on(
                "request",
                lambda r: None if r.url.startswith((live_server.url, "data:")) else problems.append(r.url),
            )
            page.goto(f"{live_server.url}/api/docs")
            page.locator(".opblock-summary-path", has_text="/webhook/ticket").wait_for(timeout=15_000)
            operations = sum(len(item) for item in Client().get("/api/schema").json()["paths"].values())
            assert page.locator(".opblock").count() == operations == 26
        finally:
            browser.close()
    assert problems == []
