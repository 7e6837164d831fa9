"""A denial's remark codes are explained from the RARC list on file."""

from __future__ import annotations

from rules.engine import evaluate
from rules.loader import default_rule_set
from rules.outcomes import Step
from tests import contexts


def test_a_denial_carries_what_its_remark_codes_say():
    remit = {
        "claim_id": "CL-1", "status_code": "4", "charge": "95.00", "paid": "0.00",
        "lines": [{"line_number": 1, "procedure_code": "90853", "charge": "95.00", "paid": "0.00",
                   "remark_codes": ["MA18", "ZZ99"],
                   "adjustments": [{"group": "CO", "reason": "197", "amount": "95.00"}]}],
    }  # fmt: skip
    ctx = contexts.build(contexts.apply(contexts.base(), {"remittance": remit}))
    result = evaluate(default_rule_set(), ctx, Step.POST_PAYMENT_AUDIT)
    (denial,) = [f for f in result.findings if f.rule_id == "DEF-AUD-004"]
    remarks = denial.evidence["remarks"]
    assert list(remarks) == ["MA18"]  # a code not on the list is not explained
    assert "supplemental insurer" in remarks["MA18"]
