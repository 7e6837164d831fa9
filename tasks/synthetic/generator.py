"""Write a synthetic day (or days) of claim packets and the ground truth of what was planted.

Output, in `out`:
  00-master-data.jsonl     payers, plans, locations, providers
  packet-YYYY-MM-DD.jsonl  per service date: new patients (with coverage and
                           authorizations), then each group meeting's session, notes, claims
  ground-truth/ground_truth.csv   claim_id, step, defect, detail: one row per planted defect
  ground-truth/quarantine.csv     file, locator, kind, field: each broken record appended
  ground-truth/manifest.json      the parameters and the counts

Groups meet weekly on a fixed weekday with a stable membership, as therapy groups do, so
a patient is never billed twice in a day or more than once a week by a clean claim.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from tasks.synthetic import catalog as cat
from tasks.synthetic.defects import DEFAULT_RATES, STEP_OF, Defect
from tasks.synthetic.malformed import malformed_lines
from tasks.synthetic.sessions import Group, MeetingPlan
from tasks.synthetic.world import (
    PatientInfo,
    master_records,
    patient,
    patient_records,
    providers,
    rng_for,
)

DEFAULT_START = dt.date(2026, 11, 2)
AVERAGE_CLAIMS_PER_MEETING = 5.5  # members 3..10 at 90 % attendance, rounded down for slack
START_TIMES = (
    dt.time(9, 0),
    dt.time(10, 30),
    dt.time(13, 0),
    dt.time(14, 30),
    dt.time(16, 0),
    dt.time(18, 0),
)


@dataclass(frozen=True)
class GeneratorConfig:
    seed: int
    claims: int
    start: dt.date = DEFAULT_START
    days: int = 1
    rates: dict[Defect, float] = field(default_factory=lambda: dict(DEFAULT_RATES))
    malformed: int = 0  # broken records appended to the last packet file


@dataclass
class Manifest:
    seed: int
    claims: int
    start: str
    days: int
    files: list[str] = field(default_factory=list)
    records: int = 0
    malformed: int = 0
    defects: Counter[str] = field(default_factory=Counter)
    rates: dict[str, float] = field(default_factory=dict)


def generate(config: GeneratorConfig, out: Path) -> Manifest:
    """Generate `config.claims` claims into `out`, streaming to disk as it goes."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(
        config.seed,
        config.claims,
        config.start.isoformat(),
        config.days,
        rates={d.value: r for d, r in config.rates.items()},
    )
    with _Writer(out, manifest) as writer:
        writer.write("00-master-data.jsonl", master_records(config.seed))
        emitted = 0
        last_claim: dict[str, Any] | None = None
        introduced: set[str] = set()
        for group_index, week, date, first in _schedule(config):
            group = _group(config.seed, group_index)
            if first:
                for person in group.members:
                    writer.write(
                        _day_file(date), patient_records(config.seed, person, config.start)
                    )
            plan = MeetingPlan(
                config.seed,
                group,
                week,
                date,
                config.rates,
                config.claims - emitted,
                config.start,
                introduced,
            )
            meeting = plan.build()
            writer.write(_day_file(date), meeting.records)
            writer.truth(meeting.truth)
            last_claim = next(
                (r for r in reversed(meeting.records) if r["type"] == "claim"), last_claim
            )
            emitted += meeting.claims
            if emitted >= config.claims:
                break
        if config.malformed and last_claim is not None:
            writer.malformed(malformed_lines(last_claim, config.malformed))
    (out / "ground-truth" / "manifest.json").write_text(
        json.dumps(manifest.__dict__, indent=2, default=str) + "\n"
    )
    return manifest


def _schedule(config: GeneratorConfig) -> Iterator[tuple[int, int, dt.date, bool]]:
    """Yield (group, week, date, first meeting?) in date order until the claims are made."""
    dates = [config.start + dt.timedelta(days=d) for d in range(config.days)]
    weekdays = sorted({d.weekday() for d in dates if d.weekday() < 5}) or [dates[0].weekday()]
    weeks = math.ceil(config.days / 7)
    groups = max(1, math.ceil(config.claims / (AVERAGE_CLAIMS_PER_MEETING * weeks)))
    offset = 0
    while True:  # a further round of new groups if attendance ran short of the target
        seen: set[int] = set()
        for date in dates:
            if date.weekday() not in weekdays:
                continue
            week = (date - config.start).days // 7
            for g in range(offset, offset + groups):
                if weekdays[g % len(weekdays)] == date.weekday():
                    yield g, week, date, g not in seen
                    seen.add(g)
        offset += groups


