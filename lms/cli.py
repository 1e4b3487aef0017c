"""`flask lms ...`: the operators' commands (stable contract, DESIGN §5)."""
import sys
from datetime import UTC
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .web import db_session, newcomer_grace, unit_of_work

lms_cli = AppGroup("lms", help="Zhuhun LMS: imports, content sync, demo data.")


def report_problems(problems) -> None:
    """Print `FILE:LINE: message` lines to stderr and exit non-zero."""
    for problem in problems:
        click.echo(str(problem), err=True)
    click.echo(f"{len(problems)} problem(s); nothing was changed.", err=True)
    sys.exit(1)


@lms_cli.command("init-db")
def init_db():
    """Create or upgrade the schema (alembic upgrade head on the LMS migrations)."""
    from .migrate import upgrade
    upgrade()
    click.echo("Database is at the latest revision.")


@lms_cli.command("import-units")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_units(file: Path):
    """Import the org tree from CSV: code,name,kind,parent_code."""
    from .domain.org import orgimport
    with unit_of_work() as db:
        plan, problems = orgimport.read_units(db, file)
        if problems:
            report_problems(problems)
        with click.progressbar(length=len(plan.rows), label="Units") as bar:
            summary = orgimport.apply_units(db, plan, progress=bar.update)
        _audit_import(db, "units_imported", file, summary)
    click.echo(f"Units: {summary}")


@lms_cli.command("import-roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--codes-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write police_no,name,activation_code for new accounts here.")
def import_roster(file: Path, codes_out: Path | None):
    """Import or update accounts from CSV: police_no,name,unit_code,roles,party_member."""
    from .auth.session import passwords
    from .domain import clock
    from .domain.org import roster
    with unit_of_work() as db:
        plan, problems = roster.read_roster(db, file)
        if problems:
            report_problems(problems)
        if codes_out is None and roster.count_new_accounts(db, plan):
            # Codes are shown once and stored only hashed: without a file they would be lost.
            click.echo(f"{roster.count_new_accounts(db, plan)} new account(s) would get "
                       "activation codes: pass --codes-out CODES.csv. Nothing was changed.",
                       err=True)
            sys.exit(1)
        with click.progressbar(length=len(plan.rows), label="Accounts") as bar:
            summary, codes = roster.apply_roster(
                db, plan, passwords(), progress=bar.update,
                activation_ttl=current_app.config["LMS_ACTIVATION_TTL"], now=clock.utcnow(),
                grace=newcomer_grace(), tz=current_app.config["LMS_TIMEZONE"])
        _audit_import(db, "roster_imported", file, summary)
    if codes_out is not None:
        roster.write_codes(codes_out, codes)
        click.echo(f"Activation codes for {len(codes)} new account(s) written to {codes_out}")
    click.echo(f"Accounts: {summary}")


def _audit_import(db, action: str, file: Path, summary) -> None:
    from .domain import audit
    audit.record(db, action, target=file.name, detail={"summary": str(summary), "via": "cli"})


@lms_cli.command("sync-courses")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
def sync_courses(path: Path | None, dry_run: bool):
    """Validate the course folder (docs/CONTENT.md), then apply it in one transaction."""
    from .domain import audit
    from .domain.coursefiles import syncplan
    from .domain.coursefiles.punctuation import folder_warnings
    from .domain.coursefiles.reader import load_course_tree
    root = path or _courses_path()
    tree, problems = load_course_tree(root, tz=current_app.config["LMS_TIMEZONE"])
    for warning in folder_warnings(root) if root.is_dir() else ():
        click.echo(str(warning), err=True)  # style only: reported, never blocks the sync
    if problems:
        report_problems(problems)
    db = db_session()
    plan = syncplan.plan_sync(db, tree, root=root)
    if plan.problems or plan.is_empty or dry_run:
        db.rollback()  # the plan only read: end its transaction, write nothing
    if plan.problems:
        report_problems(plan.problems)
    if plan.is_empty:
        click.echo("No changes.")
        return
    if dry_run:
        _echo_plan(plan, ("Would add", "Would change", "Would retire"))
        click.echo("Dry run: nothing was changed.")
        return
    counts = {"added": len(plan.added), "changed": len(plan.changed),
              "retired": len(plan.retired)}
    with unit_of_work():
        syncplan.apply_sync(db, plan, tree)
        audit.record(db, "courses_synced", target=str(root), detail={**counts, "via": "cli"})
    _echo_plan(plan, ("Added", "Changed", "Retired"))
    click.echo("Synced: {added} added, {changed} changed, {retired} retired.".format(**counts))


