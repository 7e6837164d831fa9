"""837P and 835 files from the generator: valid, a faithful round trip, and posted exactly once."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from rules import records as r
from rules.outcomes import Step
from tasks import pipeline
from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.inbox import load_paths
from tasks.intake.reader import iter_raw, parse
from tasks.remit.post import post_file
from tasks.runtime import Runtime
from tasks.synthetic.generator import GeneratorConfig, generate
from tasks.synthetic.x12gen import write_claims, write_remittances
from tasks.x12.claims837 import claims
from tasks.x12.intake837 import load_directory, load_set_facts
from tasks.x12.mapping import map_claim
from tasks.x12.reader import read

SEED = 31


@pytest.fixture(scope="module")
def packets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 claims over nine weeks as JSON packets (claims included), with 835s paying the
    clean ones, one payer underpaying 90853 month after month."""
    out = tmp_path_factory.mktemp("gen") / "json"
    generate(GeneratorConfig(seed=SEED, claims=400, start=dt.date(2026, 8, 3), days=63), out)
    write_remittances(out, seed=SEED, underpayer=("summit_commercial", "90853"))
    return out


@pytest.fixture(scope="module")
def x12_folder(packets: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same data with the claims moved into 837P files."""
    out = tmp_path_factory.mktemp("gen") / "x12"
    shutil.copytree(packets, out)
    write_claims(out, seed=SEED)
    return out


def _json_claims(folder: Path) -> dict[str, r.Claim]:
    found = {}
    for path in sorted(folder.glob("*.jsonl")):
        for parsed in map(parse, iter_raw(path)):
            if isinstance(parsed.record, r.Claim):
                found[parsed.record.claim_id] = parsed.record
    return found


class TestGeneratedFiles:
    def test_every_generated_file_passes_pyx12(self, x12_folder):
        files = sorted(x12_folder.glob("*.83[57]"))
        assert any(f.suffix == ".837" for f in files) and any(f.suffix == ".835" for f in files)
        for path in files:
            assert all(tx.valid for tx in read(path.read_bytes()).sets), path.name

    def test_claims_leave_the_json_packets(self, x12_folder):
        assert _json_claims(x12_folder) == {}


class TestRoundTrip:
    def test_an_837p_read_back_gives_the_same_claims(self, packets, x12_folder, tmp_path):
        """Every claim written to 837P reads back equal to the JSON claim it came from,
        its session found again from the patient, the date and the rendering provider."""
        from tasks.db.session import open_database

        engine = open_database(f"sqlite:///{tmp_path / 'rt.db'}")
        load_paths(engine, sorted(x12_folder.glob("*.jsonl")))  # master data, sessions, notes
        directory = load_directory(engine)
        originals = _json_claims(packets)
        read_back: dict[str, r.Claim] = {}
        for path in sorted(x12_folder.glob("*.837")):
            for tx in read(path.read_bytes()).sets:
                found = list(claims(tx))
                load_set_facts(engine, directory, found)
                for claim in found:
                    mapped = map_claim(claim, directory)
                    assert not mapped.reasons, claim.control_number
                    value = mapped.records[-1]
                    read_back[value["claim_id"]] = r.Claim.model_validate(value)
        assert read_back.keys() == originals.keys()
        different = [cid for cid, claim in read_back.items() if claim != originals[cid]]
        assert different == []

    def test_an_837p_finds_members_and_sessions_through_indexes(
        self, x12_folder, x12_documents, sqlite_db
    ):
        """Each set looks up only its own members' coverage and sessions: reading the whole
        coverage table for every file made 837P intake grow with every patient on file."""
        load_paths(sqlite_db, sorted(x12_folder.glob("*.jsonl")))
        files = sorted(x12_folder.glob("*.837"))
        assert (
            _growing_tables_scanned(
                sqlite_db, lambda: load_paths(sqlite_db, files, documents=x12_documents)
            )
            == set()
        )

    def test_loading_the_837p_after_the_json_claims_changes_nothing(
        self, packets, x12_folder, x12_documents, sqlite_db
    ):
        """The same claims from the JSON packets and then from the 837P: the 837P is unchanged."""
        load_paths(sqlite_db, sorted(packets.glob("*.jsonl")))
        reports = load_paths(sqlite_db, sorted(x12_folder.glob("*.837")), documents=x12_documents)
        assert all(rep.reconciles for rep in reports)
        assert sum(rep.counts["unchanged"] for rep in reports) == len(_json_claims(packets))
        assert sum(rep.quarantined for rep in reports) == 0


class TestPosting:
    def test_a_resent_payment_is_a_duplicate_and_changes_nothing(
        self, x12_folder, x12_documents, tmp_path
    ):
        from tasks.db.session import open_database

        engine = open_database(f"sqlite:///{tmp_path / 'dup.db'}")
        load_paths(engine, [x12_folder], documents=x12_documents)
        original = next(p for p in sorted(x12_folder.glob("remit-*.835")))
        first = post_file(engine, original, x12_documents)
        counts = _counts(engine)
        again = post_file(engine, original, x12_documents)
        assert first.posted >= 1 and first.duplicates == 0
        assert (again.posted, again.duplicates) == (0, first.posted)
        assert again.reconciles and _counts(engine) == counts

    def test_a_payment_written_in_slices_is_posted_as_it_would_be_whole(
        self, x12_folder, x12_documents, tmp_path, monkeypatch
    ):
        """Posting streams a payment's claims a slice at a time (a month of one large payer's
        claims is one set); each claim and line is matched and written as with no slices."""
        from tasks.db.session import open_database
        from tasks.remit import post

        posted = {}
        for size in (3, 1_000_000):
            monkeypatch.setattr(post, "SLICE", size)
            engine = open_database(f"sqlite:///{tmp_path / f'slices-{size}.db'}")
            load_paths(engine, [x12_folder], documents=x12_documents)
            reports = [
                post_file(engine, p, x12_documents) for p in sorted(x12_folder.glob("remit-*.835"))
            ]
            tallies = [(r.posted, r.claims, r.lines, r.unbalanced) for r in reports]
            posted[size] = (_posted_rows(engine), tallies)
        claims, lines, payments = posted[3][0]
        assert max(payments.values()) > 3 * 10  # the largest payment took ten slices and more
        assert any(row[0] for row in claims.values()) and any(row[0] for row in lines.values())
        assert posted[3] == posted[1_000_000]

    def test_matching_a_remittance_reads_claims_through_indexes(
        self, x12_folder, x12_documents, tmp_path
    ):
        """Posting looks claims up by id and by member; a scan of the claim or coverage table
        in a batch's lookup would make posting grow as N squared (it did, with an OR)."""
        from tasks.db.session import open_database

        engine = open_database(f"sqlite:///{tmp_path / 'plan.db'}")
        load_paths(engine, [x12_folder], documents=x12_documents)
        remittances = sorted(x12_folder.glob("remit-*.835"))
        assert (
            _growing_tables_scanned(
                engine, lambda: [post_file(engine, p, x12_documents) for p in remittances]
            )
            == set()
        )

    def test_a_payment_reads_its_members_claims_on_its_dates_only(
        self, x12_folder, x12_documents, tmp_path
    ):
        """A month's payment matches by member among the claims of the dates it reports,
        not the members' whole history (which grew each payment with the claims on file)."""
        from tasks.db.session import open_database
        from tasks.remit import post
        from tasks.x12.remit835 import payment

        engine = open_database(f"sqlite:///{tmp_path / 'dates.db'}")
        load_paths(engine, [x12_folder], documents=x12_documents)
        path = next(p for p in sorted(x12_folder.glob("remit-*.835")))
        (tx,) = read(path.read_bytes()).sets[:1]
        paid = payment(tx)
        dates = {c.service_date or post._first_date(c) for c in paid.claims}
        members = {c.member_id for c in paid.claims}
        with session_scope(engine) as session:
            candidates = post._candidates(session, post._survey(paid, tx).claims)
            history = session.execute(
                select(m.Claim.service_date)
                .join(m.Coverage, m.Coverage.coverage_id == m.Claim.coverage_id)
                .where(m.Coverage.member_id.in_(members))
            ).scalars()
            elsewhere = {d for d in history if d not in dates}
            ours = set(session.scalars(select(m.Claim.claim_id)))
        assert None not in dates and elsewhere  # the members have claims on other dates
        read_dates = {c.service_date for near in candidates.values() for c in near}
        assert read_dates <= dates
        for clp in paid.claims:  # a CLP that echoes one of our claim ids has it to match
            if clp.control_number in ours:
                assert clp.control_number in {c.claim_id for c in candidates[clp.position]}

    def test_auditing_some_paid_claims_leaves_the_others_awaiting_their_audit(
        self, x12_folder, x12_documents, tmp_path
    ):
        """Whether a claim awaits its post-payment audit is a question about its own audits:
        one claim audited after every payment was posted does not take the others out."""
        from rules.loader import default_rule_set
        from tasks.checking import check_chunk
        from tasks.db.selection import awaiting_payment_audit
        from tasks.db.session import open_database

        engine = open_database(f"sqlite:///{tmp_path / 'awaiting.db'}")
        load_paths(engine, [x12_folder], documents=x12_documents)
        for path in sorted(x12_folder.glob("*.835")):
            post_file(engine, path, x12_documents)
        with session_scope(engine) as session:
            paid = awaiting_payment_audit(session)
        assert len(paid) > 10
        audited, others = paid[::2], paid[1::2]
        check_chunk(engine, audited, [Step.POST_PAYMENT_AUDIT], default_rule_set(), force=True)
        with session_scope(engine) as session:
            assert awaiting_payment_audit(session) == others

    def test_the_audit_reads_less_than_steps_1_to_4_and_decides_the_same(
        self, x12_folder, x12_documents, tmp_path
    ):
        """Step 5's contexts are read without the session, notes, authorizations and the
        patient's history, which only steps 1-4 read: every paid claim's audit comes out
        the same as from the whole context."""
        from rules.engine import evaluate
        from rules.loader import default_rule_set
        from tasks.db.contexts import ContextLoader
        from tasks.db.selection import awaiting_payment_audit
        from tasks.db.session import open_database

        engine = open_database(f"sqlite:///{tmp_path / 'narrow.db'}")
        load_paths(engine, [x12_folder], documents=x12_documents)
        for path in sorted(x12_folder.glob("*.835")):
            post_file(engine, path, x12_documents)
        rules = default_rule_set()
        with session_scope(engine) as session:
            paid = awaiting_payment_audit(session)
            whole = ContextLoader(session).load(paid)
            narrow = ContextLoader(session).load(paid, for_audit=True)
        assert len(paid) > 10
        assert all(ctx.history for ctx in whole) and not any(ctx.history for ctx in narrow)
        assert any(ctx.note for ctx in whole) and not any(ctx.note for ctx in narrow)
        step = Step.POST_PAYMENT_AUDIT
        assert [evaluate(rules, ctx, step) for ctx in narrow] == [
            evaluate(rules, ctx, step) for ctx in whole
        ]
        assert any(evaluate(rules, ctx, step).findings for ctx in narrow)

    def test_the_whole_job_audits_every_paid_claim_across_many_chunks(
        self, x12_folder, x12_documents, tmp_path
    ):
        """Step 5 reads its claims a page at a time while earlier pages are being audited:
        every paid claim is audited once, whatever the page size."""
        from tasks.db.session import open_database

        engine = open_database(f"sqlite:///{tmp_path / 'pages.db'}")
        run = pipeline.run(
            Runtime.of_engine(engine), x12_folder, workers=2, chunk_size=40, documents=x12_documents
        )
        with session_scope(engine) as session:
            paid = set(
                session.scalars(
                    select(m.RemittanceClaim.claim_id).where(
                        m.RemittanceClaim.claim_id.is_not(None)
                    )
                )
            )
            audits = session.execute(
                select(m.ClaimCheckpoint.claim_id, func.count())
                .where(m.ClaimCheckpoint.step == Step.POST_PAYMENT_AUDIT)
                .group_by(m.ClaimCheckpoint.claim_id)
            ).all()
        assert len(paid) > 3 * 40  # more pages than the workers take at the start
        assert run.claims_audited == len(paid)
        assert dict(audits) == dict.fromkeys(paid, 1)

    def test_reversals_net_out_and_every_planted_problem_is_found(self, x12_folder, tmp_path):
        """The whole job on the generated files, scored against the payment ground truth
        (with two processes: the X12 files are read ahead while earlier ones load)."""
        from rules.loader import default_rule_set
        from tasks.db.session import open_database
        from tasks.synthetic import remit_scoring

        engine = open_database(f"sqlite:///{tmp_path / 'all.db'}")
        run = pipeline.run(Runtime.of_engine(engine), x12_folder, workers=2)
        assert all(rep.reconciles for rep in run.loaded) and all(p.reconciles for p in run.posted)
        truth = remit_scoring.read_truth(x12_folder / "ground-truth" / "remittance_truth.csv")
        result = remit_scoring.score(engine, default_rule_set(), truth)
        print("\n" + result.table())
        assert result.false_flags == []
        assert dict(result.found) == dict(result.planted)
        for problem in (
            "reversal",
            "underpaid",
            "truncated_control_number",
            "persistent_underpayment",
            "denied",
            "split_payment",  # MA15 parts in two 835s: both parts' payments audited together
        ):
            assert result.planted[problem] > 0, problem