def _group(seed: int, index: int) -> Group:
    rng = rng_for(seed, "group", index)
    size = rng.randint(3, 10)
    location = rng.choice(cat.LOCATIONS)
    people = [patient(seed, f"PT-{seed}-{index:06d}-{k:02d}") for k in range(size + 5)]
    modality = rng.choices(["in_person", "video", "audio_only"], weights=[70, 25, 5])[0]
    family = rng.random() < FAMILY_GROUP_RATE
    if family:
        people, modality = _families(people), "in_person"
        size = min(size, len(people))
        family = size >= 4
    return Group(
        index=index,
        location_id=location[0],
        facilitator=rng.choice(providers(seed)),
        members=tuple(people[:size]),
        reserves=tuple(people[size:]),
        start=rng.choice(START_TIMES),
        minutes=rng.choice([60, 75, 90]),
        modality=modality,
        patient_location=None
        if modality == "in_person"
        else rng.choice(["home", "home", "home", "other"]),
        focus=rng.choice(cat.FOCUS_TOPICS),
        intervention=rng.choice(cat.INTERVENTIONS),
        family=family,
    )


FAMILY_GROUP_RATE = 0.04


def _families(people: list[PatientInfo]) -> list[PatientInfo]:
    """Members in pairs of relatives (the second takes the first's surname), from those whose
    plan asks no authorization for the family code: a multiple-family group."""
    fit = [p for p in people if not p.needs_auth and not p.needs_referral]
    fit = fit[: len(fit) // 2 * 2]
    return [replace(p, last_name=fit[i - 1].last_name) if i % 2 else p for i, p in enumerate(fit)]


def _day_file(date: dt.date) -> str:
    return f"packet-{date.isoformat()}.jsonl"


class _Writer:
    """Keeps one packet file open at a time (dates only move forward) plus the truth file."""

    def __init__(self, out: Path, manifest: Manifest) -> None:
        self.out = out
        self.manifest = manifest
        self.name: str | None = None
        self.handle: IO[str] | None = None

    def __enter__(self) -> _Writer:
        (self.out / "ground-truth").mkdir(exist_ok=True)
        self.truth_handle = (self.out / "ground-truth" / "ground_truth.csv").open("w", newline="")
        self.truth_writer = csv.writer(self.truth_handle)
        self.truth_writer.writerow(["claim_id", "step", "defect", "detail"])
        return self

    def __exit__(self, *exc: object) -> None:
        if self.handle:
            self.handle.close()
        self.truth_handle.close()

    def write(self, name: str, records: list[dict[str, Any]]) -> None:
        if name != self.name:
            if self.handle:
                self.handle.close()
            mode = "a" if name in self.manifest.files else "w"
            self.handle = (self.out / name).open(mode)
            self.name = name
            if name not in self.manifest.files:
                self.manifest.files.append(name)
        assert self.handle is not None
        for record in records:
            self.handle.write(
                json.dumps({"format": "claimguard.packet/1", **record}, separators=(",", ":"))
                + "\n"
            )
        self.manifest.records += len(records)

    def malformed(self, lines: list[tuple[str, str, bytes]]) -> None:
        """Append broken records to the current file, and list where each is."""
        assert self.handle is not None and self.name is not None
        name, self.name = self.name, None  # a later write to this file reopens it for appending
        self.handle.close()
        self.handle = None
        with (self.out / name).open("rb") as handle:
            number = sum(1 for _ in handle)
        with (
            (self.out / "ground-truth" / "quarantine.csv").open("w", newline="") as truth,
            (self.out / name).open("ab") as raw,  # broken bytes, not text
        ):
            rows = csv.writer(truth)
            rows.writerow(["file", "locator", "kind", "field"])
            for offset, (kind, field_name, data) in enumerate(lines, start=1):
                raw.write(data + b"\n")
                rows.writerow([name, f"line {number + offset}", kind, field_name])
        self.manifest.malformed = len(lines)

    def truth(self, rows: list[tuple[str, Defect, str]]) -> None:
        for claim_id, defect, detail in rows:
            self.truth_writer.writerow([claim_id, STEP_OF[defect].value, defect.value, detail])
            self.manifest.defects[defect.value] += 1
