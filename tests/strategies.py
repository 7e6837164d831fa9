"""Hypothesis strategies: claim contexts made from the clean base by random, valid changes."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests import contexts

CHANGES: list[dict[str, Any]] = [
    {"coverage.effective_to": "2026-10-31"},
    {"claim.prior_auth_number": "<delete>"},
    {"authorizations.0.units_used": 24},
    {"session.session_type": "psychoeducation"},
    {"session.session_type": "multiple_family_group"},
    {"session.roster": [f"PT-{i}" for i in range(1, 14)]},
    {"note.elements.treatment_plan_goal": "<delete>"},
    {"note.text": "Spoke with Tobias Brannigan."},
    {"claim.diagnoses": ["Z63.0", "F33.1"]},
    {
        "session.modality": "video",
        "session.patient_location": "home",
        "claim.place_of_service": "02",
    },
    {
        "session.modality": "audio_only",
        "session.patient_location": "other",
        "claim.place_of_service": "02",
    },
    {"history": [{"claim_id": "CL-0", "claim_date": "2026-11-02", "service_date": "2026-11-02"}]},
    {
        "note.elements.complexity_factor": "sentinel_event",
        "note.elements.complexity_detail": "Report made.",
    },
    {"rendering.credential": "LMFT"},
]
EXTRA_LINES = st.fixed_dictionaries(
    {
        "procedure_code": st.sampled_from(["90785", "90832", "90834", "90839", "90853", "90857"]),
        "modifiers": st.lists(
            st.sampled_from(["XE", "59", "95", "93", "GT", "HQ", "FQ"]), max_size=3, unique=True
        ),
        "units": st.sampled_from(["1", "2"]),
    }
)


@st.composite
def context_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """A base context for a random payer with a random set of changes and extra lines."""
    ctx = contexts.base(draw(st.sampled_from(sorted(contexts.KINDS))))
    for change in draw(st.lists(st.sampled_from(CHANGES), max_size=4)):
        ctx = contexts.apply(ctx, change)
    for extra in draw(st.lists(EXTRA_LINES, max_size=3)):
        ctx = contexts.apply(ctx, {f"claim.lines.{len(ctx['claim']['lines'])}": extra})
    return ctx
