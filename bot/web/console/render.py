"""Templates for the console: aiohttp-jinja2 set up once, and what every template gets.

Every template can use `t(msgid, **values)` (the person's language), `csrf_token`, `actor`,
`account`, `url(name, **parts)`, `static(file)`, `fmt_number`, `fmt_date`, `lang`, `access` and `request`.
"""

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot import resources
from bot.i18n import DEFAULT_LOCALE, LOCALES, Translator
from bot.services import access
from bot.services.unit_kinds import kind_name

TEMPLATES = resources.TEMPLATES
LANG_COOKIE = "cdsbot_lang"


def locale_of(request: web.Request) -> str:
    """The person's language: the switch's cookie, else their account's setting, else Vietnamese."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LOCALES:
        return chosen
    account = request.get("account")
    return account.locale if account is not None and account.locale in LOCALES else DEFAULT_LOCALE


def translator(request: web.Request) -> Translator:
    """The request's Translator, made once."""
    if "translator" not in request:
        request["translator"] = Translator(locale_of(request))
    return request["translator"]


def url_for(request: web.Request, name: str, query: dict | None = None, **parts) -> str:
    """The path of a named console route (with the /admin prefix), with an optional query string."""
    url = request.app.router[name].url_for(**{key: str(value) for key, value in parts.items()})
    return str(url.with_query(query) if query else url)


async def base_context(request: web.Request) -> dict:
    """The names every template may use (the aiohttp-jinja2 context processor)."""
    tr = translator(request)
    return {
        "t": tr.t,
        "tn": tr.tn,
        "fmt_number": tr.number,
        "fmt_date": tr.date,
        "fmt_time": tr.time,
        "kind_name": lambda kind, plural=False: kind_name(kind, tr.locale, plural),  # names from kinds.yaml
        "lang": tr.locale,
        "csrf_token": request.get("csrf", ""),
        "account": request.get("account"),
        "actor": request.get("actor"),
        "access": access,
        "request": request,
        "here": request.path_qs if request.method == "GET" else "",  # where the language switch comes back to
        "url": lambda name, query=None, **parts: url_for(request, name, query, **parts),
        "static": lambda filename: url_for(request, "static", filename=filename),
    }


def setup(app: web.Application) -> None:
    """Jinja2 for the console app: templates from the package, autoescaped, with `base_context` everywhere."""
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                         context_processors=[base_context])


async def render(request: web.Request, template: str, context: dict | None = None, *, status: int = 200
                 ) -> web.Response:
    """Render a template with the base names (also when the context processor has not run, e.g. errors)."""
    merged = {**await base_context(request), **(context or {})}
    response = aiohttp_jinja2.render_template(template, request, merged, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response