def _counts(engine: Engine) -> tuple[int, ...]:
    with session_scope(engine) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(t))
            for t in (
                m.RemittancePayment,
                m.RemittanceClaim,
                m.RemittanceLine,
                m.ProviderAdjustment,
            )
        )


def _posted_rows(engine: Engine) -> tuple[dict[Any, Any], dict[Any, Any], dict[str, int]]:
    """Each remitted claim and line as matched and written, keyed by payment and position."""
    C, L, P = m.RemittanceClaim, m.RemittanceLine, m.RemittancePayment
    with session_scope(engine) as session:
        claims = {
            (trace, pos): (cid, method, reason, balanced, paid)
            for trace, pos, cid, method, reason, balanced, paid in session.execute(
                select(P.trace_number, C.position, C.claim_id, C.match_method,
                       C.unmatched_reason, C.balanced, C.paid).join(P, P.id == C.payment_id)
            )
        }  # fmt: skip
        lines = {
            (trace, claim_pos, pos): (number, method, balanced, paid)
            for trace, claim_pos, pos, number, method, balanced, paid in session.execute(
                select(P.trace_number, C.position, L.position, L.line_number, L.match_method,
                       L.balanced, L.paid)
                .join(C, C.id == L.remittance_claim_id).join(P, P.id == C.payment_id)
            )
        }  # fmt: skip
        payments = {
            trace: count
            for trace, count in session.execute(
                select(P.trace_number, func.count(C.id))
                .join(C, C.payment_id == P.id)
                .group_by(P.trace_number)
            )
        }
    return claims, lines, payments


