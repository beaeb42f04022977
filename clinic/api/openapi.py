"""The OpenAPI 3.1 document, assembled from the endpoints as they are registered (`Endpoint`) and the pydantic
models they validate and answer with: JSON Schema 2020-12, which OpenAPI 3.1 uses as it is."""

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from clinic.api.schemas import Body, Problem

API_VERSION = "1.0.0"
REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # "path" or "query"
    schema: dict[str, Any]
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class Endpoint:
    """One operation: what it takes, what it answers, the scope its token needs."""

    operation_id: str
    method: str
    path: str  # OpenAPI form: /bookings/{booking_id}
    summary: str
    scope: str
    response: type[BaseModel] | None
    status: int = 200
    body: type[BaseModel] | None = None
    many: bool = False
    params: tuple[Param, ...] = field(default_factory=tuple)
    problems: tuple[int, ...] = ()


ENDPOINTS: list[Endpoint] = []

COMMON_PROBLEMS = (401, 403, 429)
PROBLEM_TEXT = {
    400: "Malformed request (JSON that does not parse)", 401: "No token, or an unknown, expired or revoked one",
    403: "The token's scope or its user's role does not allow this", 404: "Not found, or not yours to see",
    409: "Changed meanwhile (a slot just taken)", 413: "Body too large", 415: "Body is not JSON",
    422: "Refused input: the same messages as the pages", 429: "Rate limit of this token reached",
}


def document(server_url: str = "/api/v1") -> dict[str, Any]:
    models: set[type[BaseModel]] = {Problem}
    for endpoint in ENDPOINTS:
        models.update(m for m in (endpoint.body, endpoint.response) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    _keys, definitions = models_json_schema(
        [(m, "validation" if issubclass(m, Body) else "serialization") for m in ordered], ref_template=REF
    )
    schemas = definitions.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = operation(endpoint)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OPDC consultation clinic API",
            "version": API_VERSION,
            "description": (
                "Read and act on the OPDC clinic (คลินิกให้คำปรึกษา สำนักงาน ก.พ.ร.) from a ministry's or "
                "department's own platform. Every call carries `Authorization: Bearer <token>`; a token's scopes "
                "(read, book, follow-up) limit what it may call, and the role and scope of the user it acts as "
                "limit what it sees, exactly as on the pages. Refusals are RFC 9457 problem details in the "
                "language of `Accept-Language` (th or en)."
            ),
        },
        "servers": [{"url": server_url}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }


def operation(endpoint: Endpoint) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if endpoint.response is not None:
        schema: dict[str, Any] = {"$ref": REF.format(model=endpoint.response.__name__)}
        if endpoint.many:
            schema = {"type": "array", "items": schema}
        responses[str(endpoint.status)] = {"description": "OK", "content": {"application/json": {"schema": schema}}}
    problem_ref = {"$ref": REF.format(model=Problem.__name__)}
    for status in sorted({*COMMON_PROBLEMS, *endpoint.problems, *((400, 413, 415, 422) if endpoint.body else ())}):
        responses[str(status)] = {"description": PROBLEM_TEXT[status],
                                  "content": {"application/problem+json": {"schema": problem_ref}}}
    op: dict[str, Any] = {
        "operationId": endpoint.operation_id,
        "summary": endpoint.summary,
        "description": f"Scope: `{endpoint.scope}`.",
        "tags": [endpoint.path.strip("/").split("/")[0]],
        "responses": responses,
    }
    if endpoint.params:
        op["parameters"] = [
            {"name": p.name, "in": p.where, "required": p.where == "path" or p.required, "schema": p.schema,
             **({"description": p.description} if p.description else {})}
            for p in endpoint.params
        ]
    if endpoint.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": REF.format(model=endpoint.body.__name__)}}}}
    return op
