"""The house's import rules (issue 12), and proof that each of them can fail.

Most rules are import-linter contracts in pyproject.toml (`[tool.importlinter]`): accounts knows no broker,
the Kiwoom client is a plain library, the domains depend one way, no circles between sibling packages or
modules. Three rules import-linter has no contract for are checked here on grimp's graph (the one
import-linter builds): a circle between any modules of the project (the Kiwoom simulator included), across its
top-level packages too; which modules may import more than one domain; and what the simulator may import
besides the standard library. grimp reads every import in a module, those inside functions included;
imports under `if TYPE_CHECKING:` are left out, as they never run (they name a type without a circle).

Each rule is also run on a small made-up project in tmp_path, so that its tests do not depend on the real tree
being wrong; import-linter runs in a subprocess there, where the made-up `brokerage` is the one found.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterable
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("stocklab", "accounts", "brokerage", "kiwoom_sim")
SIMULATOR = "kiwoom_sim"
# Besides the standard library the simulator runs on aiohttp and holidays; its test harness drives it with
# requests. It stands in for Kiwoom, so it knows nothing of Django or of the site.
SIMULATOR_MAY_IMPORT = {SIMULATOR: {"aiohttp", "holidays"}, f"{SIMULATOR}.testing": {"requests"}}
DOMAINS = ("kiwoom", "connections", "portfolio", "market", "orders", "live", "history")
# brokerage's modules that put the domains together for Django and Celery; nothing else imports two domains.
GATHERERS = ("models", "admin", "tasks", "urls", "web_urls", "views")


# --- The checks -----------------------------------------------------------------------------------------


def lint_imports(project: Path, config: Path = ROOT / "pyproject.toml") -> tuple[bool, str]:
    """Run import-linter on the packages found in `project` with the contracts of `config`: (kept, report)."""
    code = (
        "import sys; from importlinter.cli import lint_imports; "
        f"sys.exit(lint_imports(config_filename={str(config)!r}, no_cache=True, no_logo=True))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project,
        env={"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.returncode == 0, result.stdout + result.stderr


def contract_names() -> dict[str, str]:
    """The contracts' names by id, as pyproject.toml spells them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {contract["id"]: contract["name"] for contract in config["tool"]["importlinter"]["contracts"]}


def broken_contracts(report: str) -> set[str]:
    """The ids of the contracts import-linter reports broken."""
    words = " ".join(report.split())
    return {id_ for id_, name in contract_names().items() if f"{name} BROKEN" in words}


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """One shortest loop of imports (its first module repeated at its end) per circle among the modules."""
    cycles = []
    for group in _strongly_connected(graph):
        if len(group) > 1:
            start = min(group)
            cycles.append([start, *_shortest_path_back(graph, start, within=group)])
    return sorted(cycles)


def gathering_violations(graph: grimp.ImportGraph, *, container: str = "brokerage") -> dict[str, list[str]]:
    """The modules, outside the domains and the gathering modules, that import more than one domain."""
    domains = {f"{container}.{name}" for name in DOMAINS}
    allowed = domains | {f"{container}.{name}" for name in GATHERERS}
    violations = {}
    for module in graph.modules:
        if _within(module, allowed):
            continue
        imported = {
            domain
            for target in graph.find_modules_directly_imported_by(module)
            for domain in domains
            if _within(target, {domain})
        }
        if len(imported) > 1:
            violations[module] = sorted(imported)
    return violations


def simulator_imports_beyond_its_own(
    graph: grimp.ImportGraph, *, package: str = SIMULATOR
) -> dict[str, list[str]]:
    """The modules of `package` that import anything but the standard library, themselves and what
    `SIMULATOR_MAY_IMPORT` grants (`package`'s own grant to all of its modules), with what it is."""
    violations = {}
    for module in graph.modules:
        if not _within(module, {package}):
            continue
        granted = set().union(
            *(names for grantee, names in SIMULATOR_MAY_IMPORT.items() if _within(module, {grantee}))
        )
        beyond = (
            {
                target.split(".")[0]
                for target in graph.find_modules_directly_imported_by(module)
                if not _within(target, {package})
            }
            - sys.stdlib_module_names
            - granted
        )
        if beyond:
            violations[module] = sorted(beyond)
    return violations


