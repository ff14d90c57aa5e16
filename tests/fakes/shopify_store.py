"""A local fake Shopify shop (one server, many shops) speaking the real wire format.

- ``POST /{shop}/admin/oauth/access_token``: authorization code (``expiring=1`` for expiring offline
  tokens), ``refresh_token`` (rotating, the previous refresh token stays valid until the new access
  token is used) and token exchange (App Bridge ID token, HS256 with the client secret).
- ``POST /{shop}/admin/api/{version}/graphql.json``: the GraphQL document is parsed and checked
  strictly against a small slice of the Admin schema (operation name, declared vs. provided vs.
  used variables and their types, root fields, arguments and payload fields); answers carry
  Shopify's shapes: ``data``, ``userErrors``, ``errors`` (``THROTTLED``) and ``extensions.cost``.
- ``POST /{shop}/staged/{token}``: the staged-upload target (multipart form, like S3's POST policy).

The fake keeps what printgate wrote (metafields, notes, tags, files) for assertions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.fakes.loopback import LoopbackServer

API_VERSION = "2026-10"

# --- a strict little GraphQL checker ------------------------------------------------------------------

_TOKEN = re.compile(r'\s*(?:(\.\.\.)|("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([{}()\[\]:!$=@,]))')


class GraphQLError(Exception):
    pass


def _tokens(text: str) -> list[str]:
    text = re.sub(r"#[^\n]*", "", text)
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise GraphQLError(f"Syntax error near {text[pos:pos + 20]!r}")
        tok = next(g for g in match.groups() if g is not None)
        if tok != ",":
            out.append(tok)
        pos = match.end()
    return out


@dataclass
class Field:
    name: str
    args: dict[str, Any]
    selections: list[Field]
    fragments: list[tuple[str, list[Field]]] = field(default_factory=list)


@dataclass
class Operation:
    kind: str
    name: str | None
    variables: dict[str, str]  # name -> type text ("[ID!]!")
    fields: list[Field]
    used: set[str]


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.used: set[str] = set()

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None:
            raise GraphQLError("Unexpected end of document")
        if expected is not None and tok != expected:
            raise GraphQLError(f"Expected {expected!r}, found {tok!r}")
        self.i += 1
        return tok

    def type_ref(self) -> str:
        if self.peek() == "[":
            self.take("[")
            inner = self.type_ref()
            self.take("]")
            text = f"[{inner}]"
        else:
            text = self.take()
        if self.peek() == "!":
            self.take("!")
            text += "!"
        return text

    def value(self) -> Any:
        tok = self.take()
        if tok == "$":
            name = self.take()
            self.used.add(name)
            return ("$", name)
        if tok == "[":
            items = []
            while self.peek() != "]":
                items.append(self.value())
            self.take("]")
            return items
        if tok == "{":
            obj = {}
            while self.peek() != "}":
                key = self.take()
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        if tok.startswith('"'):
            return json.loads(tok)
        return tok

    def selection_set(self) -> tuple[list[Field], list[tuple[str, list[Field]]]]:
        self.take("{")
        fields: list[Field] = []
        fragments: list[tuple[str, list[Field]]] = []
        while self.peek() != "}":
            if self.peek() == "...":
                self.take("...")
                self.take("on")
                type_name = self.take()
                inner, _ = self.selection_set()
                fragments.append((type_name, inner))
                continue
            name = self.take()
            if self.peek() == ":":  # alias
                self.take(":")
                name = self.take()
            args: dict[str, Any] = {}
            if self.peek() == "(":
                self.take("(")
                while self.peek() != ")":
                    key = self.take()
                    self.take(":")
                    args[key] = self.value()
                self.take(")")
            subs, frags = self.selection_set() if self.peek() == "{" else ([], [])
            fields.append(Field(name, args, subs, frags))
        self.take("}")
        if not fields and not fragments:
            raise GraphQLError("Empty selection set")
        return fields, fragments

    def operation(self) -> Operation:
        kind = self.take()
        if kind not in ("query", "mutation"):
            raise GraphQLError(f"Unknown operation type {kind!r}")
        name = self.take() if self.peek() not in ("(", "{") else None
        variables: dict[str, str] = {}
        if self.peek() == "(":
            self.take("(")
            while self.peek() != ")":
                self.take("$")
                var = self.take()
                self.take(":")
                variables[var] = self.type_ref()
                if self.peek() == "=":
                    self.take("=")
                    self.value()
            self.take(")")
        fields, _ = self.selection_set()
        if self.peek() is not None:
            raise GraphQLError("Only one operation per document is supported")
        return Operation(kind, name, variables, fields, self.used)


# The slice of the Admin API schema printgate uses: root field -> (argument types, payload fields).
SCHEMA: dict[str, dict[str, tuple[dict[str, str], set[str]]]] = {
    "query": {
        "orders": ({"first": "Int", "after": "String", "query": "String", "sortKey": "OrderSortKeys",
                    "reverse": "Boolean"}, {"pageInfo", "nodes", "edges"}),
        "order": ({"id": "ID!"}, {"id", "note", "tags", "name", "metafield", "metafields"}),
        "nodes": ({"ids": "[ID!]!"}, {"id", "__typename"}),
        "webhookSubscriptions": ({"first": "Int", "after": "String"}, {"nodes", "edges", "pageInfo"}),
        "shop": ({}, {"id", "name", "myshopifyDomain"}),
        "products": ({"first": "Int", "after": "String", "query": "String", "sortKey": "ProductSortKeys",
                      "reverse": "Boolean"}, {"pageInfo", "nodes", "edges"}),
        "collections": ({"first": "Int", "after": "String", "query": "String", "sortKey": "CollectionSortKeys",
                         "reverse": "Boolean"}, {"pageInfo", "nodes", "edges"}),
    },
    "mutation": {
        "metafieldsSet": ({"metafields": "[MetafieldsSetInput!]!"}, {"metafields", "userErrors"}),
        "metafieldsDelete": ({"metafields": "[MetafieldIdentifierInput!]!"}, {"deletedMetafields", "userErrors"}),
        "orderUpdate": ({"input": "OrderInput!"}, {"order", "userErrors"}),
        "tagsAdd": ({"id": "ID!", "tags": "[String!]!"}, {"node", "userErrors"}),
        "stagedUploadsCreate": ({"input": "[StagedUploadInput!]!"}, {"stagedTargets", "userErrors"}),
        "fileCreate": ({"files": "[FileCreateInput!]!"}, {"files", "userErrors"}),
        "webhookSubscriptionCreate": ({"topic": "WebhookSubscriptionTopic!",
                                       "webhookSubscription": "WebhookSubscriptionInput!"},
                                      {"webhookSubscription", "userErrors"}),
    },
}
MUTATION_COST = 10


def validate(query: str, variables: dict[str, Any] | None, operation_name: str | None = None) -> Operation:
    """Parse and check a request the way Shopify would reject it; raise ``GraphQLError``."""
    op = _Parser(query).operation()
    variables = variables or {}
    if operation_name is not None and operation_name != op.name:
        raise GraphQLError(f"Unknown operation named {operation_name!r}")
    for var in op.used:
        if var not in op.variables:
            raise GraphQLError(f"Variable ${var} is not defined by operation {op.name!r}")
    for var, type_text in op.variables.items():
        if var not in op.used:
            raise GraphQLError(f"Variable ${var} is never used in operation {op.name!r}")
        if type_text.endswith("!") and variables.get(var) is None:
            raise GraphQLError(f"Variable ${var} of required type {type_text} was not provided.")
    for var in variables:
        if var not in op.variables:
            raise GraphQLError(f"Variable ${var} is not defined by operation {op.name!r}")
    roots = SCHEMA[op.kind]
    for root in op.fields:
        if root.name not in roots:
            raise GraphQLError(f"Field '{root.name}' doesn't exist on type '{op.kind.title()}Root'")
        arg_types, payload = roots[root.name]
        for arg, value in root.args.items():
            if arg not in arg_types:
                raise GraphQLError(f"Field '{root.name}' doesn't accept argument '{arg}'")
            if isinstance(value, tuple) and value[0] == "$":
                declared = op.variables[value[1]]
                if declared.rstrip("!") != arg_types[arg].rstrip("!"):
                    raise GraphQLError(f"Type mismatch on variable ${value[1]} and argument {arg} "
                                       f"({declared} / {arg_types[arg]})")
                if arg_types[arg].endswith("!") and not declared.endswith("!"):
                    raise GraphQLError(f"Nullable variable ${value[1]} used for required argument {arg}")
        for arg, type_text in arg_types.items():
            if type_text.endswith("!") and arg not in root.args:
                raise GraphQLError(f"Field '{root.name}' is missing required argument: {arg}")
        for sub in root.selections:
            if sub.name not in payload and sub.name != "__typename":
                raise GraphQLError(f"Field '{sub.name}' doesn't exist on the payload of '{root.name}'")
        if op.kind == "mutation" and "userErrors" not in {s.name for s in root.selections}:
            raise GraphQLError(f"printgate must select userErrors on {root.name}")
    return op


def _resolve(value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, tuple) and value[0] == "$":
        return variables.get(value[1])
    if isinstance(value, list):
        return [_resolve(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, variables) for k, v in value.items()}
    return value


# --- shop state --------------------------------------------------------------------------------------

METAFIELD_TYPES = {"json", "single_line_text_field", "multi_line_text_field", "url", "number_integer", "boolean"}


@dataclass
class ShopState:
    domain: str
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # REST shape, by id
    products: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> metafields "ns.key" -> value
    product_titles: dict[str, str] = field(default_factory=dict)  # id -> title (the catalogue the admin page lists)
    collections: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {"title", "products": [ids]}
    metafields: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    tags: dict[str, list[str]] = field(default_factory=dict)
    staged: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    codes: set[str] = field(default_factory=set)
    # Codes, tokens and staged uploads are numbered, not random: a replayed test's fake issues the ones
    # its cassette was recorded with.
    codes_issued: int = 0
    tokens_issued: int = 0
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expires (0: never)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token -> status
    throttle_next: int = 0
    fail_next: int = 0
    available: float = 2000.0
    calls: list[dict[str, Any]] = field(default_factory=list)


class FakeShopify:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.shops: dict[str, ShopState] = {}
        self.base = ""
        self._ids = itertools.count(1000)
        self.app = self._build()

    def shop(self, domain: str) -> ShopState:
        return self.shops.setdefault(domain, ShopState(domain))

    def reset(self) -> None:
        self.shops.clear()
        self._ids = itertools.count(1000)  # a test sees the same ids whatever ran before it

    def issue_code(self, domain: str) -> str:
        state = self.shop(domain)
        state.codes_issued += 1
        code = f"code_{state.codes_issued:016x}"
        state.codes.add(code)
        return code

    def add_order(self, domain: str, order: dict[str, Any]) -> None:
        order = order.get("order", order)
        self.shop(domain).orders[str(order["id"])] = order

    # -- tokens --

    def _issue(self, state: ShopState, expiring: bool) -> dict[str, Any]:
        state.tokens_issued += 1
        token = f"shpat_{state.tokens_issued:024x}"
        body: dict[str, Any] = {"access_token": token, "scope": "read_orders,write_orders,write_files"}
        if expiring:
            state.access_tokens[token] = time.time() + 3600
            refresh = f"shprt_{state.tokens_issued:024x}"
            state.refresh_tokens[refresh] = "current"
            body.update({"expires_in": 3600, "refresh_token": refresh, "refresh_token_expires_in": 7776000})
        else:
            state.access_tokens[token] = 0
        return body

    def expire_tokens(self, domain: str) -> None:
        state = self.shop(domain)
        for token in list(state.access_tokens):
            state.access_tokens[token] = time.time() - 1

    def _verify_id_token(self, token: str, domain: str) -> bool:
        try:
            head, body, sig = token.split(".")
            expected = hmac.new(self.client_secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
            given = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return False
        return (hmac.compare_digest(expected, given) and claims.get("aud") == self.client_id
                and claims.get("exp", 0) > time.time() and claims.get("dest") == f"https://{domain}")

    def token_endpoint(self, domain: str, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        state = self.shop(domain)
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return 400, {"error": "invalid_client", "error_description": "Client credentials are invalid"}
        grant = form.get("grant_type")
        expiring = str(form.get("expiring", "0")) == "1"
        if grant == "refresh_token":
            status = state.refresh_tokens.get(str(form.get("refresh_token")))
            if status is None:
                return 400, {"error": "invalid_grant", "error_description": "refresh token is invalid"}
            for key, value in list(state.refresh_tokens.items()):
                if value == "current":
                    state.refresh_tokens[key] = "previous"
            return 200, self._issue(state, True)
        if grant == "urn:ietf:params:oauth:grant-type:token-exchange":
            required = ("subject_token", "subject_token_type", "requested_token_type")
            if any(not form.get(k) for k in required):
                return 400, {"error": "invalid_request", "error_description": "missing parameter"}
            if form["subject_token_type"] != "urn:ietf:params:oauth:token-type:id_token" or \
                    not self._verify_id_token(str(form["subject_token"]), domain):
                return 400, {"error": "invalid_subject_token", "error_description": "bad id token"}
            return 200, self._issue(state, expiring)
        code = form.get("code")
        if grant not in (None, "authorization_code") or code not in state.codes:
            return 400, {"error": "invalid_request", "error_description": "The authorization code was not found or was already used"}
        state.codes.discard(str(code))
        return 200, self._issue(state, expiring)

    def _token_ok(self, state: ShopState, token: str | None) -> bool:
        if token is None or token not in state.access_tokens:
            return False
        expires = state.access_tokens[token]
        if expires and expires < time.time():
            return False
        # First use of a refreshed token retires the previous refresh token.
        for key, value in list(state.refresh_tokens.items()):
            if value == "previous":
                del state.refresh_tokens[key]
        return True

    # -- graphql --

    def _cost(self, state: ShopState, requested: float, actual: float) -> dict[str, Any]:
        return {"requestedQueryCost": requested, "actualQueryCost": actual,
                "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": state.available,
                                   "restoreRate": 100.0}}

    def graphql(self, state: ShopState, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            op = validate(body.get("query") or "", body.get("variables"), body.get("operationName"))
        except GraphQLError as exc:
            return 200, {"errors": [{"message": str(exc), "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]}
        variables = body.get("variables") or {}
        requested = MUTATION_COST if op.kind == "mutation" else 5
        state.calls.append({"operation": op.name, "variables": variables})
        if state.throttle_next > 0:
            state.throttle_next -= 1
            state.available = 2.0
            return 200, {"errors": [{"message": "Throttled", "extensions": {
                "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": self._cost(state, requested, 0)}}
        state.available = max(0.0, min(2000.0, state.available + 100) - requested)
        data: dict[str, Any] = {}
        for root in op.fields:
            args = {k: _resolve(v, variables) for k, v in root.args.items()}
            data[root.name] = getattr(self, f"_gql_{root.name}")(state, args)
        return 200, {"data": data, "extensions": {"cost": self._cost(state, requested, requested)}}

    def _gql_orders(self, state: ShopState, args: dict[str, Any]) -> dict[str, Any]:
        first = int(args.get("first") or 50)
        ordered = sorted(state.orders.values(), key=lambda o: str(o["id"]))
        start = int(args["after"]) if args.get("after") else 0
        page = ordered[start:start + first]
        return {"pageInfo": {"hasNextPage": start + first < len(ordered),
                             "endCursor": str(start + first) if page else None},
                "nodes": [self._order_node(o) for o in page]}

    @staticmethod
    def _order_node(order: dict[str, Any]) -> dict[str, Any]:
        customer = order.get("customer") or None
        return {
            "id": f"gid://shopify/Order/{order['id']}", "legacyResourceId": str(order["id"]),
            "name": order.get("name"), "displayFinancialStatus": str(order.get("financial_status") or "").upper(),
            "cancelledAt": order.get("cancelled_at"), "updatedAt": order.get("updated_at"),
            "currencyCode": order.get("currency"),
            "totalPriceSet": {"shopMoney": {"amount": order.get("total_price"), "currencyCode": order.get("currency")}},
            "customer": {"id": f"gid://shopify/Customer/{customer['id']}", "legacyResourceId": str(customer["id"]),
                         "email": customer.get("email"), "firstName": customer.get("first_name"),
                         "lastName": customer.get("last_name"), "phone": customer.get("phone")} if customer else None,
            "customAttributes": [{"key": a["name"], "value": a["value"]} for a in order.get("note_attributes") or []],
            "lineItems": {"nodes": [{
                "id": f"gid://shopify/LineItem/{li['id']}", "name": li.get("name"), "quantity": li.get("quantity"),
                "sku": li.get("sku"),
                "customAttributes": [{"key": p["name"], "value": p["value"]} for p in li.get("properties") or []
                                     if isinstance(p.get("value"), str)],
                "product": {"id": f"gid://shopify/Product/{li['product_id']}",
                            "legacyResourceId": str(li["product_id"])} if li.get("product_id") else None,
            } for li in order.get("line_items") or []]},
        }

    def _gql_order(self, state: ShopState, args: dict[str, Any]) -> dict[str, Any] | None:
        order_id = str(args["id"]).rsplit("/", 1)[-1]
        if not str(args["id"]).startswith("gid://shopify/Order/"):
            return None
        return {"id": args["id"], "note": state.notes.get(order_id, (state.orders.get(order_id) or {}).get("note")),
                "tags": state.tags.get(order_id, [])}

    @staticmethod
    def _workflow(state: ShopState, owner: str) -> str | None:
        """``printgate.workflow_id`` of a product or collection: as written through metafieldsSet, else
        as a test seeded it."""
        stored = state.metafields.get((owner, "printgate", "workflow_id"))
        if stored is not None:
            return str(stored["value"])
        oid = owner.rsplit("/", 1)[-1]
        if owner.startswith("gid://shopify/Product/"):
            return state.products.get(oid, {}).get("printgate.workflow_id")
        return (state.collections.get(oid) or {}).get("workflow_id")

    def _product_collections(self, state: ShopState, pid: str) -> list[dict[str, Any]]:
        found = sorted((c["title"], cid) for cid, c in state.collections.items() if pid in c.get("products", []))
        out = []
        for _title, cid in found:
            value = self._workflow(state, f"gid://shopify/Collection/{cid}")
            out.append({"id": f"gid://shopify/Collection/{cid}", "metafield": {"value": value} if value else None})
        return out

    def _gql_nodes(self, state: ShopState, args: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        for node_id in args["ids"]:
            pid = str(node_id).rsplit("/", 1)[-1]
            if str(node_id).startswith("gid://shopify/Product/"):
                value = self._workflow(state, str(node_id))
                out.append({"id": node_id, "legacyResourceId": pid,
                            "metafield": {"value": value} if value else None,
                            "collections": {"nodes": self._product_collections(state, pid)}})
            else:
                out.append(None)
        return out

    def _catalogue_page(self, state: ShopState, kind: str, titles: dict[str, str],
                        args: dict[str, Any]) -> dict[str, Any]:
        """``products`` / ``collections``: sorted by title, ``query`` as a title search, cursor paging."""
        search = str(args.get("query") or "").lower()
        rows = sorted((title, oid) for oid, title in titles.items() if search in title.lower())
        first = int(args.get("first") or 50)
        start = int(args["after"]) if args.get("after") else 0
        page = rows[start:start + first]
        nodes = []
        for title, oid in page:
            owner = f"gid://shopify/{kind}/{oid}"
            value = self._workflow(state, owner)
            nodes.append({"id": owner, "legacyResourceId": oid, "title": title,
                          "metafield": {"value": value} if value else None})
        return {"pageInfo": {"hasNextPage": start + first < len(rows),
                             "endCursor": str(start + first) if page else None}, "nodes": nodes}

    def _gql_products(self, state: ShopState, args: dict[str, Any]) -> dict[str, Any]:
        return self._catalogue_page(state, "Product", state.product_titles, args)

    def _gql_collections(self, state: ShopState, args: dict[str, Any]) -> dict[str, Any]:
        return self._catalogue_page(state, "Collection", {cid: c["title"] for cid, c in state.collections.items()},
                                    args)

    def _gql_metafieldsDelete(self, state: ShopState, args: dict[str, Any]) -> dict[str, Any]:
        deleted, errors = [], []
        for index, mf in enumerate(args["metafields"]):
            if not mf.get("ownerId") or not mf.get("namespace") or not mf.get("key"):
                errors.append({"field": ["metafields", str(index)], "message": "ownerId, namespace and key are required"})
                continue
            key = (mf["ownerId"], mf["namespace"], mf["key"])
            oid = str(mf["ownerId"]).rsplit("/", 1)[-1]
            seeded = state.products.get(oid, {}) if mf["ownerId"].startswith("gid://shopify/Product/") else {}
            if state.metafields.pop(key, None) is not None or seeded.pop(f"{key[1]}.{key[2]}", None) is not None:
                deleted.append({"ownerId": key[0], "namespace": key[1], "key": key[2]})
            else:
                deleted.append(None)  # Shopify answers null for a metafield that did not exist
        return {"deletedMetafields": deleted, "userErrors": errors}

    def _gql_metafieldsSet(self, state: ShopState, args: dict[str, Any]) -> dict[str, Any]:
        items = args["metafields"]
        errors = []
        if len(items) > 25:
            errors.append({"field": ["metafields"], "message": "Exceeded the maximum metafields input limit of 25.",
                           "code": "LESS_THAN_OR_EQUAL_TO"})
        for index, mf in enumerate(items):
            for key in ("ownerId", "key", "value"):
                if not mf.get(key):
                    errors.append({"field": ["metafields", str(index), key], "message": f"{key} can't be blank",
                                   "code": "BLANK"})
            if mf.get("type") not in METAFIELD_TYPES:
                errors.append({"field": ["metafields", str(index), "type"], "message": "Type is invalid",
                               "code": "INVALID_TYPE"})
            if mf.get("type") == "json":
                try:
                    json.loads(mf.get("value") or "")
                except ValueError:
                    errors.append({"field": ["metafields", str(index), "value"], "message": "Value is invalid JSON",
                                   "code": "INVALID_VALUE"})
            owner = str(mf.get("ownerId", ""))
            oid = owner.rsplit("/", 1)[-1]
            unknown = (owner.startswith("gid://shopify/Product/") and oid not in state.products
                       and oid not in state.product_titles) or (
                owner.startswith("gid://shopify/Collection/") and oid not in state.collections)
            if not owner.startswith("gid://shopify/") or unknown:
                errors.append({"field": ["metafields", str(index), "ownerId"], "message": "Owner does not exist",
                               "code": "INVALID"})
        if errors:
            return {"metafields": [], "userErrors": errors}
        out = []
        for mf in items:
            key = (mf["ownerId"], mf.get("namespace") or "$app", mf["key"])
            stored = state.metafields.setdefault(key, {"id": f"gid://shopify/Metafield/{next(self._ids)}"})
            stored.update({"namespace": key[1], "key": key[2], "type": mf["type"], "value": mf["value"]})
            out.append({"id": stored["id"], "namespace": key[1], "key": key[2]})
        return {"metafields": out, "userErrors": []}

    def _gql_orderUpdate(self, state: ShopState, args: dict[str, Any]) -> dict[str, Any]:
        data = args["input"]
        order_id = str(data.get("id", "")).rsplit("/", 1)[-1]
        if order_id not in state.orders:
            return {"order": None, "userErrors": [{"field": ["id"], "message": "Order does not exist"}]}
        if "note" in data:
            state.notes[order_id] = data["note"]
        return {"order": {"id": data["id"]}, "userErrors": []}

    def _gql_tagsAdd(self, state: ShopState, args: dict[str, Any]) -> dict[str, Any]:
        order_id = str(args["id"]).rsplit("/", 1)[-1]
        if order_id not in state.orders:
            return {"node": None, "userErrors": [{"field": ["id"], "message": "Resource does not exist"}]}
        tags = state.tags.setdefault(order_id, [])
        tags.extend(t for t in args["tags"] if t not in tags)
        return {"node": {"id": args["id"]}, "userErrors": []}

    def _gql_stagedUploadsCreate(self, state: ShopState, args: dict[str, Any]) -> dict[str, Any]:
        targets, errors = [], []
        for index, item in enumerate(args["input"]):
            if item.get("resource") not in ("FILE", "IMAGE", "VIDEO", "MODEL_3D", "BULK_MUTATION_VARIABLES"):
                errors.append({"field": ["input", str(index), "resource"], "message": "resource is invalid"})
                continue
            if not item.get("filename") or not item.get("mimeType"):
                errors.append({"field": ["input", str(index)], "message": "filename and mimeType are required"})
                continue
            state.tokens_issued += 1
            token = f"{state.tokens_issued:016x}"
            resource = f"https://shopify-staged-uploads.storage.googleapis.com/tmp/{token}/{item['filename']}"
            state.staged[token] = {"resourceUrl": resource, "uploaded": False, "filename": item["filename"]}
            targets.append({"url": f"{self.base}/{state.domain}/staged/{token}", "resourceUrl": resource,
                            "parameters": [{"name": "key", "value": f"tmp/{token}/{item['filename']}"},
                                           {"name": "Content-Type", "value": item["mimeType"]},
                                           {"name": "policy", "value": base64.b64encode(token.encode()).decode()}]})
        return {"stagedTargets": targets, "userErrors": errors}

    def _gql_fileCreate(self, state: ShopState, args: dict[str, Any]) -> dict[str, Any]:
        files, errors = [], []
        for index, item in enumerate(args["files"]):
            staged = next((s for s in state.staged.values() if s["resourceUrl"] == item.get("originalSource")), None)
            if staged is None or not staged["uploaded"]:
                errors.append({"field": ["files", str(index), "originalSource"],
                               "message": "File URL is invalid or the upload is incomplete", "code": "INVALID"})
                continue
            file_id = f"gid://shopify/GenericFile/{next(self._ids)}"
            state.files[file_id] = {"alt": item.get("alt"), "filename": staged["filename"], "size": staged["size"]}
            files.append({"id": file_id, "alt": item.get("alt"), "fileStatus": "UPLOADED"})
        return {"files": files, "userErrors": errors}

    def _gql_webhookSubscriptions(self, state: ShopState, args: dict[str, Any]) -> dict[str, Any]:
        return {"nodes": [{"id": s["id"], "topic": s["topic"],
                           "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": s["callbackUrl"]}}
                          for s in state.subscriptions]}

    def _gql_webhookSubscriptionCreate(self, state: ShopState, args: dict[str, Any]) -> dict[str, Any]:
        sub = {"id": f"gid://shopify/WebhookSubscription/{next(self._ids)}", "topic": args["topic"],
               "callbackUrl": args["webhookSubscription"].get("callbackUrl")}
        if not str(sub["callbackUrl"]).startswith(("https://", "http://")):
            return {"webhookSubscription": None, "userErrors": [{"field": ["callbackUrl"], "message": "invalid"}]}
        state.subscriptions.append(sub)
        return {"webhookSubscription": {"id": sub["id"], "topic": sub["topic"]}, "userErrors": []}

    def _gql_shop(self, state: ShopState, args: dict[str, Any]) -> dict[str, Any]:
        return {"id": "gid://shopify/Shop/1", "name": state.domain, "myshopifyDomain": state.domain}

    # -- app --

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.post("/{domain}/admin/oauth/access_token")
        async def access_token(domain: str, request: Request) -> Response:
            raw = await request.body()
            if request.headers.get("content-type", "").startswith("application/json"):
                form = json.loads(raw or b"{}")
            else:
                form = dict((await request.form()).items())
            status, body = self.token_endpoint(domain, form)
            return JSONResponse(body, status_code=status)

        @app.post("/{domain}/admin/api/{version}/graphql.json")
        async def graphql(domain: str, version: str, request: Request) -> Response:
            if version != API_VERSION:
                return JSONResponse({"errors": "Not Found"}, status_code=404)
            state = self.shop(domain)
            if not self._token_ok(state, request.headers.get("x-shopify-access-token")):
                return JSONResponse({"errors": "[API] Invalid API key or access token (unrecognized login or "
                                               "wrong password)"}, status_code=401)
            if state.fail_next > 0:
                state.fail_next -= 1
                return JSONResponse({"errors": "Internal Server Error"}, status_code=503)
            try:
                body = json.loads(await request.body())
            except ValueError:
                return JSONResponse({"errors": "Bad JSON"}, status_code=400)
            status, payload = self.graphql(state, body)
            return JSONResponse(payload, status_code=status)

        @app.post("/{domain}/staged/{token}")
        async def staged(domain: str, token: str, request: Request) -> Response:
            state = self.shop(domain)
            form = await request.form()
            entry = state.staged.get(token)
            upload = form.get("file")
            if entry is None or upload is None or form.get("key") != f"tmp/{token}/{entry['filename']}":
                return Response("<Error><Code>AccessDenied</Code></Error>", status_code=403,
                                media_type="application/xml")
            content = await upload.read()  # type: ignore[union-attr]
            entry.update({"uploaded": True, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()})
            return Response(status_code=201)

        return app


class FakeShopServer(LoopbackServer):
    """Runs a ``FakeShopify`` on a loopback port in a thread."""

    def __init__(self, fake: FakeShopify) -> None:
        super().__init__(fake.app, "fake Shopify")
        self.fake = fake
        fake.base = self.url
