"""The house rules, checked against the code: one composition root, core at the bottom, queue entry
points referenced as functions, and nothing registering itself on import."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from printgate import tasks
from printgate.connectors import registry
from printgate.connectors import room as connectors_room
from printgate.connectors.base.adapter import PlatformAdapter
from printgate.connectors.base.spec import InboundWebhooks, PlatformSpec
from printgate.connectors.platforms import PLATFORMS
from printgate.core.wiring import Wiring
from printgate.webhooks import inbound
from tests.conftest import Instance
from tests.support import source_dir

PACKAGE = source_dir("core").parent
ROOMS = ("core", "connectors", "webhooks", "widgets")


def modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        yield name, path, ast.parse(path.read_text(), filename=str(path))


def imported_names(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):  # function-level imports included: they are arrows too
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def test_core_imports_no_other_room() -> None:
    crossings = [(name, target) for name, _, tree in modules() if name.startswith("printgate.core.")
                 for target in imported_names(tree)
                 if target.startswith(("printgate.connectors", "printgate.webhooks", "printgate.widgets"))]
    assert crossings == []


def test_no_module_is_over_800_lines() -> None:
    """A module that long holds several concerns; split it by concern (as preflight/pdf/ was)."""
    long = {name: lines for name, path, _ in modules() if (lines := len(path.read_text().splitlines())) > 800}
    assert long == {}


def test_no_wiring_by_dotted_strings() -> None:
    loaders = [(name, node.lineno) for name, _, tree in modules() for node in ast.walk(tree)
               if (isinstance(node, ast.Name) and node.id == "__import__")
               or (isinstance(node, ast.Attribute) and node.attr == "import_module")
               or (isinstance(node, ast.alias) and node.name == "importlib")]
    assert loaders == []


def _enqueued(tree: ast.Module) -> Iterator[tuple[int, ast.expr]]:
    """(line, the function argument) of every call that puts work on a queue."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if callee == "enqueue" and len(node.args) >= 2:
            yield node.lineno, node.args[1]
        elif callee in ("schedule", "schedule_many") and node.args:
            yield node.lineno, node.args[0]


def _resolve(module: Any, expr: ast.expr) -> Any:
    if isinstance(expr, ast.Name):
        return getattr(module, expr.id)
    if isinstance(expr, ast.Attribute):
        return getattr(_resolve(module, expr.value), expr.attr)
    raise TypeError(ast.dump(expr))


def test_every_enqueue_names_a_cataloged_entry_point() -> None:
    import importlib

    seen = []
    for name, _, tree in modules():
        calls = list(_enqueued(tree))
        if not calls or name in ("printgate.core.queue", "printgate.webhooks._queue"):
            continue
        module = importlib.import_module(name)
        for line, expr in calls:
            assert not isinstance(expr, ast.Constant), f"{name}:{line} enqueues by a string"
            target = _resolve(module, expr)
            assert target in tasks.ENTRY_POINTS, f"{name}:{line} enqueues {target!r}, not in printgate.tasks"
            seen.append(target)
    # Every cataloged entry point is enqueued somewhere: the catalog holds no dead names.
    assert set(map(id, seen)) == set(map(id, tasks.ENTRY_POINTS))


def test_importing_every_module_registers_nothing() -> None:
    """Import all of printgate in a fresh interpreter, wire nothing: no listener, sweep, platform or
    verifier may exist. (RQ's cron file and the ASGI/CLI entry points are programs, not modules.)"""
    skip = ("printgate.asgi", "printgate.__main__", "printgate.connectors.base.cron", "printgate.migrations")
    names = [name for name, _, _ in modules() if not name.startswith(skip)]
    code = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "from printgate.core import signals, periodic, orders\n"
        "from printgate.webhooks import inbound\n"
        "from printgate.connectors import registry\n"
        "print(json.dumps({'listeners': {k: len(v) for k, v in signals._listeners.items() if v},\n"
        "                  'periodic': sorted(periodic._tasks), 'inbound': inbound.platforms(),\n"
        "                  'platforms': registry.platforms(), 'store_calls': orders._store_calls is not None,\n"
        "                  'order_sources': len(orders.SOURCE_FAMILIES)}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "listeners": {}, "periodic": [], "inbound": [], "platforms": [], "store_calls": False, "order_sources": 0}


def test_the_root_wires_every_declared_platform(instance: Instance) -> None:
    from printgate.app import create_app

    app = create_app()
    names = [declare().name for declare in PLATFORMS]
    assert names == ["shopify", "woocommerce", "opencart", "prestashop"]
    assert registry.platforms() == sorted(names)
    assert {"shopify", "woocommerce"} <= set(inbound.platforms())
    from fastapi.testclient import TestClient

    client = TestClient(app)
    assert client.get("/no-such-room").status_code == 404
    # Each platform's routes answer (refusing the anonymous caller), where an unrouted path is a 404.
    for method, path in (("GET", "/shopify/install"), ("GET", "/woocommerce/connect"),
                         ("POST", "/store-modules/stores"), ("GET", "/stores/st_1"), ("GET", "/webhook-endpoints")):
        assert client.request(method, path).status_code in (400, 401, 403), (method, path)
    # The module router OpenCart and PrestaShop share is added once: no duplicate operations.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spec = app.openapi()
    assert "/store-modules/stores" in spec["paths"]


