"""The ``sprintopt`` command line: run, attach, worker, status, propose, approve, stop, …"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

# Only what the parser and `main` need, all of it light: `sprintopt --help` (and a command's
# --help) loads none of SQLAlchemy, Optuna, pydantic or NumPy. Each command imports the rest of
# the engine when it runs (tests/integration/test_cli_imports.py).
from engine import (
    STORAGE_ENV,
    SessionState,
    Settings,
    SprintoptError,
    StoreError,
    __version__,
    mask_url,
    shown,
)
from tui.arg_types import gpu_id, gpu_list, seconds, worker_count
from tui.decide import add_decision_commands
from tui.text import format_sessions, format_status
from tui.waiting import WAIT_EPILOG, wait_for_person

if TYPE_CHECKING:
    from engine import Session, SessionView, Spec

DEMO_SPEC = Path(__file__).resolve().parent.parent / "examples" / "branin.toml"
#: An output file with one of these suffixes gets a Markdown report unless --format says.
MD_SUFFIXES = (".md", ".markdown")
#: ``-o -`` writes to standard output, as in most Unix tools.
STDOUT = "-"


def storage_for(args: argparse.Namespace, name: str | None = None) -> str:
    """The storage of session ``name`` (default: the command's): ``--storage``, else
    $SPRINTOPT_STORAGE, else ``sessions/<name>.db`` here."""
    from engine import check_name

    settings: Settings = args.settings
    return settings.storage_for(check_name(name or args.session), args.storage)


# -- commands ------------------------------------------------------------------------------
#: A sprint time limit below this cannot be expected to run a trial: Python alone takes longer
#: to start a worker.
SHORT_TIMEOUT = 5.0


def short_time_limits(spec: Spec) -> list[str]:
    """What in the spec's time limits would end sprints or trials before any could run."""
    out = []
    for s in spec.sprints:
        if s.timeout is not None and s.timeout < SHORT_TIMEOUT:
            out.append(
                f"sprint {s.name}: timeout = {s.timeout:g} s is too short for any trial to run "
                "(workers take seconds to start); it will likely close with no trials"
            )
        if s.timeout is not None and s.trial_timeout is not None and s.trial_timeout > s.timeout:
            out.append(
                f"sprint {s.name}: trial_timeout = {s.trial_timeout:g} s is longer than the "
                f"sprint's timeout = {s.timeout:g} s"
            )
    return out


def cmd_run(args: argparse.Namespace) -> int:
    from engine import (
        Session,
        check_name,
        parse_spec,
        read_spec_text,
        resolve_objective,
        start_workers,
    )

    # Everything the user typed is checked before anything is written (sessions/ included).
    name = check_name(args.name) if args.name else None
    spec_path = Path(args.spec)
    spec_text = read_spec_text(spec_path)  # read once: what validates is what is stored
    spec = parse_spec(spec_text, source=shown(str(spec_path)))
    if name:
        spec = spec.model_copy(update={"session": spec.session.model_copy(update={"name": name})})
    search_path = [str(Path.cwd()), str(spec_path.resolve().parent)]
    resolve_objective(spec, search_path)  # fail now, before anything is written
    for line in short_time_limits(spec):
        print(f"warning: {line}", file=sys.stderr)
    settings: Settings = args.settings
    if spec.notify is not None:
        # The workers get the command from here, in their environment, never from the database
        # (this file's [notify], on a resume too).
        settings = replace(settings, notify=spec.notify.command)
    url = settings.storage_for(spec.session.name, args.storage, spec.session.storage)
    opened = Session.create_or_resume(
        spec,
        spec_text,
        url,
        search_path,
        adopt_foreign=getattr(args, "share_database", False),
        settings=settings,
    )
    session = opened.session
    if not opened.created:
        print(f"resuming session {session.name} (its stored spec is used)")
        if session.record.state == SessionState.FINISHED:
            print(
                f"session {session.name} is finished; nothing to run "
                f"(sprintopt status {session.name}, or --name for a new session)"
            )
            return 0
    # The workers import the objective from where this command found it: its choice, never
    # a path read back from the database.
    started = start_workers(
        session.name, url, args.workers, args.gpus, args.auto_approve, search_path, settings
    )
    print(f"session {session.name} in {mask_url(url)}")
    print(f"started {len(started)} worker(s); logs in {settings.log_dir(session.name, url)}")
    if args.follow:
        return follow(session, args.auto_approve, [w.pid for w in started])
    if not getattr(args, "no_tui", True) and sys.stdin.isatty() and sys.stdout.isatty():
        return cmd_attach(argparse.Namespace(session=session.name, storage=url, settings=settings))
    print(f"watch it:  sprintopt attach {session.name}{_storage_flag(args)}")
    return 0


def _storage_flag(args: argparse.Namespace) -> str:
    return f" --storage '{mask_url(args.storage)}'" if getattr(args, "storage", None) else ""


def follow(session: Session, auto_approve: bool, pids: list[int], interval: float = 1.0) -> int:
    """Print one progress line per change until the session finishes or awaits a decision."""
    from engine import pid_alive, session_view

    last = ""
    while True:
        view = session_view(session)
        line = _progress_line(view)
        if line != last:
            print(line, flush=True)
            last = line
        if view.state == SessionState.FINISHED:
            _await_exit(pids)
            return 0
        if view.state == SessionState.AWAITING and not auto_approve:
            print(f"a proposal waits: sprintopt approve {view.name}")
            return 0
        if not any(pid_alive(p) for p in pids) and session.refresh().state == SessionState.RUNNING:
            logs = session.store.settings.log_dir(session.name, session.store.url)
            print(
                f"the workers started here have exited; see their logs in {logs}, then resume "
                f"with: sprintopt worker {view.name}"
            )
            return 1
        time.sleep(interval)


def _await_exit(pids: list[int], timeout: float = 10.0) -> None:
    """Give the workers a moment to notice the end, so a summary shows them gone."""
    from engine import pid_alive

    deadline = time.monotonic() + timeout
    while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)