def test_the_whole_job_scores_the_same_on_sqlite_and_postgresql(x12_folder, x12_documents, db):
    """Posting and matching write the same answers on both databases (PostgreSQL enforces
    column sizes SQLite does not)."""
    from rules.loader import default_rule_set
    from tasks.synthetic import remit_scoring

    run = pipeline.run(Runtime.of_engine(db), x12_folder, documents=x12_documents)
    assert all(p.reconciles and p.quarantined == 0 for p in run.posted)
    truth = remit_scoring.read_truth(x12_folder / "ground-truth" / "remittance_truth.csv")
    result = remit_scoring.score(db, default_rule_set(), truth)
    assert result.false_flags == [] and dict(result.found) == dict(result.planted)


# Tables that grow with every claim or patient: a batch must never read one of them whole.
GROWING = {
    "claim",
    "claim_line",
    "coverage",
    "patient",
    "authorization",
    "group_session",
    "session_participant",
    "session_note",
    "remittance_claim",
    "remittance_line",
}


def _growing_tables_scanned(engine: Engine, action: Callable[[], object]) -> set[tuple[str, str]]:
    """Run `action`, then ask SQLite how it answered each SELECT: the growing tables it scanned."""
    statements: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, _context, executemany):  # type: ignore[no-untyped-def]
        # The prefix search (LIKE) runs only for a CLP that matched neither id nor member.
        if not executemany and statement.lstrip().startswith("SELECT") and "LIKE" not in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert statements, "nothing was read"
    scanned = set()
    with engine.connect() as connection:
        for statement, parameters in statements:
            for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters):
                words = row[3].split()
                if words[0] == "SCAN" and words[1].strip('"') in GROWING:
                    scanned.add((words[1], statement.split("WHERE")[-1][:80]))
    return scanned