def describe(graph: grimp.ImportGraph, loop: list[str]) -> str:
    """A loop with the line of each import in it, for a failure message."""
    steps = []
    for importer, imported in itertools.pairwise(loop):
        details = graph.get_import_details(importer=importer, imported=imported)
        where = f" (line {details[0]['line_number']}: {details[0]['line_contents']})" if details else ""
        steps.append(f"{importer} -> {imported}{where}")
    return "\n    ".join(steps)


def _within(module: str, packages: Iterable[str]) -> bool:
    return any(module == package or module.startswith(f"{package}.") for package in packages)


def _strongly_connected(graph: grimp.ImportGraph) -> list[set[str]]:
    """Tarjan's strongly connected components, without recursion (import chains can be long)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.find_modules_directly_imported_by(successor)))))
                    break
                if successor in on_stack:
                    low[module] = min(low[module], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[module])
                if low[module] == index[module]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == module:
                            break
                    groups.append(group)
    return groups


def _shortest_path_back(graph: grimp.ImportGraph, start: str, *, within: set[str]) -> list[str]:
    """The modules of the shortest import path from `start` back to it, ending with `start`."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for module in frontier:
            for target in sorted(graph.find_modules_directly_imported_by(module) & within):
                if target == start:
                    path = [module]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path[:-1]), start]
                if target not in previous:
                    previous[target] = module
                    following.append(target)
        frontier = following
    raise AssertionError(f"{start} is in a circle with no way back")  # Tarjan said otherwise


# --- The real tree --------------------------------------------------------------------------------------


def build_project_graph() -> grimp.ImportGraph:
    """grimp's graph of the project's packages, with the outside packages they import as single nodes."""
    return grimp.build_graph(
        *PROJECT, cache_dir=None, exclude_type_checking_imports=True, include_external_packages=True
    )


@pytest.fixture(scope="module")
def project_graph() -> grimp.ImportGraph:
    return build_project_graph()


def test_the_project_keeps_its_import_contracts():
    kept, report = lint_imports(ROOT)

    assert kept, report
    assert f"Contracts: {len(contract_names())} kept, 0 broken." in report


def test_no_modules_of_the_project_import_each_other_in_a_circle(project_graph):
    cycles = import_cycles(project_graph)

    assert not cycles, "Import circles:\n  " + "\n  ".join(describe(project_graph, loop) for loop in cycles)


def test_only_the_gathering_modules_import_several_domains(project_graph):
    assert gathering_violations(project_graph) == {}


def test_the_simulator_imports_only_the_standard_library_aiohttp_and_holidays(project_graph):
    assert simulator_imports_beyond_its_own(project_graph) == {}


# --- Each rule can fail: a made-up project --------------------------------------------------------------

# The house in miniature: every domain and gathering module, importing only what the rules allow.
HOUSE = {
    "stocklab/__init__.py": "",
    "stocklab/errors.py": "",
    "stocklab/urls.py": "from brokerage import urls\nfrom stocklab import errors\n",
    "accounts/__init__.py": "",
    "accounts/models.py": "from stocklab import errors\n",
    "brokerage/__init__.py": "",
    "brokerage/apps.py": "",
    "brokerage/kiwoom/__init__.py": "from brokerage.kiwoom import client\n",
    "brokerage/kiwoom/client.py": "import json\n",
    "brokerage/connections/__init__.py": "",
    "brokerage/connections/gateway.py": "from brokerage import kiwoom\n",
    "brokerage/connections/services.py": (
        "from accounts import models\nfrom brokerage.connections import gateway\n"
        "from stocklab import errors\n"
    ),
    "brokerage/portfolio/__init__.py": "",
    "brokerage/portfolio/services.py": (
        "from brokerage.connections import services\nfrom brokerage import kiwoom\n"
    ),
    "brokerage/market/__init__.py": "",
    "brokerage/market/services.py": "from brokerage.connections import services\n",
    "brokerage/orders/__init__.py": "",
    "brokerage/orders/services.py": (
        "from brokerage.connections import services\nfrom brokerage.market import services as market\n"
        "from brokerage.portfolio import services as portfolio\n"
    ),
    "brokerage/live/__init__.py": "",
    "brokerage/live/services.py": (
        "from brokerage.orders import services\nfrom brokerage.market import services as market\n"
    ),
    "brokerage/history/__init__.py": "",
    "brokerage/history/services.py": "from brokerage.orders import services\n",
    **{
        f"brokerage/{name}.py": "from brokerage.connections import services\nfrom brokerage import orders\n"
        for name in GATHERERS
    },
    "brokerage/management/__init__.py": "",
    "brokerage/management/command.py": "from brokerage.connections import services\n",
    "brokerage/migrations/__init__.py": "",
    # The simulator in miniature: state over the stream and the market, the market over its universe.
    "kiwoom_sim/__init__.py": "from kiwoom_sim import app\n",
    "kiwoom_sim/app.py": (
        "import aiohttp\nfrom kiwoom_sim import state\nfrom kiwoom_sim.handlers import chart\n"
    ),
    "kiwoom_sim/handlers/__init__.py": "",
    "kiwoom_sim/handlers/chart.py": "from kiwoom_sim import candles, state\n",
    "kiwoom_sim/state.py": "from kiwoom_sim import market, stream\n",
    "kiwoom_sim/stream.py": "import asyncio\nfrom kiwoom_sim import orderbook\n",
    "kiwoom_sim/orderbook.py": "from kiwoom_sim import market, ticks\n",
    "kiwoom_sim/candles.py": "from kiwoom_sim import market, ticks\n",
    "kiwoom_sim/market.py": "import random\nfrom kiwoom_sim import clock, ticks, universe\n",
    "kiwoom_sim/universe.py": "from kiwoom_sim import ticks\n",
    "kiwoom_sim/ticks.py": "",
    "kiwoom_sim/clock.py": "import holidays\n",
    "kiwoom_sim/testing.py": "import requests\nfrom kiwoom_sim import app\n",
}