def _progress_line(view: SessionView) -> str:
    if not view.sprints:
        return f"{view.name}: {view.state}"
    s = view.sprints[-1]
    done = sum(s.counts.get(k, 0) for k in ("complete", "pruned", "failed"))
    best = "-" if view.best_value is None else f"{view.best_value:.6g}"
    return (
        f"{view.name}: sprint {s.number}/{view.planned_sprints} {s.name} [{s.fidelity}] "
        f"{done}/{s.budget} trials, {s.counts.get('running', 0)} running, best {best} "
        f"({view.state})"
    )


def cmd_attach(args: argparse.Namespace) -> int:
    from tui.app import run_app  # Textual loads only for the app

    if args.session is None:
        return run_app(None, args.storage or args.settings.storage)
    return run_app(args.session, storage_for(args))


def cmd_sessions(args: argparse.Namespace) -> int:
    from engine import find_sessions

    settings: Settings = args.settings
    print(format_sessions(find_sessions(None, args.storage or settings.storage)))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import logging

    from engine import WorkerOptions, run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(message)s")
    url = storage_for(args)
    paths = [str(Path(p).resolve()) for p in args.path]
    options = WorkerOptions(
        args.session,
        url,
        args.auto_approve,
        args.gpu,
        search_path=paths,
        settings=args.settings,
        resume=True,  # the resume `sprintopt stop` names
    )
    return run_worker(options)


def cmd_status(args: argparse.Namespace) -> int:
    # A reader (no write lock, no reaping); trials in bulk from the store, not Optuna's ORM.
    from engine import LiveSession, session_view, storage_summary, troubles

    url = storage_for(args)
    settings: Settings = args.settings
    try:
        session = LiveSession.open_readonly(args.session, url, settings)
    except StoreError as exc:  # the workers here may say how long they have been waiting
        line = storage_summary(troubles(settings.log_dir(args.session, url)))
        if line is None:
            raise
        raise StoreError(f"{exc}\n{line}") from exc
    code = wait_for_person(session, args.interval) if args.wait else 0
    print(format_status(session_view(session)))
    return code


def open_session(args: argparse.Namespace) -> Session:
    from engine import Session

    return Session.open(args.session, storage_for(args), settings=args.settings)


