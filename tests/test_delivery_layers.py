"""The delivery package is the only writer of delivery rows, and it imports nothing from the layers above it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DELIVERY = ROOT / "bot" / "delivery"
ABOVE = ("bot.services", "bot.web", "bot.cli", "bot.app", "bot.scheduler", "handlers")
WRITES = {"insert", "update", "delete"}


def _trees(folders: list[Path]):
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            yield path.relative_to(ROOT), ast.parse(path.read_text("utf-8"))


def _is_delivery(node: ast.AST) -> bool:
    """`Delivery` or `Delivery.__table__`."""
    if isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id == "Delivery"


def _writes_delivery(call: ast.Call) -> bool:
    name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
    if name == "Delivery":
        return True  # a new row
    return name in WRITES and bool(call.args) and _is_delivery(call.args[0])


def test_no_module_outside_the_delivery_package_writes_delivery_rows():
    trees = _trees([ROOT / "bot", ROOT / "handlers"])
    writers = {str(path) for path, tree in trees if not path.is_relative_to("bot/delivery")
               for node in ast.walk(tree) if isinstance(node, ast.Call) and _writes_delivery(node)}
    assert writers == set()


def test_the_delivery_package_imports_nothing_from_above():
    upward = {(str(path), node.module) for path, tree in _trees([DELIVERY]) for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(ABOVE)}
    assert upward == set()
