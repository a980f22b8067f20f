"""`cdsbot zalo-oa …`: put the OA's token pair into the database (after the OA admin's consent)."""

from bot.channels.zalo_tokens import DEFAULT_LIFETIME, ZaloTokens
from bot.cli.common import CliError
from bot.config import Settings
from bot.db.migrate import upgrade
from bot.db.session import Database


async def cmd_zalo_oa_set_tokens(settings: Settings, args) -> None:
    """Store a fresh access/refresh pair; the running bot picks it up at its next refresh or rejection."""
    if not args.access or not args.refresh:
        raise CliError("both --access and --refresh are needed")
    if args.expires_in <= 0:
        raise CliError("--expires-in must be a positive number of seconds")
    db = Database(settings.database_url)
    try:
        await upgrade(db.engine)
        tokens = ZaloTokens(db, settings.zalo_oa_app_id, "")
        await tokens.store(args.access, args.refresh, args.expires_in)
    finally:
        await db.dispose()
    print(f"Zalo OA tokens stored; the access token is valid until {tokens.expires_at:%Y-%m-%d %H:%M} UTC")


def add_commands(commands) -> None:
    """Register `zalo-oa set-tokens` on the top-level subparsers."""
    oa = commands.add_parser("zalo-oa", help="Zalo Official Account").add_subparsers(dest="sub", required=True)
    tokens = oa.add_parser("set-tokens", help="store the OA access and refresh tokens (never printed)")
    tokens.add_argument("--access", required=True, help="access token")
    tokens.add_argument("--refresh", required=True, help="refresh token (single use; the bot rotates it)")
    tokens.add_argument("--expires-in", type=int, default=DEFAULT_LIFETIME, help="seconds the access token lives")
    tokens.set_defaults(func=cmd_zalo_oa_set_tokens)
