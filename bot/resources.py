"""Where cdsbot's run-time files are: content/ and migrations/, in the source tree or inside the installed wheel.

The wheel carries them as `bot/content` and `bot/migrations` (pyproject.toml maps the source tree's top-level
folders there), so `pip install cdsbot-*.whl && cdsbot run` works from any directory. A checkout (or an
editable install) reads the top-level folders themselves. Templates and static files live inside `bot.web`
and are found beside its modules either way. Everything that reads these files asks this module.
"""

from importlib import resources
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parents[1]  # the checkout holding bot/, content/, migrations/


def _folder(name: str) -> Path:
    """The installed package's copy of a top-level folder, else the checkout's."""
    installed = resources.files("bot") / name
    return Path(str(installed)) if installed.is_dir() else SOURCE_ROOT / name


CONTENT = _folder("content")  # guides, campaigns, report types, documents, targets, units, locales
MIGRATIONS = _folder("migrations")  # Alembic's script folder (env.py, versions/)
LOCALES = CONTENT / "locales"
UNITS = CONTENT / "units"
WEB = Path(__file__).resolve().parent / "web"  # package data of bot.web (pyproject.toml), in a checkout or not
TEMPLATES = WEB / "templates"  # the console's Jinja2 templates
STATIC = WEB / "static"  # the chat page and its files; the console's under console/