class _NewAdapter(PlatformAdapter):
    platform = "newshop"


def _handle(session: Any, delivery: Any) -> None:
    return None


def _verify(headers: Any, body: bytes, connection_id: str | None) -> Any:
    raise inbound.UnknownConnection("no such shop")


def test_a_new_platform_is_one_declaration(instance: Instance) -> None:
    """What "one folder and one line" buys: a spec handed to the room makes the adapter, the webhook
    receiver and the routes live, with nothing else touched."""
    from fastapi import APIRouter, FastAPI
    from fastapi.testclient import TestClient

    router = APIRouter()

    @router.get("/newshop/ping")
    def ping() -> dict[str, str]:
        return {"pong": "newshop"}

    def newshop() -> PlatformSpec:
        return PlatformSpec(name="newshop", adapter=_NewAdapter, line_item_keys=("_newshop_job",),
                            webhooks=InboundWebhooks(verify=_verify, handle=_handle), routers=(router,))

    app = FastAPI()
    try:
        connectors_room.install(Wiring(app), platforms=(newshop,))
        assert "newshop" in registry.platforms() and registry.line_item_keys("newshop") == ("_newshop_job",)
        assert inbound.get_platform("newshop") is not None
        assert TestClient(app).get("/newshop/ping").json() == {"pong": "newshop"}
    finally:
        inbound.unregister_platform("newshop")
        registry._specs.pop("newshop", None)


def _import_graph(prefixes: tuple[str, ...]) -> dict[str, set[str]]:
    """Module -> the modules it imports (function-level too), among modules under ``prefixes``.
    A module importing its own package (``from printgate.connectors.woocommerce import store``)
    is no arrow back: that names a sibling."""
    names = {name for name, _, _ in modules()}
    graph: dict[str, set[str]] = {}
    for name, _, tree in modules():
        if not name.startswith(prefixes):
            continue
        graph[name] = {target for target in imported_names(tree) if target in names and target != name
                       and target.startswith(prefixes) and not name.startswith(target + ".")}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_connectors_and_webhooks_import_in_no_circle() -> None:
    """Merchant routes, platform routes, the pipeline and the signed calls: every arrow one way."""
    assert _cycles(_import_graph(("printgate.connectors", "printgate.webhooks"))) == []


def test_the_cycle_finder_sees_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_a_signed_store_order_call_goes_one_way(instance: Instance) -> None:
    """Core hands a signed ``POST /orders/{id}`` to the connectors room once; no connector listens for
    core's ``order.captured`` to feed it back, and capture has no flag telling who called it."""
    import inspect

    from printgate.app import wire
    from printgate.connectors.signed_calls.receive import receive_order_call
    from printgate.core import orders, signals

    wire()
    listeners = [f"{fn.__module__}.{fn.__name__}" for fn in signals._listeners[signals.ORDER_CAPTURED]]
    assert listeners and not [name for name in listeners if name.startswith("printgate.connectors")]
    assert orders._store_calls is receive_order_call
    for fn in (orders.capture_order, orders.attach_jobs, orders.take_order_call):
        assert "origin" not in inspect.signature(fn).parameters
    # The signed-call code exists once: no platform keeps a verifier of its own.
    copies = [name for name, _, tree in modules() for node in ast.walk(tree)
              if isinstance(node, ast.FunctionDef) and node.name in ("verify_order_call", "on_order_captured")
              and name.startswith("printgate.connectors")]
    assert copies == []


def test_settings_are_read_only_through_the_tree() -> None:
    """``printgate.core.config`` is the one reader of the environment; ``cli`` only writes it (flags
    become variables for the child processes) and hands it on whole."""
    reads = []
    for name, _, tree in modules():
        if name == "printgate.core.config":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "getenv" and getattr(node.value, "id", "") == "os":
                reads.append((name, node.lineno))
            is_environ = (isinstance(node, ast.Attribute) and node.attr == "environ"
                          and getattr(node.value, "id", "") == "os")
            if not is_environ:
                continue
            parent = next((p for p in ast.walk(tree) for child in ast.iter_child_nodes(p) if child is node), None)
            if isinstance(parent, ast.Subscript) and isinstance(parent.ctx, ast.Store):
                continue  # os.environ[...] = ...: passing a flag on
            if isinstance(parent, ast.Attribute) and parent.attr == "setdefault":
                continue
            if isinstance(parent, ast.Call) and getattr(parent.func, "id", "") == "dict":
                continue  # a child process's environment
            reads.append((name, node.lineno))
    assert reads == []
