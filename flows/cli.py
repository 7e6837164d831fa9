"""The `claimguard` command: the same jobs as the flows, for people without the Prefect UI.

Output names records by file, line and record id only; patient data never reaches the terminal.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar, cast

from cyclopts import App, CycloptsError, Parameter, validators
from pydantic import BaseModel
from rich.console import Console
from rich.text import Text

from flows import report
from rules.outcomes import Step
from tasks.reference.layouts import TableKind
from tasks.settings import CHUNK_SIZE
from tasks.text import printable

if TYPE_CHECKING:
    from flows.params import Selection
    from tasks.runtime import Runtime


def _one_line(error: CycloptsError) -> Text:
    """A mistyped command or option: one line on stderr (cyclopts exits with status 2)."""
    text = str(error).strip()
    message = text.splitlines()[0] if text else type(error).__name__
    return Text(f"error: {message}", no_wrap=True, overflow="ignore")


app = App(
    name="claimguard",
    help="Stop revenue leaks in group psychotherapy billing.",
    error_formatter=_one_line,
    # Soft wrap: a long message stays one line (a terminal may still fold it on screen).
    error_console=Console(stderr=True, soft_wrap=True),
)
db_app = App(name="db", help="The claim database.")
claim_app = App(name="claim", help="One claim: its lines, findings and checkpoint history.")
rules_app = App(name="rules", help="The payer rule files and code tables.")
remit_app = App(
    name="remit", help="835 remittances: post them, audit them, work what is unmatched."
)
report_app = App(name="report", help="Revenue-leak reports: underpayments, denials, work queues.")
tables_app = App(
    name="tables", help="Reference tables: import the files CMS and X12 publish, in their layouts."
)
contracts_app = App(
    name="contracts", help="Payers' contract fee schedules: import the CSV your practice keeps."
)
app.command(db_app)
app.command(remit_app)
app.command(report_app)
app.command(rules_app)
app.command(claim_app)
app.command(tables_app)
app.command(contracts_app)
RULES_DIR = Path(__file__).resolve().parents[1] / "rules"
DatabaseUrl = Annotated[
    str | None,
    Parameter(
        help="The claim database (default: CLAIMGUARD_DATABASE_URL, else "
        "sqlite:///.claimguard/claimguard.db)."
    ),
]
CsvOut = Annotated[Path | None, Parameter(help="Also write every row to this CSV file.")]
Positive = Annotated[int, Parameter(validator=validators.Number(gte=1))]  # counts, days, months
P = ParamSpec("P")
M = TypeVar("M", bound=BaseModel)


class UserError(Exception):
    """What the user asked cannot be done as asked: one line on stderr, exit status 2."""


def main() -> None:
    """Console entry point."""
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    from tasks.settings import cache_folder, get_settings
    from tasks.startup import use_cached_code_tables

    try:
        use_cached_code_tables(cache_folder(get_settings()))
        status = app()
    except UserError as error:
        status = _fail(str(error))
    except ValidationError as error:  # the settings (CLAIMGUARD_* variables) refuse a value
        status = _fail(f"a CLAIMGUARD_ setting is not valid: {_setting_problem(error)}")
    except OperationalError as error:
        status = _fail(f"the claim database cannot be used: {_database_problem(error)}")
    sys.exit(status or 0)


def _setting_problem(error: Any) -> str:
    first = error.errors()[0]
    name = "CLAIMGUARD_" + str(first["loc"][0]).upper() if first["loc"] else "a setting"
    return f"{name}: {first['msg'][0].lower()}{first['msg'][1:]}"


def _database_problem(error: Any) -> str:
    """The driver's first line, quoted values withheld (it may quote a statement's)."""
    from tasks.text import withhold_quoted

    text = str(error.orig).strip().splitlines()[0] if error.orig is not None else "unknown"
    return withhold_quoted(text)[:200] + " (check CLAIMGUARD_DATABASE_URL or --database-url)"


def _runtime(database_url: DatabaseUrl = None, *, existing: bool = False) -> Runtime:
    """The command's claim database (`--database-url`, else the settings') and rules;
    `existing`: the database must be there already (a command that only reads it)."""
    from tasks.db.presence import absent
    from tasks.runtime import Runtime
    from tasks.settings import get_settings

    runtime = Runtime.from_settings(get_settings(), database_url=database_url)
    if runtime.rules_dir is not None and not runtime.rules_dir.is_dir():
        raise UserError(
            f"no rules folder at {runtime.rules_dir} (CLAIMGUARD_RULES_DIR names it; unset it "
            "to use the shipped rules)"
        )
    missing = absent(runtime.database_url) if existing else None
    if missing:
        raise UserError(f"{missing}; run `claimguard db init` to make one")
    return runtime


def _stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _fail(message: str) -> int:
    """A user's error: one line on stderr, exit status 2."""
    print(f"error: {message}", file=sys.stderr)
    return 2