def build(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def with_import(files: dict[str, str], module: str, statement: str) -> dict[str, str]:
    """`files` with `statement` added at the end of `module`."""
    return {**files, module: files.get(module, "") + textwrap.dedent(statement)}


IN_A_FUNCTION = "def later():\n    {}\n"


def test_the_made_up_house_keeps_every_contract(tmp_path):
    kept, report = lint_imports(build(tmp_path, HOUSE))

    assert kept, report


def test_a_circle_closed_only_for_the_type_checker_breaks_no_contract(tmp_path):
    typing_only = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from brokerage.connections import services\n"
    )
    kept, report = lint_imports(
        build(tmp_path, with_import(HOUSE, "brokerage/connections/gateway.py", typing_only))
    )

    assert kept, report


@pytest.mark.parametrize(
    ("module", "statement", "contract"),
    [
        ("accounts/models.py", "from brokerage.connections import services\n", "accounts-knows-no-broker"),
        ("accounts/models.py", "import brokerage.models\n", "accounts-knows-no-broker"),
        (
            "accounts/models.py",
            IN_A_FUNCTION.format("from brokerage import admin"),
            "accounts-knows-no-broker",
        ),
        ("brokerage/kiwoom/client.py", "from django.conf import settings\n", "kiwoom-is-a-plain-library"),
        ("brokerage/kiwoom/client.py", "from rest_framework import status\n", "kiwoom-is-a-plain-library"),
        ("brokerage/kiwoom/client.py", IN_A_FUNCTION.format("import django"), "kiwoom-is-a-plain-library"),
        ("brokerage/kiwoom/client.py", "from stocklab import errors\n", "kiwoom-is-a-plain-library"),
        ("brokerage/kiwoom/client.py", "from accounts import models\n", "kiwoom-is-a-plain-library"),
        (
            "brokerage/kiwoom/client.py",
            "from brokerage.connections import gateway\n",
            "kiwoom-is-a-plain-library",
        ),
        ("brokerage/kiwoom/client.py", "from brokerage import apps\n", "kiwoom-is-a-plain-library"),
        ("brokerage/kiwoom/client.py", "from brokerage.connections import gateway\n", "domains-one-way"),
        (
            "brokerage/connections/services.py",
            "from brokerage.portfolio import services\n",
            "domains-one-way",
        ),
        ("brokerage/connections/services.py", "from brokerage.market import services\n", "domains-one-way"),
        (
            "brokerage/connections/gateway.py",
            IN_A_FUNCTION.format("from brokerage.orders import services"),
            "domains-one-way",
        ),
        ("brokerage/portfolio/services.py", "from brokerage.market import services\n", "domains-one-way"),
        ("brokerage/market/services.py", "from brokerage.portfolio import services\n", "domains-one-way"),
        ("brokerage/market/services.py", "from brokerage.orders import services\n", "domains-one-way"),
        ("brokerage/orders/services.py", "from brokerage import models\n", "domains-one-way"),
        (
            "brokerage/connections/gateway.py",
            IN_A_FUNCTION.format("from brokerage.connections import services"),
            "no-sibling-circles",
        ),
        ("stocklab/errors.py", IN_A_FUNCTION.format("from stocklab import urls"), "no-sibling-circles"),
        ("kiwoom_sim/ticks.py", "from kiwoom_sim import market\n", "no-sibling-circles"),
        (
            "kiwoom_sim/market.py",
            IN_A_FUNCTION.format("from kiwoom_sim.candles import index_state"),
            "no-sibling-circles",
        ),
    ],
)
def test_each_contract_fails_on_an_import_it_forbids(tmp_path, module, statement, contract):
    kept, report = lint_imports(build(tmp_path, with_import(HOUSE, module, statement)))

    assert not kept
    assert contract in broken_contracts(report), report