@lms_cli.command("import-questions")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bank", "bank_key", default="default", show_default=True,
              help="Key of the question bank to add to (made when new).")
def import_questions(file: Path, bank_key: str):
    """Import questions from the Excel template (题库导入模板) into a question bank."""
    from .domain.bank import banks, xlsximport
    try:
        bank_key = banks.check_key(bank_key)
    except banks.BankError as error:
        click.echo(f"--bank: {error.message}", err=True)
        sys.exit(2)
    questions, problems = xlsximport.read_xlsx(file.read_bytes(), str(file))
    if problems:
        report_problems(problems)
    try:
        with unit_of_work() as db:
            summary = banks.apply_import(db, questions, bank_key, file_name=str(file))
            if summary.is_empty:
                db.rollback()
            else:
                banks.record_import(db, summary, file.name, None, "cli")
    except banks.AnsweredKeys as error:
        report_problems(error.problems)
    click.echo(f"Questions: {summary}")
    if summary.is_empty:
        click.echo("No changes.")


@lms_cli.command("export-courses")
@click.argument("path", type=click.Path(path_type=Path))
def export_courses(path: Path):
    """Write the database's content in the courses/ format (sync of it changes nothing)."""
    from .domain.coursefiles import export
    try:
        result = export.export_courses(db_session(), path, current_app.config["LMS_TIMEZONE"])
    except export.ExportRefused as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    finally:
        db_session().rollback()  # the export only read
    click.echo(f"Exported {len(result.files)} file(s) to {path}.")
    if result.problems:  # content the database holds but the file rules refuse
        for problem in result.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(result.problems)} problem(s): sync-courses would refuse the output.",
                   err=True)
        sys.exit(1)


def _courses_path() -> Path:
    """LMS_COURSES_PATH from the current directory, else the folder shipped with the code."""
    from .paths import COURSES_DIR
    configured = Path(current_app.config["LMS_COURSES_PATH"])
    return configured if configured.exists() or configured.is_absolute() else COURSES_DIR


def _echo_plan(plan, headings: tuple[str, str, str]) -> None:
    """The plan's labels under a heading each for added, changed and retired items."""
    for heading, labels in zip(headings, (plan.added, plan.changed, plan.retired)):
        if labels:
            click.echo(f"{heading} ({len(labels)}):")
            for label in labels:
                click.echo(f"  {label}")


@lms_cli.command("set-password")
@click.argument("police_no")
@click.option("--password", help="The new password; prompted for when absent.")
def set_password(police_no: str, password: str | None):
    """Set an account's password (operators and scripts)."""
    from .auth.session import passwords
    from .domain import audit
    from .domain.org import accounts
    db = db_session()
    user = accounts.find_user(db, police_no)
    if user is None:
        click.echo(f"No account with police number {police_no}", err=True)
        sys.exit(1)
    if password is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        with unit_of_work():
            accounts.set_password(db, passwords(), user, password)
            audit.record(db, "password_set", target=police_no, detail={"via": "cli"})
    except accounts.PasswordRejected as rejected:
        for problem in rejected.problems:
            click.echo(problem, err=True)
        sys.exit(1)
    click.echo(f"Password set for {police_no}.")


@lms_cli.command("deactivate")
@click.argument("police_nos", nargs=-1, required=True, metavar="POLICE_NO...")
@click.option("--reason", default="", help="Why (kept in the audit log).")
def deactivate(police_nos: tuple[str, ...], reason: str):
    """Officers who left: sign-in, sessions and tokens end at once; past reports unchanged."""
    from .domain import clock
    from .domain.org import accounts, directory
    with unit_of_work() as db:
        users = [accounts.find_user(db, no) for no in police_nos]
        unknown = [no for no, user in zip(police_nos, users) if user is None]
        if unknown:
            for no in unknown:
                click.echo(f"No account with police number {no}", err=True)
            click.echo("Nothing was changed.", err=True)
            sys.exit(1)
        done = directory.deactivate(db, None, users, reason.strip()[:255], None,
                                    clock.utcnow(), via="cli")
    for user in users:
        state = "deactivated" if user in done else "was already inactive"
        click.echo(f"{user.police_no} {user.name}: {state}")


@lms_cli.command("demo")
@click.option("--officers", default=300, show_default=True, help="How many officers.")
@click.option("--seed", default=2026, show_default=True, help="Random seed.")
@click.option("--weeks", default=52, show_default=True,
              help="Weeks of lesson history (demo issues fill weeks without a real lesson).")
@click.option("--if-empty", is_flag=True,
              help="Do nothing (and succeed) when the org already has units.")
