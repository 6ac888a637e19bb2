"""`X-API-Key` authentication: the key's SHA-256 against the configured hashes, constant time.

Only hashes are configured (`SALESFLOW_API_KEYS=name:sha256hex`), so a leaked configuration does
not leak keys. Every configured hash is compared, so the time taken does not reveal which one
(or how much of one) matched.
"""

from __future__ import annotations

from collections.abc import Sequence

from contract.settings import ApiKey, hash_api_key
from ingest_api.errors import ApiError
from ingest_api.models import FieldError

API_KEY_HEADER = "X-API-Key"
SECURITY_SCHEME_NAME = "ApiKey"
SECURITY_SCHEME = {
    "type": "apiKey",
    "in": "header",
    "name": API_KEY_HEADER,
    "description": "The key issued to this shop or terminal; events are stamped with its name. "
    "A key bound to stores sends events and reconciliation reports for those stores only.",
}
"""The OpenAPI security scheme of the event routes, as `create_app` publishes it."""
API_KEY_SECURITY: dict[str, list[str]] = {SECURITY_SCHEME_NAME: []}


def api_key_for(presented: str | None, keys: Sequence[ApiKey]) -> ApiKey:
    """The configured key the presented one hashes to; 401 when it is missing or unknown."""
    if not presented:
        raise _unauthorized(f"send your API key in the {API_KEY_HEADER} header")
    digest = hash_api_key(presented)
    found: ApiKey | None = None
    for key in keys:
        if key.matches(digest) and found is None:
            found = key
    if found is None:
        raise _unauthorized(f"the {API_KEY_HEADER} is not a known key; check it or ask for one")
    return found


def store_refusal(
    source: str, stores: frozenset[str] | None, store_id: str, path: str
) -> FieldError | None:
    """Why key `source`, bound to `stores` (None: every store), may not send for `store_id` (the
    field at `path` names it), or None if it may.

    A key bound to stores (`name:sha256hex:STORE|STORE`) sends events and reconciliation reports
    for those stores only, so a till's leaked key cannot write another store's numbers."""
    if stores is None or store_id in stores:
        return None
    return FieldError(
        path=path,
        message=f"the API key {source!r} may not send for store {store_id!r}; it is bound to "
        f"{', '.join(sorted(stores))}",
        type="store_not_allowed",
    )


def _unauthorized(message: str) -> ApiError:
    return ApiError(
        401, "unauthorized", message, headers={"WWW-Authenticate": f"ApiKey {API_KEY_HEADER}"}
    )
