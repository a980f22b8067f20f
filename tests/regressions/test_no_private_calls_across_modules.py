"""No module of the bot calls another bot module's private (`_name`) function: what two modules share is public,
with a docstring that says why (rollup_history used to call `reports._plus` and `reports._total`)."""

import ast
import importlib.util
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # `from bot.x import Name` where bot.x is a module, not a package
        return False


def _bot_modules_imported(tree: ast.Module) -> set[str]:
    """Local names that stand for a bot module (`from bot.services import reports`, `import bot.x as y`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot"):
            for alias in node.names:
                if _is_module(f"{node.module}.{alias.name}"):
                    names.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            names.update(a.asname for a in node.names if a.name.startswith("bot.") and a.asname)
    return names


def _private_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = _bot_modules_imported(tree)
    return [f"{path.relative_to(BOT.parent)}:{node.lineno} {node.value.id}.{node.attr}" for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
            and node.attr.startswith("_") and not node.attr.startswith("__")]


def test_no_bot_module_reaches_into_another_s_private_names():
    found = [call for path in sorted(BOT.rglob("*.py")) for call in _private_calls(path)]
    assert found == []


def test_the_shared_rollup_helpers_are_public_and_say_why():
    from bot.services import reports

    assert reports.plus(None, None) is None and reports.plus(None, 0) == 0 and reports.plus(2, 3) == 5
    assert reports.plus.__doc__ and reports.total_row.__doc__