def made_up_graph(tmp_path: Path, monkeypatch, files: dict[str, str]) -> grimp.ImportGraph:
    """grimp's graph of `files` (under top-level names of their own, unlike the real packages')."""
    build(tmp_path, files)
    monkeypatch.syspath_prepend(str(tmp_path))
    roots = sorted({name.split("/")[0] for name in files})
    return grimp.build_graph(*roots, cache_dir=None, exclude_type_checking_imports=True)


LINE = {
    "lineone/__init__.py": "from lineone.a import thing\n",
    "lineone/a.py": "from lineone import b\n",
    "lineone/b.py": "from lineone import c\n",
    "lineone/c.py": "from linetwo import d\n",
    "linetwo/__init__.py": "",
    "linetwo/d.py": "",
}


def test_a_project_without_circles_has_none(tmp_path, monkeypatch):
    assert import_cycles(made_up_graph(tmp_path, monkeypatch, LINE)) == []


def test_an_import_only_for_the_type_checker_makes_no_circle(tmp_path, monkeypatch):
    files = with_import(
        LINE, "lineone/c.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import lineone.a\n"
    )

    assert import_cycles(made_up_graph(tmp_path, monkeypatch, files)) == []


@pytest.mark.parametrize(
    ("module", "statement", "loop"),
    [
        ("lineone/c.py", "from lineone import a\n", ["lineone.a", "lineone.b", "lineone.c", "lineone.a"]),
        (
            "lineone/b.py",
            IN_A_FUNCTION.format("from lineone import a"),
            ["lineone.a", "lineone.b", "lineone.a"],
        ),
        (
            "linetwo/d.py",
            IN_A_FUNCTION.format("import lineone.a"),
            ["lineone.a", "lineone.b", "lineone.c", "linetwo.d", "lineone.a"],
        ),
        (
            "lineone/c.py",
            "from lineone import thing\n",
            ["lineone", "lineone.a", "lineone.b", "lineone.c", "lineone"],
        ),
    ],
    ids=["three-modules", "in-a-function", "across-top-level-packages", "through-a-package-init"],
)
def test_a_circle_is_reported_as_its_shortest_loop(tmp_path, monkeypatch, module, statement, loop):
    graph = made_up_graph(tmp_path, monkeypatch, with_import(LINE, module, statement))

    assert import_cycles(graph) == [loop]


def made_up_project_graph(tmp_path: Path, monkeypatch, files: dict[str, str]) -> grimp.ImportGraph:
    """grimp's graph of a made-up project under the real packages' names, built as the real tree's is."""
    build(tmp_path, files)
    monkeypatch.syspath_prepend(str(tmp_path))
    for package in PROJECT:  # grimp finds a package imported already where it was imported from
        monkeypatch.delitem(sys.modules, package, raising=False)
    return build_project_graph()


def test_the_made_up_house_has_no_circles_and_a_simulator_that_stands_alone(tmp_path, monkeypatch):
    graph = made_up_project_graph(tmp_path, monkeypatch, HOUSE)

    made_up = {name.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for name in HOUSE}
    assert {module for module in graph.modules if _within(module, PROJECT)} == made_up  # not the real tree
    assert import_cycles(graph) == []
    assert simulator_imports_beyond_its_own(graph) == {}


