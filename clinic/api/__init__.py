"""The REST API under /api/v1: bearer tokens (personal and service), problem details, the OpenAPI document built
from the same pydantic schemas that validate requests, and the endpoints, which call the pages' policies and
services (nothing of the domain's rules is repeated here)."""
