"""`reset-bot`: serve Slack, run the local shell, or answer one command.

    reset-bot                      Slack if SLACK_BOT_TOKEN is set, else the local shell
    reset-bot serve                the Slack app (HTTP mode, or Socket Mode with SLACK_APP_TOKEN)
    reset-bot shell                interactive prompt; reads commands from stdin until EOF
    reset-bot ask "shock eu 20%"   one reply as text; charts written to --out (--csv DIR: their data too)
    reset-bot data build RAW_DIR   rebuild data/ from the publishers' raw files
    reset-bot rotate-token-keys    OAuth mode: re-encrypt every stored Slack token with the first key

Every failure a user can cause — a bad setting, a broken data file — ends with one clear line
on stderr and exit status 2, not a traceback.
"""

from __future__ import annotations

import argparse
import errno
import faulthandler
import logging
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings, SettingsError

if TYPE_CHECKING:
    from bot.runtime import Runtime

logger = logging.getLogger("reset_bot.cli")

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reset-bot",
                                     description="Reset Bot: the US external balance sheet, explained.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the Slack app")
    shell = sub.add_parser("shell", help="interactive local shell (no Slack)")
    shell.add_argument("--out", type=Path, default=None, help="where charts are written (default: STATE_DIR/charts)")
    ask = sub.add_parser("ask", help="answer one command and exit")
    ask.add_argument("text", nargs="+", help='the command, e.g. "shock eu 20%%"')
    ask.add_argument("--out", type=Path, default=None, help="where charts are written (default: the --csv folder, "
                     "else STATE_DIR/charts)")
    ask.add_argument("--csv", type=Path, default=None, metavar="DIR",
                     help="also write each chart's data (the rows it is drawn from) as CSV into DIR")
    data = sub.add_parser("data", help="datasets: build, refresh from the publishers, status")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    build = data_sub.add_parser("build", help="rebuild data/ from the publishers' raw files")
    build.add_argument("raw_dir", type=Path)
    build.add_argument("--out", type=Path, default=Path("data"))
    refresh = data_sub.add_parser("refresh", help="download the publishers' files; publish a new data version "
                                  "in STATE_DIR/data if they pass the checks")
    refresh.add_argument("--source", action="append", metavar="NAME",
                         help="refresh only this source (repeatable): tic, shl, fred_niip, fred_gdp, fred_rates, "
                              "fred_iip_quarterly, cofer, wgc, bea")
    # Offline demonstration: serve the publishers' URLs from raw folders laid out like tests/fixtures/raw.
    refresh.add_argument("--fixtures", action="append", type=Path, metavar="DIR", help=argparse.SUPPRESS)
    data_sub.add_parser("status", help="each source's vintage and its last successful and failed refresh")
    sub.add_parser("rotate-token-keys", help="OAuth mode: re-encrypt every stored Slack token with the first key "
                   "of RESET_BOT_TOKEN_KEY (NEW,OLD), so the old key can be removed")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"reset-bot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    command = args.command or ("serve" if settings.mode != "shell" else "shell")
    _configure_logging(settings, to_file=command in ("shell", "ask", "rotate-token-keys"))
    try:
        if command == "serve":
            return _serve(settings)
        if command == "rotate-token-keys":
            return _rotate_token_keys(settings)
        if command == "data":
            if args.data_command in ("refresh", "status"):
                from bot.pipeline.refresh import data_command

                return data_command(settings, args.data_command, sources=getattr(args, "source", None),
                                    fixtures=getattr(args, "fixtures", None))
            from bot.pipeline.build import build

            build(args.raw_dir, args.out)
            print(f"wrote {args.out}")
            return 0
        return _local(settings, args, command)
    except BrokenPipeError:  # `reset-bot ask gap | head`: the reader left; not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep Python's exit flush quiet
        return 0
    except (SettingsError, ValueError, OSError) as exc:
        # DataError, SourceFormatError and SettingsError are ValueErrors with a clear message.
        print(f"reset-bot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # a bug: say so in one line, keep the traceback for the log
        from bot.slack.errors import new_error_id

        error_id = new_error_id()
        logging.getLogger("reset_bot").exception("unexpected error %s", error_id, extra={"error_id": error_id})
        print(f"reset-bot: unexpected error {type(exc).__name__} (id {error_id}); details in the log "
              f"({settings.state_dir / 'reset-bot.log'} for the shell, stderr for serve)", file=sys.stderr)
        return 1


def _configure_logging(settings: Settings, *, to_file: bool) -> None:
    """Servers log to stderr; the shell logs to STATE_DIR/reset-bot.log so the terminal shows only replies.
    ``LOG_FORMAT`` picks text or one JSON object per line (`bot.logs`). Every handler redacts tokens,
    secrets and Slack webhook URLs (`bot.redaction`)."""
    from bot.logs import formatter

    handler: logging.Handler = logging.StreamHandler()
    level: str | int = settings.log_level
    if to_file:
        try:
            settings.state_dir.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(settings.state_dir / "reset-bot.log")
        except OSError:
            level = logging.ERROR
    handler.setFormatter(formatter(settings.log_format))
    logging.basicConfig(level=level, handlers=[handler])
    from bot.redaction import install

    install(secrets_of(settings))


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value the settings hold, for the redacting filter: the tokens, the signing secret,
    OAuth's client secret, and the token key(s) — whole and each key of a comma-separated list."""
    values = [secret.get_secret_value() for secret in (settings.slack_bot_token, settings.slack_app_token,
                                                       settings.slack_signing_secret, settings.slack_client_secret,
                                                       settings.token_key) if secret is not None]
    if settings.token_key is not None:
        values += [key.strip() for key in settings.token_key.get_secret_value().split(",") if key.strip()]
    return values


def _local(settings: Settings, args: argparse.Namespace, command: str) -> int:
    from bot.local.shell import Shell
    from bot.serving.chart_cache import ChartCache
    from bot.serving.live_data import LiveData
    from handlers import charts

    csv_dir = getattr(args, "csv", None)
    out = getattr(args, "out", None) or csv_dir or settings.state_dir / "charts"  # `ask --csv DIR`: PNGs beside
    shell = Shell(LiveData.from_settings(settings), ChartCache(charts.render), out, csv_dir)
    if command == "ask":
        print(shell.run_one(" ".join(args.text)))
        return 0
    return shell.loop()


def _serve(settings: Settings) -> int:
    if settings.mode == "shell":
        raise SettingsError("`serve` needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP) "
                            "or SLACK_APP_TOKEN (Socket Mode), or SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and "
                            "SLACK_SIGNING_SECRET (OAuth: any workspace installs the app)")
    from slack_bolt.error import BoltError
    from sqlalchemy.exc import SQLAlchemyError

    from bot.runtime import build_runtime, check_state_dir
    from bot.slack.server import http_server, socket_mode_handler

    # A crash in C (SIGSEGV, or SIGBUS from a memory-mapped file that became unwritable) still
    # leaves a traceback on stderr rather than a silent exit.
    faulthandler.enable()
    if settings.database_url is None:
        check_state_dir(settings.state_dir)
    try:
        runtime = build_runtime(settings)
    except BoltError as exc:
        raise SettingsError(f"could not start the Slack app: {exc}") from None
    except SQLAlchemyError as exc:
        raise SettingsError(f"could not open the database (DATABASE_URL): {exc.__class__.__name__}: "
                            f"{str(exc).splitlines()[0]}") from None
    except OSError as exc:  # Bolt's auth.test at start: Slack (or SLACK_API_URL) cannot be reached
        reason = getattr(exc, "reason", None) or exc.strerror or exc
        raise SettingsError(f"could not reach Slack at SLACK_API_URL {settings.slack_api_url}: {reason}") from None

    server = None
    if settings.mode in ("http", "oauth"):  # bind before starting anything, so a taken PORT fails cleanly
        try:
            server = http_server(runtime.wsgi(), host=settings.host, port=settings.port)
        except OSError as exc:
            raise SettingsError(_bind_error(settings, exc)) from None
    # SIGTERM (deploys, supervisors) stops gracefully (`_graceful_stop`); a second one, or Ctrl-C,
    # ends at once through `finally`. Claims left mid-flight are taken over by another replica.
    stop_requested = threading.Event()

    def on_sigterm(*_: object) -> None:
        if stop_requested.is_set():
            raise SystemExit(0)
        stop_requested.set()
        threading.Thread(target=_graceful_stop, args=(runtime, settings.stop_grace_seconds), name="stop",
                         daemon=True).start()

    signal.signal(signal.SIGTERM, on_sigterm)
    runtime.start()
    try:
        if server is not None:
            server.run()
        elif settings.slack_app_token is not None:  # Socket Mode: the mode chosen when the app token is set
            handler = socket_mode_handler(runtime.app, settings.slack_app_token.get_secret_value())
            handler.start()  # type: ignore[no-untyped-call]  # slack_bolt leaves SocketModeHandler.start unannotated
    except KeyboardInterrupt:
        pass  # Ctrl-C, or the end of `_graceful_stop`
    finally:
        runtime.stop()
    return 0


def _graceful_stop(runtime: Runtime, grace_seconds: float) -> None:
    """SIGTERM under load: keep serving (so every request already sent gets its acknowledgement),
    answer new commands "restarting, ask again", let every acknowledged reply finish within the
    grace (or tell its asker to ask again), then end the server loop in the main thread."""
    started = time.monotonic()
    runtime.begin_stop()
    runtime.app.gate.wait_idle()  # requests being acknowledged right now have queued their replies
    left = runtime.drain(grace_seconds)
    logger.info("stopping: replies drained in %.1f s (%d told to ask again)", time.monotonic() - started, left)
    os.kill(os.getpid(), signal.SIGINT)  # the main thread's server loop ends with KeyboardInterrupt
def _rotate_token_keys(settings: Settings) -> int:
    """Rewrite every stored credential with the first key of RESET_BOT_TOKEN_KEY (the other keys only
    need to read). All rows or none (one transaction); prints counts, never a token. Safe while the
    bot runs, once the bot also has the new key first (else it would keep writing with the old one)."""
    if settings.token_key is None:
        raise SettingsError("rotate-token-keys needs RESET_BOT_TOKEN_KEY: the new key first, then the old "
                            "one(s), comma-separated (NEW,OLD)")
    from sqlalchemy.exc import SQLAlchemyError

    from bot.settings import token_keys
    from bot.storage import connect
    from bot.storage.installations import EncryptedInstallationStore, TokenCipher
    from bot.storage.schema import sqlite_file

    database = sqlite_file(settings.db_url)
    if database is not None and not database.exists():
        raise SettingsError(f"no database at {database}, so no token to re-encrypt "
                            "(set DATABASE_URL or RESET_BOT_STATE_DIR to the bot's)")
    keys = token_keys(settings.token_key)
    try:
        store = connect(settings.db_url)
    except SQLAlchemyError as exc:
        raise SettingsError(f"could not open the database (DATABASE_URL): {exc.__class__.__name__}") from None
    try:
        installations = EncryptedInstallationStore(settings.slack_client_id or "", store.database.engine,
                                                   TokenCipher(keys))
        done = installations.reencrypt()
    except SQLAlchemyError as exc:
        raise SettingsError(f"the database refused the re-encryption ({exc.__class__.__name__}); "
                            "nothing was rewritten") from None
    finally:
        store.dispose()
    others = "; the other key(s) can now be removed from RESET_BOT_TOKEN_KEY" if len(keys) > 1 else ""
    print(f"re-encrypted {done.rows} rows ({done.values} stored credentials) with the first key{others}")
    return 0


def _bind_error(settings: Settings, exc: OSError) -> str:
    where = f"HOST {settings.host} PORT {settings.port}"
    if exc.errno == errno.EADDRINUSE:
        return f"PORT {settings.port} is already in use on {settings.host}; stop the other server or set PORT"
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on {where} (ports below 1024 need privileges); set PORT"
    if exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT) or isinstance(exc, socket.gaierror):
        return f"HOST {settings.host} is not an address of this machine; set HOST (e.g. 0.0.0.0)"
    return f"could not listen on {where}: {exc.strerror or exc}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
