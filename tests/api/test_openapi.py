"""The published contract: OpenAPI document and interactive docs."""

from __future__ import annotations

from django.test import Client

EXPECTED_OPERATIONS = {
    ("/api/v1/auth/otp", "post"),
    ("/api/v1/auth/token", "post"),
    ("/api/v1/me", "get"),
    ("/api/v1/me/topups", "get"),
    ("/api/v1/topups", "post"),
    ("/api/v1/topups/{order_id}", "get"),
    ("/api/v1/topups/{order_id}/receipt.pdf", "get"),
    ("/api/v1/payments/webhooks/simulator", "post"),
    ("/api/v1/kiosks", "get"),
    ("/api/v1/ping", "get"),
}


def test_the_openapi_document_lists_every_operation(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["info"]["version"] == "v1"
    operations = {(path, method) for path, item in document["paths"].items() for method in item}
    assert operations == EXPECTED_OPERATIONS
    create = document["paths"]["/api/v1/topups"]["post"]
    assert {"201", "400", "409", "422"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert "ErrorOut" in document["components"]["schemas"]
    assert "BearerAuth" in document["components"]["securitySchemes"] or any(
        "bearer" in str(scheme).lower()
        for scheme in document["components"]["securitySchemes"].values()
    )


def test_the_docs_page_is_served(client: Client) -> None:
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert b"/api/v1/openapi.json" in response.content
