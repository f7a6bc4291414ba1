"""The `narrative-bot` command line: run, check, eval, library, feeds, report and feedback."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import math
import os
import re
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from bot.config import ConfigError, Settings, load_settings, settings_warnings

logger = logging.getLogger("narrative-bot")


def _setup_logging(level: str, log_file: Path | None = None) -> None:
    from bot.logsetup import setup_logging

    setup_logging(level, log_file)


def _settings() -> Settings:
    return load_settings(dotenv=Path(".env"))


# -- run ---------------------------------------------------------------------------------------------------------


def _console_on_terminal(settings: Settings) -> bool:
    """The console typed into by a person: log lines then go to a file, not between the bot's answers."""
    if settings.log_file is not None or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False
    from bot.logsetup import log_to_file

    log_file = settings.db_path.parent / "console.log"
    log_to_file(log_file)
    print(f"(log lines go to {log_file}; NARRATIVE_BOT_LOG_FILE chooses another file)", flush=True)
    return True


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings()
    platform = args.platform or settings.platform()
    if platform == "console":
        _console_on_terminal(settings)
    logger.info("starting on %s with library %s", platform, settings.library_path)
    for warning in settings_warnings(settings):
        logger.warning("%s", warning)
    from bot.app import build_app

    async def main() -> int:
        async with build_app(settings) as app:
            if platform == "slack":
                from bot.adapters.slack import run_slack

                await run_slack(app)
            elif platform == "discord":
                from bot.adapters.discord import run_discord

                await run_discord(app)
            else:
                from bot.adapters.console import run_console

                history = settings.db_path.parent / "console_history"
                return await run_console(app, sys.stdin, sys.stdout, history_path=history)
        return 0

    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(main())
    return 0


# -- check -------------------------------------------------------------------------------------------------------


def _verdict_json(verdict: Any, language: str) -> dict[str, Any]:
    return {
        "narrative": verdict.narrative_id,
        "language": language,  # of the title and debunk
        "title": verdict.title,
        "score": verdict.score,
        "evidence": verdict.evidence,
        "matched": verdict.matched,
        "signals": list(verdict.signals),
        "debunk": verdict.debunk,
        "sources": [{"title": s.title, "url": s.url} for s in verdict.sources],
    }


def _result_json(verdicts: Sequence[Any], problems: Sequence[Any] = ()) -> dict[str, Any]:
    findings = [(f, verdict.language) for verdict in verdicts for f in verdict.findings]
    out: dict[str, Any] = {
        "alerts": [_verdict_json(f, lang) for f, lang in findings if f.level == "alert"],
        "suggestions": [_verdict_json(f, lang) for f, lang in findings if f.level == "suggest"],
    }
    article = next((v.article for v in verdicts if v.article is not None), None)
    if article is not None:
        out["article"] = {"url": article.url, "title": article.title, "site": article.site}
    if problems:
        problem = problems[0]
        out["error"] = {"code": problem.code, "message": problem.message, "url": problem.url}
        if problem.hint:
            out["error"]["hint"] = problem.hint
    return out


def _open_in(path: str) -> IO[str]:
    return sys.stdin if path == "-" else open(path, encoding="utf-8")


def _jsonl_rows(handle: IO[str]) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    for lineno, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield lineno, None, f"line {lineno}: invalid JSON: {exc.msg}"
            continue
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            yield lineno, None, f"line {lineno}: expected an object with a 'text' string"
            continue
        yield lineno, row, None


# `check` exits as grep and linters do, so scripts can branch on the answer (the README lists these).
EXIT_MATCH = 0  # at least one narrative at the alert threshold
EXIT_NO_MATCH = 1  # nothing at the alert threshold (possible matches below it are still printed)
EXIT_USAGE = 2  # nothing to check, an unreadable file, bad arguments or configuration
EXIT_UNREADABLE = 3  # a link could not be read and nothing else matched

# A lone argument of this shape was meant as a file, not as a text to match.
_LOOKS_LIKE_PATH = re.compile(r"[/\\]|\.[A-Za-z0-9]{1,5}$")