@pytest.mark.parametrize(
    ("module", "statement", "loop"),
    [
        (
            "kiwoom_sim/universe.py",
            "from kiwoom_sim import market\n",
            ["kiwoom_sim.market", "kiwoom_sim.universe", "kiwoom_sim.market"],
        ),
        (
            "kiwoom_sim/market.py",
            IN_A_FUNCTION.format("from kiwoom_sim.candles import index_state"),
            ["kiwoom_sim.candles", "kiwoom_sim.market", "kiwoom_sim.candles"],
        ),
        (
            "kiwoom_sim/orderbook.py",
            IN_A_FUNCTION.format("from kiwoom_sim.state import SimState"),
            ["kiwoom_sim.orderbook", "kiwoom_sim.state", "kiwoom_sim.stream", "kiwoom_sim.orderbook"],
        ),
    ],
    ids=["module-level", "in-a-function", "three-modules"],
)
def test_a_circle_in_the_simulator_is_reported(tmp_path, monkeypatch, module, statement, loop):
    graph = made_up_project_graph(tmp_path, monkeypatch, with_import(HOUSE, module, statement))

    assert import_cycles(graph) == [loop]


def test_a_circle_in_the_simulator_closed_only_for_the_type_checker_is_none(tmp_path, monkeypatch):
    typing_only = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from kiwoom_sim.state import SimState\n"
    )
    graph = made_up_project_graph(
        tmp_path, monkeypatch, with_import(HOUSE, "kiwoom_sim/orderbook.py", typing_only)
    )

    assert import_cycles(graph) == []


@pytest.mark.parametrize(
    ("module", "statement", "violation"),
    [
        ("kiwoom_sim/market.py", "from django.conf import settings\n", {"kiwoom_sim.market": ["django"]}),
        (
            "kiwoom_sim/handlers/chart.py",
            IN_A_FUNCTION.format("from brokerage.kiwoom import client"),
            {"kiwoom_sim.handlers.chart": ["brokerage"]},
        ),
        ("kiwoom_sim/stream.py", "import requests\n", {"kiwoom_sim.stream": ["requests"]}),
    ],
    ids=["django", "the-site-in-a-function", "requests-outside-the-harness"],
)
def test_a_simulator_import_beyond_the_standard_library_aiohttp_and_holidays_is_reported(
    tmp_path, monkeypatch, module, statement, violation
):
    graph = made_up_project_graph(tmp_path, monkeypatch, with_import(HOUSE, module, statement))

    assert simulator_imports_beyond_its_own(graph) == violation


DOMAIN_ROOMS = {
    "house/__init__.py": "",
    **{f"house/{domain}/__init__.py": "" for domain in DOMAINS},
    "house/orders/services.py": "from house.connections import services\nfrom house import market\n",
    "house/connections/services.py": "from house import kiwoom\n",
    "house/models.py": "from house.connections import services\nfrom house.orders import services\n",
    "house/management/__init__.py": "from house.connections import services\n",
    "kernel/__init__.py": "",
    "kernel/urls.py": "from house import urls\n",
    "house/urls.py": "",
}


def test_domains_and_the_gathering_modules_may_import_several_domains(tmp_path, monkeypatch):
    assert gathering_violations(made_up_graph(tmp_path, monkeypatch, DOMAIN_ROOMS), container="house") == {}


@pytest.mark.parametrize(
    ("module", "statement", "violation"),
    [
        (
            "house/management/__init__.py",
            "from house.orders import services\n",
            {"house.management": ["house.connections", "house.orders"]},
        ),
        (
            "house/helpers.py",
            "from house import kiwoom\n" + IN_A_FUNCTION.format("import house.market"),
            {"house.helpers": ["house.kiwoom", "house.market"]},
        ),
        (
            "kernel/urls.py",
            "from house.portfolio import api\nfrom house.orders import api\n",
            {"kernel.urls": ["house.orders", "house.portfolio"]},
        ),
    ],
)
def test_any_other_module_that_imports_two_domains_is_reported(
    tmp_path, monkeypatch, module, statement, violation
):
    files = with_import(DOMAIN_ROOMS, module, statement)
    files.setdefault("house/portfolio/api.py", "")
    files.setdefault("house/orders/api.py", "")

    assert gathering_violations(made_up_graph(tmp_path, monkeypatch, files), container="house") == violation
