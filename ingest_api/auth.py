"""`X-API-Key` authentication: the key's SHA-256 against the configured hashes, constant time.

Only hashes are configured (`SALESFLOW_API_KEYS=name:sha256hex`), so a leaked configuration does
not leak keys. Every configured hash is compared, so the time taken does not reveal which one
(or how much of one) matched.
"""

from __future__ import annotations

from collections.abc import Sequence

from contract.settings import ApiKey, hash_api_key
from ingest_api.errors import ApiError

API_KEY_HEADER = "X-API-Key"
SECURITY_SCHEME_NAME = "ApiKey"
SECURITY_SCHEME = {
    "type": "apiKey",
    "in": "header",
    "name": API_KEY_HEADER,
    "description": "The key issued to this shop or terminal; events are stamped with its name.",
}
"""The OpenAPI security scheme of the event routes, as `create_app` publishes it."""
API_KEY_SECURITY: dict[str, list[str]] = {SECURITY_SCHEME_NAME: []}


def source_for_key(presented: str | None, keys: Sequence[ApiKey]) -> str:
    """The source name of the presented key; 401 when it is missing or unknown."""
    if not presented:
        raise _unauthorized(f"send your API key in the {API_KEY_HEADER} header")
    digest = hash_api_key(presented)
    source: str | None = None
    for key in keys:
        if key.matches(digest) and source is None:
            source = key.source
    if source is None:
        raise _unauthorized(f"the {API_KEY_HEADER} is not a known key; check it or ask for one")
    return source


def _unauthorized(message: str) -> ApiError:
    return ApiError(
        401, "unauthorized", message, headers={"WWW-Authenticate": f"ApiKey {API_KEY_HEADER}"}
    )