def demo(officers: int, seed: int, weeks: int, if_empty: bool):
    """Build a realistic org tree, roster and learning history (into an empty org)."""
    from .auth.session import passwords
    from .domain.demo import bureau as demo_data
    if current_app.config["LMS_ENV"] == "production":
        # The demo creates admin logins whose password is printed in the source.
        click.echo("Refusing to build demo data with LMS_ENV=production.", err=True)
        sys.exit(1)
    db = db_session()
    try:
        demo_data.check_empty(db, officers)
    except ValueError as refused:
        if if_empty and demo_data.has_units(db):
            click.echo("The org already has units; demo data left as it is.")
            click.echo(demo_data.describe_logins(db))
            return
        click.echo(str(refused), err=True)
        sys.exit(1)
    # One slow hash shared by every demo login (NOTES: ~100 ms per hash).
    password_hash = passwords().hash(demo_data.DEMO_PASSWORD)
    with unit_of_work(), click.progressbar(length=100, label="Demo data") as bar:
        summary = demo_data.build(db, officers=officers, seed=seed,
                                  tz=current_app.config["LMS_TIMEZONE"], progress=bar.update,
                                  password_hash=password_hash, weeks=weeks,
                                  points=current_app.config["LMS_POINTS"])
    with unit_of_work():  # statistics for what it loaded, as the reports need them
        demo_data.analyse(db)
    click.echo(summary.describe())


def _moment(now_text: str | None):
    """--now as naive UTC (without an offset it is in LMS_TIMEZONE); the clock when absent."""
    from datetime import datetime

    from .domain import clock
    if not now_text:
        return clock.utcnow()
    try:
        moment = datetime.fromisoformat(now_text)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {now_text}",
                                 param_hint="--now") from None
    if moment.tzinfo is None:
        return clock.to_utc(moment, current_app.config["LMS_TIMEZONE"])
    return moment.astimezone(UTC).replace(tzinfo=None)


NOW_OPTION = click.option(
    "--now", "now_text", metavar="ISO",
    help="Act as of this moment (ISO 8601; without an offset it is in LMS_TIMEZONE).")


@lms_cli.command("send-reminders")
@NOW_OPTION
def send_reminders(now_text: str | None):
    """Send the lesson reminders due now: new lesson, due tomorrow, overdue digests to branch
    then county supervisors, then deliver what is due to the messaging platform. Safe to
    repeat: a second run sends nothing new. Exits 1 when delivery keeps failing."""
    from .domain import clock
    from .domain.reminders import escalation, outbox
    from .domain.reports import plans
    plans.custom_plans(db_session(), whole_session=True)  # report queries, many times over
    tz = current_app.config["LMS_TIMEZONE"]
    now = _moment(now_text)
    notifier = current_app.extensions["lms"].notifier
    schedule = escalation.Schedule(chase_weeks=current_app.config["LMS_REMINDER_CHASE_WEEKS"])
    report = escalation.plan_and_store(db_session(), now, tz, schedule,
                                       external=outbox.delivers_externally(notifier))
    for line in report.lines():
        click.echo(line)
    # Operators read the bureau's clock: the times printed are local, named by their zone.
    click.echo(f"Sent {report.total} notification(s) as of "
               f"{clock.to_local(now, tz):%Y-%m-%d %H:%M} {tz}.")
    _deliver(notifier, now, None)


@lms_cli.command("deliver")
@NOW_OPTION
@click.option("--limit", type=click.IntRange(min=1), help="Try at most this many.")
@click.option("--retry-dead", is_flag=True,
              help="First give every dead notification a fresh set of attempts.")
def deliver(now_text: str | None, limit: int | None, retry_dead: bool):
    """Deliver the notifications due in the outbox, retrying failures with backoff.
    Exits 1 when delivery keeps failing (a notification died, or every try failed)."""
    from .domain.reminders import outbox
    now = _moment(now_text)
    if retry_dead:
        with unit_of_work() as db:
            queued = outbox.retry_dead(db, now)
        click.echo(f"{queued} dead notification(s) queued again.")
    _deliver(current_app.extensions["lms"].notifier, now, limit)


def _deliver(notifier, now, limit: int | None) -> None:
    """Run the outbox; the failures and a one-line summary, and exit 1 when it keeps failing."""
    from .domain.reminders import outbox
    if not outbox.delivers_externally(notifier):
        click.echo("Delivery: LMS_NOTIFIER stores notifications in the app only.")
        return
    report = outbox.deliver(db_session(), notifier, now, limit,
                            tz=current_app.config["LMS_TIMEZONE"])
    for line in report.problems:
        click.echo(line, err=True)
    if report.ok:
        click.echo(report.summary())
        return
    click.echo(report.summary(), err=True)
    sys.exit(1)
