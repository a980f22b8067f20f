"""bot/resources.py: run-time files come from the installed package when it carries them, else from the checkout.

`.ci/wheel-check` proves the wheel end to end (built, installed in a fresh venv, served outside the checkout).
"""

from pathlib import Path

from bot import resources


def test_the_checkout_provides_every_run_time_folder():
    for folder in (resources.CONTENT, resources.MIGRATIONS, resources.LOCALES, resources.UNITS,
                   resources.TEMPLATES, resources.STATIC):
        assert folder.is_dir(), folder
    assert (resources.MIGRATIONS / "env.py").is_file() and (resources.LOCALES / "vi" / "LC_MESSAGES").is_dir()


def test_an_installed_copy_is_preferred(tmp_path, monkeypatch):
    (tmp_path / "content").mkdir()
    monkeypatch.setattr(resources.resources, "files", lambda package: tmp_path)
    assert resources._folder("content") == tmp_path / "content"
    assert resources._folder("migrations") == resources.SOURCE_ROOT / "migrations"  # not in it: the checkout's
    assert Path(resources.SOURCE_ROOT / "bot" / "resources.py").is_file()
