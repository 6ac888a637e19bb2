"""`salesflow keys add NAME [--stores S|S]`, `salesflow keys remove NAME`, `salesflow keys list`.

The key set of the ingest API, changed where it is kept: the deployment's Secrets Manager secret
(`<prefix>/api-keys`, with `SALESFLOW_ENV=aws` or `--secret`) or the local stack's
`<state-dir>/api-keys`. `add` makes a random key, prints it once (give it to the shop; only its
SHA-256 is stored) and adds `name:sha256` to the set; `remove` takes a name out; `list` shows the
names and their stores, never a hash. Each change is a read-modify-write of the whole set
(`ingest_api.key_store`), so adding a second shop keeps the first.

Running API tasks read the set when they start: after a change in AWS, redeploy the ingest
service (the command prints how); the local stack picks it up at its next `salesflow up`.
"""

from __future__ import annotations

import argparse
import secrets
import sys

from contract.aws import aws_client
from contract.names import ResourceNames
from contract.settings import STORE_ID, ApiKey, Settings, hash_api_key
from contract.structured_logging import configure_logging
from ingest_api.key_store import (
    KEY_NAME,
    LOCAL_KEYS_FILE,
    FileKeyStore,
    KeySet,
    KeyStore,
    KeyStoreError,
    SecretKeyStore,
)

KEY_PREFIX = "sf_"
"""Keys never start with `-` (a command line would read it as an option), and secret scanners can
recognise a leaked one."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--secret",
        action="store_true",
        help="change the deployment's Secrets Manager secret (the default with SALESFLOW_ENV=aws) "
        "instead of the local stack's <state-dir>/api-keys",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="action")
    add = actions.add_parser("add", help="make a key, print it once, add its hash to the set")
    add.add_argument("name", help="the key's name: its events are stamped with it")
    add.add_argument(
        "--stores",
        default=None,
        help="the only stores the key may send for, separated by | (default: every store)",
    )
    remove = actions.add_parser("remove", help="take a key out of the set")
    remove.add_argument("name")
    actions.add_parser("list", help="the keys' names and stores (never a hash)")


def key_store(settings: Settings, *, secret: bool) -> KeyStore:
    if secret or settings.env == "aws":
        secret_id = ResourceNames.for_prefix(settings.name_prefix).api_keys_secret
        return SecretKeyStore(aws_client(settings, "secretsmanager"), secret_id)
    return FileKeyStore(settings.state_dir / LOCAL_KEYS_FILE)


def run(args: argparse.Namespace) -> int:
    configure_logging()
    settings = Settings()
    store = key_store(settings, secret=args.secret)
    try:
        if args.action == "list":
            _print_names(store.read())
            return 0
        if args.action == "remove":
            store.change(lambda keys: keys.without(args.name))
            print(f"removed {args.name!r} from {store.where}")
        else:
            key = _new_key(args.name, args.stores)
            store.change(
                lambda keys: keys.with_key(
                    ApiKey(args.name, hash_api_key(key), _stores(args.stores))
                )
            )
            print(f"added {args.name!r} to {store.where}; the key, shown this once:")
            print(key)
    except KeyStoreError as error:
        print(f"not changed: {error}", file=sys.stderr)
        return 1
    _after_change(settings, store)
    return 0


def _new_key(name: str, stores: str | None) -> str:
    if not KEY_NAME.match(name):
        raise KeyStoreError(f"{name!r} is not a key name (1-64 of A-Z a-z 0-9 _ . -)")
    _stores(stores)
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _stores(stores: str | None) -> frozenset[str] | None:
    if stores is None:
        return None
    names = frozenset(name.strip() for name in stores.split("|"))
    bad = sorted(name for name in names if not STORE_ID.match(name))
    if bad:
        raise KeyStoreError(f"{bad[0]!r} is not a store id (1-64 of A-Z a-z 0-9 _ . : / -)")
    return names


def _print_names(keys: KeySet) -> None:
    for name, stores in keys.names():
        print(f"{name}\t{'|'.join(sorted(stores)) if stores else '(every store)'}")


def _after_change(settings: Settings, store: KeyStore) -> None:
    if isinstance(store, SecretKeyStore):
        cluster = settings.name_prefix
        print(
            "running ingest tasks read the secret when they start; redeploy them with: aws ecs "
            f"update-service --cluster {cluster} --service {cluster}-ingest-api "
            "--force-new-deployment"
        )
    else:
        print("the local stack reads the set when it starts: restart `salesflow up`")