class UsageError(Exception):
    """The command line asks for something that cannot be done; the message says what to do instead."""


def check_input(words: Sequence[str], stdin: IO[str]) -> str:
    """The text `check` should match: its words, standard input for `-`, or a file when given its path."""
    text = " ".join(words)
    if text == "-":
        return stdin.read()
    if len(words) == 1 and not re.match(r"(?i)https?://", text) and not any(c.isspace() for c in text):
        path = Path(text).expanduser()
        if path.is_dir():
            raise UsageError(f"{text} is a directory; give a file, a text, a URL, or - for standard input")
        if path.is_file():
            try:
                return path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else (exc.strerror or str(exc))
                raise UsageError(f"cannot read {text}: {reason}") from None
        if _LOOKS_LIKE_PATH.search(text):
            raise UsageError(
                f"no such file: {text} (a link needs its http:// or https://; - reads standard input)"
            )
    return text


def _check_exit(verdicts: Sequence[Any], problems: Sequence[Any]) -> int:
    if any(v.alerts for v in verdicts):
        return EXIT_MATCH
    return EXIT_UNREADABLE if problems and not verdicts else EXIT_NO_MATCH


def _check_jsonl(app: Any, path: str, language: Any = None) -> int:
    from bot.render.i18n import reply_language

    # Thousands of lines: match synchronously, one pass, no per-line event-loop hops.
    core, matcher = app.core, app.library.matcher
    errors = 0
    try:
        with _open_in(path) as handle:
            for _lineno, row, error in _jsonl_rows(handle):
                if error is not None or row is None:
                    print(error, file=sys.stderr)
                    errors += 1
                    continue
                verdict = core.assessor.verdict_from_matches(
                    matcher.match(row["text"]),
                    include_suggestions=True,
                    language=reply_language(row["text"], language),
                )
                out = {"id": row.get("id"), **_result_json([verdict] if verdict else [])}
                sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    except UnicodeDecodeError:
        print(f"narrative-bot check: {path}: not UTF-8 text", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # as for `eval`: one line, not a traceback
        print(f"narrative-bot check: {path}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    # Per-line answers are in the output; the exit code only says whether every line could be used.
    return EXIT_USAGE if errors else EXIT_MATCH


def _await_semantic(holder: Any) -> None:
    """`check` answers with the full matcher: wait for its build (instant from the cache; the first build after a
    library edit embeds the changed lines and trains, which is said on stderr)."""
    if holder.wait_semantic(1.0):
        return
    print("narrative-bot: building the semantic stage for this library (first use)…", file=sys.stderr)
    holder.wait_semantic()


def cmd_check(args: argparse.Namespace) -> int:
    settings = _settings()
    if args.jsonl is None:
        try:
            text = check_input(args.text, sys.stdin)
        except UsageError as exc:
            print(f"narrative-bot check: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if not text.strip():
            print("narrative-bot check: nothing to check (give a text, a URL, a file, or - for standard input)",
                  file=sys.stderr)
            return EXIT_USAGE
    from bot.app import build_app
    from bot.render.i18n import parse_language
    from bot.render.text import render_response

    language = parse_language(args.lang)

    async def main() -> int:
        async with build_app(settings) as app:
            await asyncio.to_thread(_await_semantic, app.library)
            if args.jsonl is not None:
                return _check_jsonl(app, args.jsonl, language)
            verdicts, problems = await app.core.assessor.check(text, channel_language=language)
            if args.json:
                print(json.dumps(_result_json(verdicts, problems), ensure_ascii=False, indent=2))
            else:
                from bot.models import CommandResponse

                for problem in problems:
                    print(f"Could not check {problem.url}: {problem.message}")
                    if problem.hint:  # whoever runs `check` can change the settings; chat users cannot
                        print(f"  Hint: {problem.hint}.")
                if verdicts:
                    print(render_response(CommandResponse("", verdicts=tuple(verdicts))).lstrip("\n"))
                elif not problems:
                    print("No known narrative found.")
            return _check_exit(verdicts, problems)

    return asyncio.run(main())


# -- eval --------------------------------------------------------------------------------------------------------


def cmd_eval(args: argparse.Namespace) -> int:
    """Lexical-only and full matching side by side, on the same cases and thresholds."""
    settings = _settings()
    from bot.app import thresholds_from
    from matchers import Matcher, load_library
    from matchers.evaluation import CaseError, evaluate, format_comparison, format_report, load_cases

    path = Path(args.file)
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            # A feedback export (`narrative-bot feedback export`): the newsroom's own reviewed alerts.
            from bot.feedback_export import cases_from_export

            cases, unscored = cases_from_export(path)
            if unscored:
                print(
                    f"narrative-bot eval: {unscored} wrong-narrative entr{'ies' if unscored != 1 else 'y'} without "
                    "`true_narrative` not scored",
                    file=sys.stderr,
                )
        else:
            cases = load_cases(path)
    except CaseError as exc:
        print(f"narrative-bot eval: {exc}", file=sys.stderr)
        return 2
    library = load_library(
        Path(args.library) if args.library else settings.library_path, max_bytes=settings.max_library_bytes
    )
    thresholds = thresholds_from(settings)
    reports = {"lexical": evaluate(Matcher(library, thresholds), cases)}
    # A measurement reads every sentence: with the reply-time budget, a busy machine would score fewer of a long
    # text's sentences and the figures would depend on the load.
    settings = dataclasses.replace(settings, semantic_budget_s=math.inf)
    full = _full_matcher(settings, library, thresholds) if settings.semantic and not args.lexical else None
    if full is not None:
        reports["full"] = evaluate(full, cases)
    if args.json:
        print(json.dumps({name: r.to_dict() for name, r in reports.items()}, ensure_ascii=False, indent=2))
        return 0
    for name, report in reports.items():
        print(f"== {name}" + (f" ({full.mode})" if name == "full" and full is not None else ""))
        print(format_report(report))
        print()
    print(format_comparison(reports))
    return 0


def _full_matcher(settings: Settings, library: Any, thresholds: Any) -> Any:
    """The full matcher, built here and now; None (said on stderr) where the semantic stage cannot run."""
    from bot.semantic_setup import full_matcher, terminal_progress
    from matchers.embedding import EmbedderUnavailable

    try:
        return full_matcher(settings, library, thresholds, terminal_progress("embedding the library"))
    except EmbedderUnavailable as exc:
        print(f"narrative-bot: semantic stage unavailable, lexical stage only: {exc}", file=sys.stderr)
        return None


# -- library -----------------------------------------------------------------------------------------------------


def cmd_library(args: argparse.Namespace) -> int:
    from bot.render.i18n import parse_language, word
    from matchers import LibraryError
    from matchers.library import library_from_files
    from matchers.library_files import read_library_files

    if args.action == "schema":
        from matchers.library import json_schema

        print(json.dumps(json_schema(), ensure_ascii=False, indent=2))
        return 0
    settings = _settings() if args.action not in ("validate", "build") or not args.path else None
    path = Path(args.path) if getattr(args, "path", None) else settings.library_path  # type: ignore[union-attr]
    try:
        limit = (settings or _settings()).max_library_bytes
    except ConfigError:  # validating a file must not depend on the rest of the configuration
        from matchers.library import MAX_LIBRARY_BYTES as limit
    try:
        files = read_library_files(path, max_bytes=limit)
        library = library_from_files(files, max_bytes=limit)
    except LibraryError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.action == "validate":
        counts = {lang: sum(len(n.phrasings.get(lang, ())) for n in library.narratives) for lang in ("ru", "en", "uk")}
        spread = f" in {len(files.files)} files" if files.split else ""
        print(
            f"{path}: OK — {len(library.narratives)} narratives{spread}, "
            + ", ".join(f"{n} {lang} phrasings" for lang, n in counts.items())
        )
        return 0
    if args.action == "build":
        settings = settings or _settings()
        # A build is batch work: by default it takes every core (the bundled model runs one text per thread),
        # while `run` keeps NARRATIVE_BOT_EMBEDDER_THREADS (1) so a background build leaves the bot a core.
        threads = args.threads or os.cpu_count() or 1
        return _library_build(dataclasses.replace(settings, embedder_threads=threads), library, args.export_seed)
    lang = parse_language(getattr(args, "lang", None)) or "en"
    if args.action == "list":
        for narrative in library.narratives:
            print(f"{narrative.id:28} {narrative.title_in(lang)}")
        return 0
    found = library.get(args.id)
    if found is None:
        print(f"no narrative {args.id!r}; see `narrative-bot library list`", file=sys.stderr)
        return 1
    narrative = found
    print(
        f"{narrative.title_in(lang)} ({narrative.id})\n\n{narrative.summary_in(lang)}\n\n"
        f"{word('facts', lang)}: {narrative.debunk_in(lang)}\n"
    )
    for source in narrative.sources:
        print(f"  - {source.title}: {source.url}")
    for phrasing_lang, items in narrative.phrasings.items():
        print(f"\nPhrasings ({phrasing_lang}):")
        for item in items:
            print(f"  - {item}")
    return 0


def _library_build(settings: Settings, library: Any, export: str | None) -> int:
    """Embed what the cache lacks and train the classifier, with a progress bar; artefacts go to the state
    directory, so `run` and `check` then start with the semantic stage at once."""
    import time

    from bot.semantic_setup import build_classifier, load_embedder, terminal_progress, vector_store
    from matchers.classifier import is_negative, training_set
    from matchers.embedding import EmbedderUnavailable

    started = time.monotonic()
    try:
        embedder = load_embedder(settings)
    except EmbedderUnavailable as exc:
        print(f"narrative-bot: cannot build the semantic stage: {exc}", file=sys.stderr)
        return 1
    classifier = build_classifier(library, embedder, settings.artefact_dir, terminal_progress("embedding"))
    data = training_set(library)
    positives = sum(1 for label in data.labels if not is_negative(label))
    print(
        f"built {embedder.model_id}: {positives} positive lines (phrasings and examples, plain and in reported "
        f"speech), {len(data.labels) - positives} negatives, "
        f"{len(classifier.narrative_ids)} narratives, in {time.monotonic() - started:.1f} s "
        f"on {settings.embedder_threads} thread{'s' if settings.embedder_threads > 1 else ''} "
        f"(artefacts in {settings.artefact_dir})"
    )
    if export:
        # The project's seed: exactly this library's vectors and classifier, so a fresh install starts at once.
        from matchers.vectors import VectorStore, model_slug

        folder = Path(export)
        cached = vector_store(embedder, settings.artefact_dir)
        out = VectorStore(embedder.model_id, folder / f"vectors-{model_slug(embedder.model_id)}.npz")
        out.put_many(data.texts, cached.get_many(data.texts))
        out.save()
        for old in folder.glob(f"classifier-{model_slug(embedder.model_id)}-*.npz"):
            old.unlink()
        classifier.save(folder / f"classifier-{model_slug(embedder.model_id)}-{classifier.key}.npz")
        print(f"wrote the vectors of {len(data.texts)} library lines and the classifier to {folder}")
    return 0


# -- health ----------------------------------------------------------------------------------------------------


def cmd_health(args: argparse.Namespace) -> int:
    """For container health checks: the library loads and the state database answers at a known schema."""
    from bot.store import Store
    from matchers import LibraryError, load_library

    settings = _settings()
    try:
        library = load_library(settings.library_path, max_bytes=settings.max_library_bytes)
        store = Store(settings.database)
        try:
            store.query("SELECT 1")  # a round trip: the server answers, not only the pool's first connection
            version = store.schema_version
        finally:
            store.close()
    except (LibraryError, OSError, RuntimeError, sqlite3.Error) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a driver error (psycopg): any failure to reach the state is unhealthy
        print(f"unhealthy: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"ok: {len(library.narratives)} narratives, state schema v{version} ({store.dialect})")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    """`db migrate`: bring the state database's schema up to this program's (what every start also does), and
    say from which version to which."""
    from bot.store import Store

    settings = _settings()
    store = Store(settings.database, migrate=False)
    try:
        before = store.schema_version
        store.migrate()
        after = store.schema_version
    except RuntimeError as exc:  # a schema newer than this program: upgrade it instead
        print(f"narrative-bot: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    if before == after:
        print(f"{store.name}: schema v{after} is current ({store.dialect})")
    else:
        print(f"{store.name}: migrated from schema v{before} to v{after} ({store.dialect})")
    return 0


# -- parser ------------------------------------------------------------------------------------------------------


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="narrative-bot",
        description="Recognise Kremlin talking points about the Russia–DPRK alliance in chat links, texts and feeds.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot (Slack, Discord, or the console when no credentials are set)")
    run.add_argument("--platform", choices=["slack", "discord", "console"], help="force a platform")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser(
        "check",
        help="check a text, URL or file ('-' reads stdin)",
        description="Exit status: 0 a narrative at the alert threshold, 1 none, 2 usage error, 3 unreadable link.",
    )
    check.add_argument("text", nargs="*", help="text (links anywhere in it are read), a file's path, or - for stdin")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.add_argument("--jsonl", metavar="FILE", help='read {"id", "text"} lines from FILE (or -), write JSON lines')
    check.add_argument(
        "--lang", choices=["en", "uk", "ru"], help="the cards' language (default: the text's own, else English)"
    )
    check.set_defaults(func=cmd_check)

    health = sub.add_parser("health", help="exit 0 when the library loads and the state database answers")
    health.set_defaults(func=cmd_health)

    db = sub.add_parser("db", help="the state database")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("migrate", help="bring the schema up to date (SQLite file or PostgreSQL)")
    db.set_defaults(func=cmd_db)

    ev = sub.add_parser(
        "eval", help="score a labelled JSONL set or a feedback export (precision, recall, F1, false alarms)"
    )
    ev.add_argument("file")
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--library", help="library file or folder (default: the configured one)")
    ev.add_argument("--lexical", action="store_true", help="the lexical stage only (faster)")
    ev.set_defaults(func=cmd_eval)

    lib = sub.add_parser("library", help="validate, list or show the narrative library")
    lib_sub = lib.add_subparsers(dest="action", required=True)
    validate = lib_sub.add_parser(
        "validate", help="check a library (a file, with its NAME.d/ folder if any, or a folder); errors name file:line"
    )
    validate.add_argument("path", nargs="?")
    build = lib_sub.add_parser("build", help="embed the library and train the semantic stage (progress on stderr)")
    build.add_argument("path", nargs="?")
    build.add_argument("--export-seed", metavar="DIR", help="also write the vectors and classifier to DIR (seed)")
    build.add_argument("--threads", type=_positive, metavar="N", help="embedding threads (default: every core)")
    listing = lib_sub.add_parser("list", help="list narratives")
    listing.add_argument("--lang", choices=["en", "uk", "ru"], default="en", help="the titles' language")
    lib_sub.add_parser("schema", help="print the JSON Schema of the library file")
    show = lib_sub.add_parser("show", help="show one narrative")
    show.add_argument("id")
    show.add_argument("--lang", choices=["en", "uk", "ru"], default="en", help="the texts' language")
    lib.set_defaults(func=cmd_library)

    from bot.feeds_cli import add_feeds_parser
    from bot.history_cli import add_history_parsers

    add_feeds_parser(sub)
    add_history_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        loaded = load_settings() if args.command == "run" else None
    except ConfigError as exc:
        print(f"narrative-bot: {exc}", file=sys.stderr)
        return 2
    if loaded is not None:
        _setup_logging(loaded.log_level, loaded.log_file)
    else:
        _setup_logging("WARNING")
    from bot.store import StoreUnavailable
    from matchers import LibraryError

    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"narrative-bot: {exc}", file=sys.stderr)
        return 2
    except LibraryError as exc:
        print(f"narrative-bot: the narrative library cannot be used:\n{exc}", file=sys.stderr)
        return 2
    except StoreUnavailable as exc:
        print(f"narrative-bot: the state database cannot be used: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