# Form fields whose command option has another name.
OPTIONS = {"claim_ids": "--claim", "payer_id": "--payer", "held_by_rule": "--rule"}


def _form(model: type[M], **values: object) -> M:
    """A flow's parameters from the command's options; a value the form refuses is one line
    naming the option, and exit 2."""
    from pydantic import ValidationError

    try:
        return model.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        # The last name in the path: a tuning value sits under "advanced" in the form.
        names = [part for part in first["loc"] if isinstance(part, str)]
        field = names[-1] if names else ""
        option = OPTIONS.get(field, "--" + field.replace("_", "-"))
        problem = first["msg"].removeprefix("Value error, ")
        where = f"{option}: " if field else ""
        print(f"error: {where}{problem[0].lower()}{problem[1:]}", file=sys.stderr)
        raise SystemExit(2) from None


def _in_local_mode(command: Callable[P, int]) -> Callable[P, int]:
    """A command that runs a flow: Prefect's local mode, with its temporary server given
    time to start (flows/prefect_local.py), unless PREFECT_API_URL names a server."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> int:
        from flows.prefect_local import local_mode

        with local_mode():
            return command(*args, **kwargs)

    return run


@db_app.command(name="init")
def init(*, database_url: DatabaseUrl = None) -> int:
    """Create the claim database (or bring an existing one to the newest schema); the only
    command besides the demo that makes one, so a mistyped URL is never a new, empty database."""
    return _migrate(database_url, create=True)


@db_app.command
def upgrade(*, database_url: DatabaseUrl = None) -> int:
    """Bring the claim database to the newest schema."""
    return _migrate(database_url, create=False)


def _migrate(database_url: str | None, *, create: bool) -> int:
    from tasks.db.migrate import current_revision

    engine = _runtime(database_url, existing=not create).engine()
    print(f"claim database at revision {current_revision(engine)}: {engine.url.render_as_string()}")
    return 0


@rules_app.command(name="validate")
def rules_validate(root: Path = RULES_DIR, /) -> int:
    """Load every rule file and table; print every problem found, or the rule-set version.

    Parameters
    ----------
    root
        The rules folder (default: the shipped rules).
    """
    from rules.errors import RuleFileError
    from rules.loader import load_rule_set

    try:
        rule_set = load_rule_set(root)
    except RuleFileError as error:
        print(error, file=sys.stderr)
        return 1
    print(
        f"{len(rule_set.all_rules())} rules for {len(rule_set.payers)} payers and the defaults; version {rule_set.version[:16]}"
    )
    return 0


@rules_app.command(name="copy")
def rules_copy(folder: Path, /) -> int:
    """Copy the shipped rules (payer rule files and tables) into a folder of your own, to
    edit and to import tables into; point CLAIMGUARD_RULES_DIR at it.

    Parameters
    ----------
    folder
        A new folder (it must not exist yet).
    """
    import shutil

    if folder.exists():
        return _fail(f"{folder} already exists: name a new folder")
    folder.mkdir(parents=True)
    for part in ("payers", "tables"):
        shutil.copytree(RULES_DIR / part, folder / part)
    print(f"copied the shipped rules to {folder}; use them with CLAIMGUARD_RULES_DIR={folder}")
    return 0


@rules_app.command(name="catalog")
def rules_catalog(*, out: Path = RULES_DIR / "CATALOG.md") -> int:
    """Rewrite the markdown catalog of every rule (checked in; a test keeps it current).

    Parameters
    ----------
    out
        The file to write.
    """
    from rules.catalog import render_catalog
    from rules.loader import load_rule_set

    out.write_text(render_catalog(load_rule_set(RULES_DIR)))
    print(f"wrote {out}")
    return 0


@rules_app.command(name="schema")
def rules_schema(*, out: Path = RULES_DIR / "rule-file.schema.json") -> int:
    """Rewrite the JSON Schema of a rule file, for editors.

    Parameters
    ----------
    out
        The file to write.
    """
    import json

    from rules.schema import rule_file_json_schema

    out.write_text(json.dumps(rule_file_json_schema(), indent=2, sort_keys=True) + "\n")
    print(f"wrote {out}")
    return 0


@app.command
def score(*, claims: Positive = 10_000, seed: int = 7, days: Positive = 28) -> int:
    """Score steps 1-4 against the generator's ground truth: precision and recall per defect.

    Parameters
    ----------
    claims
        How many claims to generate and check.
    seed
        The same seed gives the same claims.
    days
        How many days of service to spread them over.
    """
    from flows.scoring import run_scoring

    return run_scoring(claims=claims, seed=seed, days=days)


@app.command
def generate(
    *,
    seed: int = 2026,
    claims: Annotated[int, Parameter(validator=validators.Number(gte=1))] = 500,
    out: Path = Path("demo-out"),
    start: dt.date | None = None,
    days: Annotated[int, Parameter(validator=validators.Number(gte=1))] = 1,
    defect_rate: Annotated[
        float | None, Parameter(validator=validators.Number(gte=0, lte=1))
    ] = None,
    rate: Annotated[list[str] | None, Parameter(consume_multiple=True)] = None,
    x12: bool = False,
) -> int:
    """Write synthetic claim packets with planted defects and their ground truth.

    Parameters
    ----------
    seed
        The same seed gives the same files, byte for byte.
    claims
        How many claims to make.
    out
        The folder to write into.
    start
        The first date of service (default 2026-11-02).
    days
        How many days of service to spread the claims over.
    defect_rate
        The rate of every claim-level defect (session-level defects get twice it).
    rate
        Per-defect rates, e.g. --rate auth_missing=0.05 cloned_note=0.1.
    x12
        Also pay the clean claims in 835 remittances (with planted payment problems) and
        move the claims into 837P files, as a practice and its payers would exchange them.
    """
    from tasks.synthetic.defects import parse_rates
    from tasks.synthetic.generator import DEFAULT_START, GeneratorConfig
    from tasks.synthetic.generator import generate as run_generator

    try:
        rates = parse_rates(rate or [], default_scale=defect_rate)
    except ValueError as error:
        raise UserError(f"--rate: {error}") from None
    config = GeneratorConfig(
        seed=seed, claims=claims, start=start or DEFAULT_START, days=days, rates=rates
    )
    manifest = run_generator(config, out)
    report.print_generated(manifest, out)
    if x12:
        from tasks.synthetic.x12gen import write_claims, write_remittances

        remits = write_remittances(out, seed=seed)
        claims_837 = write_claims(out, seed=seed)
        print(
            f"  {len(claims_837)} 837P file(s) and {len(remits)} 835 file(s); truth in ground-truth/remittance_truth.csv"
        )
    return 0


@app.command
def load(paths: list[Path], /, *, database_url: DatabaseUrl = None, strict: bool = False) -> int:
    """Load claim packet files (or folders of them); refused records are quarantined.

    Parameters
    ----------
    paths
        Files or folders (a folder's JSON packets and 837P files; JSON first, then by name).
    strict
        Exit with status 1 when any record was quarantined.
    """
    from flows import progress
    from tasks.inbox import load_paths, packet_files

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    engine = _runtime(database_url, existing=True).engine()
    files = packet_files(paths)
    # Progress on stderr: stdout is the load report, which scripts read.
    with progress.shown(len(files), "files", console=_stderr(), say=_say) as step:
        reports = load_paths(
            engine,
            files,
            on_file=lambda done: step(f"{Path(done.path).name}, {done.records_in:,} records"),
        )
    report.print_load(reports)
    quarantined = sum(r.quarantined for r in reports)
    return 1 if strict and quarantined else 0


@app.command
def quarantine(*, limit: Positive = 20, database_url: DatabaseUrl = None) -> int:
    """List the most recently quarantined records and every reason each was refused.

    Parameters
    ----------
    limit
        How many records, newest first.
    """
    from tasks.db.repository import quarantined
    from tasks.db.session import session_scope

    with session_scope(_runtime(database_url, existing=True).engine()) as session:
        report.print_quarantine(quarantined(session, limit=limit))
    return 0


@app.command
def files(
    *,
    limit: Annotated[int, Parameter(validator=validators.Number(gte=1))] = 20,
    database_url: DatabaseUrl = None,
) -> int:
    """The files intake read most recently, by id (Prefect names a file by its id only).

    Parameters
    ----------
    limit
        How many files, newest last.
    """
    from tasks.db.repository import recent_intake_files
    from tasks.db.session import session_scope

    with session_scope(_runtime(database_url, existing=True).engine()) as session:
        found = recent_intake_files(session, limit)
    if not found:
        return _fail("no file has been read yet")
    report.print_file_ids(found)
    return 0


@app.command
def schema(*, out: Path = Path("docs/claim-packet.schema.json")) -> int:
    """Write the JSON Schema of the claim packet record (checked in; a test keeps it current).

    Parameters
    ----------
    out
        The file to write.
    """
    import json

    from rules.records import packet_json_schema

    out.write_text(json.dumps(packet_json_schema(), indent=2, sort_keys=True) + "\n")
    print(f"wrote {out}")
    return 0


@app.command
@_in_local_mode
def demo(*, claims: Positive = 600, seed: int = 2026) -> int:
    """Run the main job on a generated quarter of sample data and print what happened.

    Parameters
    ----------
    claims
        How many claims to generate.
    seed
        The same seed gives the same claims.
    """
    from flows.demo import run_demo
    from tasks.settings import get_settings

    return run_demo(get_settings(), claims=claims, seed=seed)


@app.command
def run(
    *,
    inbox: Path = Path(".claimguard/inbox"),
    chunk_size: int = CHUNK_SIZE,
    quiet_seconds: float | None = None,
) -> int:
    """Run the daily-intake flow on an inbox folder (Prefect local mode unless PREFECT_API_URL is set).

    Parameters
    ----------
    inbox
        The folder of new claim and remittance files.
    chunk_size
        Claims per unit of work.
    quiet_seconds
        Seconds a file must go unchanged before it is read (default 10, or
        CLAIMGUARD_INBOX_QUIET_SECONDS); files named .part wait until renamed, a file
        with a .done marker beside it is read at once.
    """
    from flows.daily_intake import daily_intake
    from flows.params import DailyIntakeParams
    from flows.prefect_local import local_mode

    # Checked before Prefect's temporary server starts: a mistake is said at once.
    if not inbox.is_dir():
        return _fail(f"no such inbox folder: {inbox}")
    params = _form(
        DailyIntakeParams, inbox=str(inbox), chunk_size=chunk_size, quiet_seconds=quiet_seconds
    )
    _runtime(existing=True)  # the settings, the rules folder, the database
    with local_mode():
        state = daily_intake(params, return_state=True)
    print(f"daily-intake: {state.type.value.lower()} ({state.message})")
    return 0 if state.is_completed() else 1


@app.command
def reaudit(
    *,
    reason: str,
    claim: Annotated[
        list[str] | None, Parameter(consume_multiple=True, negative_iterable=())
    ] = None,
    payer: str | None = None,
    plan: str | None = None,
    provider: str | None = None,
    service_from: dt.date | None = None,
    service_to: dt.date | None = None,
    rule: str | None = None,
    step: Annotated[
        list[Step] | None, Parameter(consume_multiple=True, negative_iterable=())
    ] = None,
    dry_run: bool = False,
    csv: CsvOut = None,
    allow_empty: bool = False,
) -> int:
    """Re-evaluate claims under the current rules and print what changed, claim by claim.

    Parameters
    ----------
    reason
        Why (stored with the run), e.g. "Q4 NCCI update".
    claim
        Claim ids.
    payer
        A payer id; with --service-from/--service-to, a date-of-service range.
    plan
        Only claims billed to this plan id.
    provider
        Only claims this clinician (NPI) rendered.
    service_from
        First date of service.
    service_to
        Last date of service.
    rule
        Claims currently held by this rule id.
    step
        The steps to re-check (default: steps 1-4; post-payment-audit re-audits what was
        paid against the contract).
    dry_run
        Report what would change without writing checkpoints.
    csv
        Write every change to this file (the terminal shows the first 200).
    allow_empty
        A selection that matches no claim is not an error (for scripts).
    """
    from flows.params import CLI_HINTS, ReauditParams
    from flows.prefect_local import local_mode
    from flows.reaudit import ReauditSummary
    from flows.reaudit import reaudit as reaudit_flow

    params = _form(
        ReauditParams,
        claim_ids=claim or [],
        payer_id=payer,
        plan_id=plan,
        provider_npi=provider,
        service_from=service_from,
        service_to=service_to,
        held_by_rule=rule,
        dry_run=dry_run,
        reason=reason,
        **({"steps": step} if step else {}),
    )
    problem = params.problem(hints=CLI_HINTS)
    if problem is not None:
        return _fail(problem)
    # Checked before Prefect starts: a selection that matches nothing is said in a second,
    # naming the part that matched nothing, not after a run that changed "0 of 0" claims.
    selection = _checked_selection(params.selection, allow_empty=allow_empty)
    params = params.model_copy(update={"payer_id": selection.payer_id})
    with local_mode():
        state = reaudit_flow(params, return_state=True)
    print(f"re-audit: {state.type.value.lower()} ({state.message})")
    if not state.is_completed():
        return 1
    summary = cast(ReauditSummary, state.result())
    if summary.claims == 0 and not allow_empty:
        return _fail(f"no claim matches the selection ({params.selection.describe()})")
    if dry_run:
        print("dry run: no checkpoints written")
    print(
        f"batch key {summary.batch_key}: "
        f"claimguard report changes {summary.batch_key} --csv changes.csv lists every change"
    )
    return _print_changes(summary.batch_key, csv=csv, database_url=None)


def _checked_selection(selection: Selection, *, allow_empty: bool) -> Selection:
    """The selection with its payer id as on file (any case), or a UserError naming the part
    of it that matches nothing, with the nearest known ids."""
    from flows.params import SELECTION_FIELDS
    from tasks.db import selection as found
    from tasks.db.session import session_scope

    runtime = _runtime(existing=True)
    with session_scope(runtime.engine()) as session:
        if selection.payer_id:
            payer = found.payer_named(session, selection.payer_id)
            if payer is None:
                near = _near(selection.payer_id, found.payer_ids(session))
                raise UserError(f"--payer {selection.payer_id}: no such payer{near}")
            selection = selection.model_copy(update={"payer_id": payer})
        if selection.plan_id:
            plans = [plan for plan, _ in found.plan_names(session)]
            if selection.plan_id not in plans:
                near = _near(selection.plan_id, plans)
                raise UserError(f"--plan {selection.plan_id}: no such plan{near}")
        if selection.provider_npi:
            npis = [npi for npi, _ in found.provider_names(session)]
            if selection.provider_npi not in npis:
                near = _near(selection.provider_npi, npis)
                raise UserError(
                    f"--provider {selection.provider_npi}: no provider with this NPI{near}"
                )
        if selection.held_by_rule:
            rules = [rule.id for _, rule in runtime.rule_set().all_rules()]
            if selection.held_by_rule not in rules:
                near = _near(selection.held_by_rule, rules)
                raise UserError(f"--rule {selection.held_by_rule}: no such rule{near}")
        missing = found.claims_not_on_file(session, selection.claim_ids)
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise UserError(f"--claim {missing[0]}: no such claim{more}")
        criteria = selection.model_dump(include=SELECTION_FIELDS)
        if not allow_empty and not found.any_claim(session, **criteria):
            raise UserError(_empty(session, selection))
    return selection


def _empty(session: Any, selection: Selection) -> str:
    """Which part of a selection matched nothing."""
    from tasks.db import selection as found

    said = f"no claim matches the selection ({selection.describe()})"
    if selection.payer_id and not found.any_claim(session, payer_id=selection.payer_id):
        return f"--payer {selection.payer_id}: no claim of this payer is on file"
    if selection.plan_id and not found.any_claim(session, plan_id=selection.plan_id):
        return f"--plan {selection.plan_id}: no claim billed to this plan is on file"
    if selection.provider_npi and not found.any_claim(session, provider_npi=selection.provider_npi):
        return f"--provider {selection.provider_npi}: no claim rendered by this provider is on file"
    if selection.held_by_rule:
        return f"--rule {selection.held_by_rule}: no claim is held by this rule now"
    if selection.service_from or selection.service_to:
        return f"{said}: no claim has a date of service in that range (--allow-empty for scripts)"
    return f"{said} (--allow-empty for scripts)"


def _near(given: str, known: list[str]) -> str:
    """'; did you mean x?' over the known ids, or the first few of them."""
    import difflib

    close = difflib.get_close_matches(given.casefold(), [k.casefold() for k in known], n=3)
    names = [k for k in known if k.casefold() in close] or known[:5]
    label = "did you mean" if close else "known:"
    return f"; {label} {', '.join(names)}{'?' if close else ''}" if names else ""


def _print_changes(batch_key: str, *, csv: Path | None, database_url: str | None) -> int:
    from tasks.db.session import session_scope
    from tasks.reaudit import change_count, changes_of
    from tasks.reports.render import write_csv

    with session_scope(_runtime(database_url, existing=True).engine()) as session:
        total = change_count(session, batch_key)
        if csv:
            rows = (report.change_row(c) for c in changes_of(session, batch_key))
            write_csv(csv, rows, report.CHANGE_COLUMNS)
            print(f"wrote {total:,} change(s) to {csv}")
        else:
            first = islice(changes_of(session, batch_key, page=200), 200)
            report.print_changes([report.change_row(c) for c in first], total)
    return 0


@tables_app.command(name="import")
def tables_import(
    kind: TableKind,
    file: Path,
    /,
    *,
    effective: dt.date,
    rules: Path | None = None,
    dry_run: bool = False,
    all_codes: bool = False,
    illustrative: bool = False,
    database_url: DatabaseUrl = None,
) -> int:
    """Import a reference file as CMS or X12 publishes it: show what it changes, propose the
    re-audit of the claims whose verdicts change (a dry run), then write the tables.

    Parameters
    ----------
    kind
        pprrvu (the PFS relative value file, with status and conversion factor), gpci,
        locality (LOCCO), ncci-ptp (practitioner PTP .txt), mue (practitioner MUE .csv),
        carc or rarc (the X12 code lists saved as CSV).
    file
        The file (unzipped from CMS's download).
    effective
        The first date of service the file applies to, e.g. 2026-01-01.
    rules
        The rules folder to write (default: CLAIMGUARD_RULES_DIR); `claimguard rules copy`
        makes one from the shipped rules.
    dry_run
        Show the difference and the proposed re-audit; write nothing.
    all_codes
        Keep every code of the file, not only the behavioural-health ones.
    illustrative
        Mark the rows illustrative (a sample file, not a publisher's).
    """
    from flows.tables_import import ImportRefused, ImportRequest, run_import

    folder, named = _rules_to_write(rules, dry_run=dry_run)
    if not file.is_file():
        return _fail(f"no such file: {file}")
    engine = _engine_if_any(database_url)
    request = ImportRequest(
        kind=kind, file=file, effective=effective, folder=folder, dry_run=dry_run,
        all_codes=all_codes, illustrative=illustrative, rules_named=named,
    )  # fmt: skip
    try:
        run_import(request, engine)
    except ImportRefused as error:
        return _fail(str(error))
    return 0


def _rules_to_write(rules: Path | None, *, dry_run: bool) -> tuple[Path, bool]:
    """The rules folder an import writes (and whether it was named), or a UserError."""
    from tasks.settings import get_settings

    named = rules or get_settings().rules_dir
    if named is None and not dry_run:
        raise UserError(
            "ClaimGuard is using its shipped rules, which an import does not change: make "
            "your own with `claimguard rules copy DIR` and pass --rules DIR "
            "(or set CLAIMGUARD_RULES_DIR)"
        )
    folder = named or RULES_DIR
    if not (folder / "tables").is_dir() or not (folder / "payers").is_dir():
        raise UserError(
            f"{folder} is not a rules folder (payers/ and tables/); see `claimguard rules copy`"
        )
    return folder, named is not None


def _engine_if_any(database_url: str | None) -> Any:
    """The claim database's engine, or None where there is none yet (nothing to re-audit)."""
    try:
        return _runtime(database_url, existing=True).engine()
    except UserError:
        return None


@contracts_app.command(name="import")
def contracts_import(
    file: Path,
    /,
    *,
    payer: str,
    effective: dt.date,
    plan: str | None = None,
    term: str | None = None,
    amendment: bool = False,
    rules: Path | None = None,
    dry_run: bool = False,
    database_url: DatabaseUrl = None,
) -> int:
    """Import a payer's contract fee schedule from a CSV: a code column (CPT, HCPCS, Code), a
    rate (Rate, Fee, Allowed) or a percent of Medicare, and where the sheet has them a
    modifier, provider type or tier, setting, plan, dates, escalator, lesser-of and clause.

    Parameters
    ----------
    file
        The CSV (save a spreadsheet's sheet as CSV first).
    payer
        The payer id the contract is with.
    effective
        When the rates start, for rows without a date of their own.
    plan
        Only this plan of the payer (default: every plan).
    term
        The contract's clause for rows that name none, e.g. "Exhibit B".
    amendment
        Change only the rows given; the payer's other rates stay in force (default: the
        file is the whole fee schedule, and rates it leaves out end the day before).
    rules
        The rules folder to write (default: CLAIMGUARD_RULES_DIR).
    dry_run
        Show the difference and the proposed re-audit; write nothing.
    """
    from pydantic import TypeAdapter, ValidationError

    from flows.tables_import import ContractRequest, ImportRefused, run_contract_import
    from rules.codes import RecordId

    folder, named = _rules_to_write(rules, dry_run=dry_run)
    try:
        payer = TypeAdapter(RecordId).validate_python(payer)
    except ValidationError:
        return _fail(f"--payer: {payer!r} is not a payer id (letters, digits, _ . : -)")
    if not file.is_file():
        return _fail(f"no such file: {file}")
    request = ContractRequest(
        file=file, payer_id=payer, effective=effective, folder=folder, dry_run=dry_run,
        plan_id=plan or "", term=term or "", amendment=amendment, rules_named=named,
    )  # fmt: skip
    try:
        run_contract_import(request, _engine_if_any(database_url))
    except ImportRefused as error:
        return _fail(str(error))
    return 0


@report_app.command(name="changes")
def report_changes(
    batch_key: str, /, *, csv: CsvOut = None, database_url: DatabaseUrl = None
) -> int:
    """What a re-audit changed, claim by claim (its batch key is in the re-audit's summary).

    Parameters
    ----------
    batch_key
        The re-audit's batch key.
    csv
        Write every change to this file.
    """
    from tasks.db.session import session_scope
    from tasks.reaudit import batch_exists

    with session_scope(_runtime(database_url, existing=True).engine()) as session:
        if not batch_exists(session, batch_key):
            print(f"error: no re-audit has batch key {batch_key}", file=sys.stderr)
            return 2
    return _print_changes(batch_key, csv=csv, database_url=database_url)


@app.command
@_in_local_mode
def stuck(
    *,
    held_days: Positive = 14,
    ready_days: Positive = 3,
    as_of: dt.date | None = None,
    limit: Annotated[int, Parameter(validator=validators.Number(gte=1))] = 50,
) -> int:
    """Run the stuck-claims monitor: each kind's count, and the first claims of each kind.

    Parameters
    ----------
    held_days
        A held claim is stuck after this many days.
    ready_days
        A claim ready to submit is stuck after this many days.
    as_of
        The day to judge from (default: today).
    limit
        Claims listed per kind (in claim-id order).
    """
    from flows.params import StuckClaimsParams
    from flows.stuck_claims import find_stuck_claims, stuck_claims

    params = _form(StuckClaimsParams, held_days=held_days, ready_days=ready_days, as_of=as_of)
    state = stuck_claims(params, return_state=True)
    print(f"stuck-claims: {state.type.value.lower()} ({state.message})")
    if not state.is_completed():
        return 1
    report.print_stuck(find_stuck_claims.fn(_runtime(existing=True), params, limit=limit))
    return 0


@app.command
def submitted(claim_ids: list[str], /, *, database_url: DatabaseUrl = None) -> int:
    """Record that claims were sent to the payer (the monitor then waits for their remittance).

    Parameters
    ----------
    claim_ids
        The claims' ids.
    """
    from tasks.db.repository import held_now, mark_submitted, unknown_claims
    from tasks.db.session import session_scope

    with session_scope(_runtime(database_url, existing=True).engine()) as session:
        unknown = unknown_claims(session, claim_ids)
        if unknown:
            shown = ", ".join(unknown[:5]) + (
                f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            )
            return _fail(f"no such claim: {shown} (nothing was marked)")
        count = mark_submitted(session, claim_ids)
        held = held_now(session, claim_ids)
    print(f"{count} claim(s) marked submitted")
    # Sending is a fact to record, not to refuse; a claim sent while held is likely denied.
    for claim_id, rules in list(held.items())[:20]:
        print(
            f"warning: {claim_id} was sent while held by {', '.join(rules)}; expect a denial "
            f"unless fixed (claimguard claim show {claim_id})",
            file=sys.stderr,
        )
    if len(held) > 20:
        print(f"warning: and {len(held) - 20} more held claims were sent", file=sys.stderr)
    return 0


@claim_app.command(name="show")
def claim_show(claim_id: str, /, *, database_url: DatabaseUrl = None) -> int:
    """Show a claim's lines and its checkpoint history, newest last (ids and codes, no patient data).

    Parameters
    ----------
    claim_id
        The claim's id (its CLM01 in an 837P).
    """
    from tasks.db.repository import claim_history
    from tasks.db.session import session_scope

    with session_scope(_runtime(database_url, existing=True).engine()) as session:
        history = claim_history(session, claim_id)
    if history is None:
        print(f"no claim {claim_id}", file=sys.stderr)
        return 2
    report.print_claim(history)
    return 0


@remit_app.command(name="load")
def remit_load(paths: list[Path], /, *, database_url: DatabaseUrl = None) -> int:
    """Post 835 files (or folders of them): each payment once, each line matched or queued.

    Parameters
    ----------
    paths
        835 files, or folders of them.
    """
    from tasks.inbox import packet_files
    from tasks.remit.post import post_file

    engine = _runtime(database_url, existing=True).engine()
    files = [p for p in packet_files(paths, remittances=True)]
    rows = []
    for path in files:
        r = post_file(engine, path)
        rows.append((path.name, r.sets_in, r.posted, r.duplicates, r.quarantined,
                     r.claims["matched"], r.claims["unmatched"], r.claims["refused"],
                     len(r.unbalanced)))  # fmt: skip
        for problem in r.problems[:5]:
            print(printable(f"  {path.name}: {problem}"))
        if r.unposted:
            print(printable(f"NOT POSTED: {path.name}: {r.not_posted()}"))
    print(
        report.table(
            (
                "file",
                "sets",
                "posted",
                "duplicate",
                "quarantined",
                "claims matched",
                "unmatched",
                "not posted",
                "unbalanced",
            ),
            rows,
        )
    )
    print("then: claimguard remit audit   (step 5 on what was posted, and the report)")
    return 0


@remit_app.command(name="audit")
def remit_audit(
    *,
    folder: Path = Path(".claimguard/remittances"),
    report_dir: Path = Path(".claimguard/reports"),
    alarm_months: Positive = 3,
) -> int:
    """Run the remittance-audit flow: post the folder's 835s, audit them (step 5), write the report.

    Parameters
    ----------
    folder
        The folder of 835 files to post.
    report_dir
        Where the HTML report and CSV work queues are written.
    alarm_months
        Months of underpaying the same code before a payer is flagged as a persistent underpayer.
    """
    from flows.params import RemittanceAuditParams
    from flows.prefect_local import local_mode
    from flows.remittance_audit import remittance_audit

    if not folder.is_dir():
        return _fail(f"no such folder of 835s: {folder}")
    params = _form(
        RemittanceAuditParams,
        folder=str(folder),
        report_dir=str(report_dir),
        alarm_months=alarm_months,
    )
    _runtime(existing=True)  # the settings, the rules folder, the database
    with local_mode():
        state = remittance_audit(params, return_state=True)
    print(f"remittance-audit: {state.type.value.lower()} ({state.message})")
    return 0 if state.is_completed() else 1


@remit_app.command(name="unmatched")
def remit_unmatched(*, database_url: DatabaseUrl = None, csv: CsvOut = None) -> int:
    """List remittance claims and lines that matched nothing, with the reason."""
    from tasks.db.session import session_scope
    from tasks.reports import data, render

    with (
        session_scope(_runtime(database_url, existing=True).engine()) as session,
        render.WorkQueue(render.UNMATCHED_COLUMNS, csv) as queue,
    ):
        queue.extend(data.unmatched_queue(session))
    if csv:
        print(f"wrote {queue.total} row(s) to {csv}")
    print(report.table(queue.columns, queue.head(50)))
    if queue.total > 50:
        print(f"({queue.total} in all; --csv PATH writes them all)")
    return 0


@report_app.command(name="leaks")
def report_leaks(
    *,
    by: str = "payer",
    alarm_months: Positive = 3,
    database_url: DatabaseUrl = None,
    csv: CsvOut = None,
) -> int:
    """Underpayments grouped by payer, provider, location, code or month, and the persistent-underpayer alarm.

    Parameters
    ----------
    by
        Group by payer, provider, location, code or month.
    alarm_months
        Months of underpaying the same code before a payer is flagged as a persistent underpayer.
    """
    from rules import leaks
    from tasks.reports import build

    if by not in leaks.DIMENSIONS:
        print(f"error: --by is one of {', '.join(leaks.DIMENSIONS)}", file=sys.stderr)
        return 2
    engine, rule_set = (
        _runtime(database_url, existing=True).engine(),
        _runtime(database_url, existing=True).rule_set(),
    )
    # With --csv the underpaid lines are written in the same pass that sums them.
    found = (
        build.write(engine, rule_set, {"underpaid": csv})
        if csv
        else build.collect(engine, rule_set)
    )
    print(found.text() + "\n")
    groups = found.ledger.underpayments_by(by)
    print(report.table((by, "lines", "expected", "allowed", "underpaid"),
                       [(g.key, g.lines, g.expected, g.allowed, g.underpaid) for g in groups]))  # fmt: skip
    alarms = found.ledger.persistent_underpayers(months=alarm_months)
    print(
        f"\npersistent underpayers (same code underpaid in >= {alarm_months} months): {len(alarms)}"
    )
    for alarm in alarms:
        print(f"  ALARM {alarm.message()}")
    if csv:
        print(f"wrote {found.underpaid.total:,} underpaid line(s) to {csv}")
    return 0


@report_app.command(name="denials")
def report_denials(*, database_url: DatabaseUrl = None) -> int:
    """Denials by root cause and CARC/RARC, the step that should have caught each, and the rates."""
    from tasks.reports import build

    found = build.collect(
        _runtime(database_url, existing=True).engine(),
        _runtime(database_url, existing=True).rule_set(),
    )
    rows = [
        (d.category, d.prevented_by or "(payer side)", d.code, d.lines, d.expected)
        for d in found.ledger.denials()
    ]
    print(
        report.table(
            ("category", "should have been caught in", "CARC/RARC", "lines", "at stake"), rows
        )
    )
    rates = found.rates
    print(
        f"\nclean-claim rate {rates.clean_claims}/{rates.claims_checked}; first-pass payment rate {rates.first_pass_paid}/{rates.claims_remitted}"
    )
    return 0


@report_app.command(name="queue")
def report_queue(which: str, /, *, csv: CsvOut = None, database_url: DatabaseUrl = None) -> int:
    """A work queue: `held` (claims held before submission) or `appeals` (underpaid and denied lines).

    Parameters
    ----------
    which
        held or appeals.
    """
    from tasks.db.session import session_scope
    from tasks.reports import build, data, render

    engine = _runtime(database_url, existing=True).engine()
    if which == "held":
        # Held claims need no remittance: read them alone, written to the CSV as they come.
        with (
            session_scope(engine) as session,
            render.WorkQueue(render.HELD_COLUMNS, csv) as queue,
        ):
            queue.extend(data.held_queue(session))
    elif which == "appeals":
        rule_set = _runtime(database_url, existing=True).rule_set()
        found = (
            build.write(engine, rule_set, {"appeals": csv})
            if csv
            else build.collect(engine, rule_set)
        )
        queue = found.appeals
    else:
        print("error: the queue is `held` or `appeals`", file=sys.stderr)
        return 2
    if csv:
        print(f"wrote {queue.total} row(s) to {csv}")
    else:
        print(report.table(queue.columns, queue.head(50)))
        print(f"({queue.total} in all; --csv PATH writes them all)")
    return 0


@report_app.command(name="html")
def report_html(
    *,
    out: Path = Path(".claimguard/reports"),
    alarm_months: Positive = 3,
    database_url: DatabaseUrl = None,
) -> int:
    """Write the self-contained HTML report and the CSV work queues into a folder.

    Parameters
    ----------
    out
        The folder to write into.
    alarm_months
        Months of underpaying the same code before a payer is flagged as a persistent underpayer.
    """
    from tasks.reports import build

    found = build.write(
        _runtime(database_url, existing=True).engine(),
        _runtime(database_url, existing=True).rule_set(),
        out,
        alarm_months=alarm_months,
    )
    print(found.text())
    for name, path in found.files.items():
        print(f"  {name}: {path}")
    return 0
