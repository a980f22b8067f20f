"""cdsbot's web pages: the member chat page (served by the `web` channel) and the console (`bot.web.console`)."""

from bot import resources

STATIC_DIR = resources.STATIC