def cmd_stop(args: argparse.Namespace) -> int:
    from engine import signal_workers

    session = open_session(args)
    session.store.request_stop(session.record.id)
    if args.now:
        n = signal_workers(session.store.workers(session.record.id))
        print(f"stop requested; {n} local worker(s) told to stop now (running trials re-queued)")
    else:
        print("stop requested; workers exit after their running trial")
    print(f"resume with: sprintopt worker {session.name}  (or sprintopt run SPEC)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from engine import LiveSession, to_csv, to_json, trial_rows, write_export

    session = LiveSession.open_readonly(args.session, storage_for(args), args.settings)
    rows = trial_rows(session, prune_reasons=True)
    text = to_json(rows) if args.format == "json" else to_csv(rows)
    if args.output and args.output != STDOUT:
        write_export(args.output, text)
        print(f"wrote {len(rows)} trials to {shown(args.output)}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from engine import LiveSession, campaign
    from tui.report import write_report

    fmt = args.format or (
        "md" if args.output and Path(args.output).suffix in MD_SUFFIXES else "html"
    )
    if args.output == STDOUT and fmt == "md":
        raise SprintoptError(
            "a Markdown report keeps its charts in a folder beside it, so it needs a file: "
            "-o NAME.md (or --format html for standard output)"
        )
    session = LiveSession.open_readonly(args.session, storage_for(args), args.settings)
    story = campaign(session)
    if args.output == STDOUT:
        from tui.report import report_html

        sys.stdout.write(report_html(story))
        return 0
    path = Path(args.output or f"{session.name}-report.{fmt}")
    written = write_report(story, path, fmt)
    charts = (
        f" and {len(written) - 1} chart(s) in {shown(str(written[1].parent))}"
        if written[1:]
        else ""
    )
    print(f"wrote the report of {session.name} to {shown(str(path))}{charts}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from engine import LiveSession, session_view

    name = args.name or time.strftime("demo-%Y%m%d-%H%M%S")
    ns = argparse.Namespace(
        spec=str(DEMO_SPEC),
        name=name,
        storage=None,
        workers=args.workers,
        gpus=None,
        auto_approve=True,
        follow=True,
        share_database=False,
        settings=args.settings,
    )
    print(
        f"sprintopt demo: a three-sprint session on the multi-fidelity Branin function "
        f"({DEMO_SPEC.name}), {args.workers} workers, proposals auto-approved\n"
    )
    code = cmd_run(ns)
    url = storage_for(ns, name)
    session = LiveSession.open_readonly(name, url, args.settings)
    print()
    print(format_status(session_view(session)))
    print(f"\nthe session lives in {mask_url(url)}; look at it with:")
    print(f"  sprintopt attach {name}      (the terminal app; q quits)")
    print(f"  sprintopt status {name}")
    print(f"  sprintopt export {name} --format csv -o {name}.csv")
    print(f"  sprintopt report {name}      (the whole campaign in one HTML file)")
    print(f"  optuna-dashboard {mask_url(url)}   (if you have it installed)")
    return code


# -- parser --------------------------------------------------------------------------------
EXAMPLES = DEMO_SPEC.parent
EPILOG = f"""\
Start with `sprintopt demo` (a whole session on a quick problem, about 30 s). Then write a spec
(the README's "The spec"; examples in {EXAMPLES}) and `sprintopt run SPEC`.
`sprintopt COMMAND --help` tells more about each command."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sprintopt",
        description="Human-guided hyperparameter optimisation in multi-fidelity sprints.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help: str
    ) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help, description=help)
        sp.set_defaults(func=func)
        return sp

    def session_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("session", help="session name")
        sp.add_argument(
            "--storage",
            help=f"storage URL (default: sqlite:///sessions/NAME.db, or ${STORAGE_ENV})",
        )

    r = add("run", cmd_run, "create or resume a session from a spec and start its workers")
    r.epilog = (
        f"The spec's format: the README's \"The spec\"; examples to copy: {EXAMPLES}/*.toml "
        f"(branin.toml is the demo's)."
    )
    r.add_argument("spec", help="the spec file (TOML)")
    r.add_argument(
        "--workers", type=worker_count, default=2, help="worker processes to start (default 2)"
    )
    r.add_argument("--gpus", type=gpu_list, help="comma-separated GPU ids: one worker per GPU")
    r.add_argument("--storage", help="storage URL (default: the spec's, or sessions/NAME.db)")
    r.add_argument("--name", help="session name (default: the spec's)")
    r.add_argument("--auto-approve", action="store_true", help="apply proposals unattended")
    r.add_argument(
        "--follow",
        action="store_true",
        help="print progress until the session finishes or awaits a decision",
    )
    r.add_argument("--no-tui", action="store_true", help="do not open the app after the start")
    r.add_argument(
        "--share-database",
        action="store_true",
        help="create the session in a database that holds other tables (a shared Optuna "
        "database); its studies are never adopted",
    )

    t = add("attach", cmd_attach, "open the app on a session (or, without one, the sessions)")
    t.add_argument("session", nargs="?", help="session name (default: list the sessions)")
    t.add_argument("--storage", help="storage URL (default: sessions/NAME.db)")
    sl = add("sessions", cmd_sessions, "list the sessions under sessions/ (or in --storage)")
    sl.add_argument("--storage", help="storage URL to list instead of sessions/*.db")

    w = add("worker", cmd_worker, "run trials of a session in this terminal (join from any box)")
    session_arg(w)
    w.add_argument("--auto-approve", action="store_true", help="apply proposals unattended")
    w.add_argument("--gpu", type=gpu_id, help="label this worker with a GPU id")
    w.add_argument(
        "--path",
        action="append",
        default=[],
        metavar="DIR",
        help="(repeatable) a directory to import the objective from, besides this one and "
        "$SPRINTOPT_PATH; never taken from the database",
    )

    st = add("status", cmd_status, "print a session's sprints, trials, best and workers")
    session_arg(st)
    st.epilog = WAIT_EPILOG
    st.add_argument(
        "--wait",
        action="store_true",
        help="block until a proposal waits or the session ends (see the exit codes below)",
    )
    st.add_argument(
        "--interval",
        type=seconds,
        default=2.0,
        metavar="SECONDS",
        help="with --wait: seconds between reads of the storage (default 2)",
    )

    add_decision_commands(sub, open_session, session_arg)

    s = add("stop", cmd_stop, "stop a session's workers (running trials finish first)")
    session_arg(s)
    s.add_argument(
        "--now",
        action="store_true",
        help="stop local workers at once; running trials are re-queued",
    )

    e = add("export", cmd_export, "write all trials with sprint and fidelity as CSV or JSON")
    session_arg(e)
    e.add_argument("--format", choices=["csv", "json"], default="csv")
    e.add_argument("-o", "--output", help="file to write (default, or -: standard output)")

    rp = add("report", cmd_report, "write the campaign's story: one HTML file, or Markdown")
    session_arg(rp)
    rp.add_argument(
        "--format",
        choices=["html", "md"],
        help="html (one self-contained file; the default) or md (Markdown, charts beside it "
        "in NAME_files/); default: from the -o suffix",
    )
    rp.add_argument(
        "-o",
        "--output",
        help="file to write (default: NAME-report.html here; -: the HTML to standard output)",
    )

    d = add("demo", cmd_demo, "run a quick three-sprint session on a synthetic problem")
    d.add_argument("--workers", type=worker_count, default=2)
    d.add_argument("--name", help="session name (default: demo-<time>)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # --help, --version and usage errors exit here
    if args.command is None:  # `sprintopt` alone: what it can do, not a usage error
        parser.print_help()
        return 0
    from engine import quiet_optuna  # each command opens a session: Optuna loads anyway

    quiet_optuna()
    try:
        args.settings = Settings.from_environ()  # read once here, passed down
        return int(args.func(args))
    except SprintoptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "\ninterrupted; workers keep running (sprintopt stop NAME to stop them)",
            file=sys.stderr,
        )
        return 130
    except BrokenPipeError:
        # `sprintopt export NAME | head`: the reader left; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        from engine import describe, is_storage_fault

        if not is_storage_fault(exc):
            raise
        print(f"error: the storage failed under this command: {describe(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
