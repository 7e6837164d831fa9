"""Which faults in an 835 hold its money back, and which are posted and said.

A payment is money in the bank: an 835 whose amounts are readable and balance is posted even
when it breaks implementation-guide rules that do not touch them (an address, a contact, a
code, the bank details or the effective date in BPR); each such fault is kept as a warning
on the payment. What makes the money untrustworthy refuses the set: a fault in an amount,
a trace number or a date of service, a segment out of place, a loop or count the guide
does not allow, or a broken envelope. docs/x12.md has the table; tests/tasks/x12 tests
each row.
"""

from __future__ import annotations

import re
from enum import StrEnum

from tasks.x12.reader import X12Error


class Money(StrEnum):
    REFUSE = "refuse the set"
    WARN = "post with a warning"


# Segments whose values are the money, who it is for and when the service was: BPR's
# first four elements (handling, amount, credit or debit, method), the trace number, each
# claim and line's amounts and adjustments, the provider-level adjustments.
_MONEY_SEGMENTS = frozenset({"BPR", "TRN", "CLP", "SVC", "CAS", "PLB", "ST", "SE", "LX"})
_BPR_MONEY = frozenset({"BPR01", "BPR02", "BPR03", "BPR04"})
# Dates of service: claim statement period (232, 233) and the line's (472, 150, 151).
SERVICE_DATES = frozenset({"232", "233", "472", "150", "151"})
# Loops whose absence leaves the money readable: the payer is also named by TRN03, and
# the payee is whoever the file was sent to.
_OPTIONAL_LOOPS = frozenset({"1000A", "1000B"})
_LOOP_ID = re.compile(r"\d{4}[A-Z]?")


def remit_fault(error: X12Error, *, date_qualifier: str = "") -> Money:
    """What an 835 set's `error` does to its payment; `date_qualifier` is DTM01 when the
    error is in a DTM."""
    if error.segment in ("ISA", "GS", "GE", "IEA", "(unrecognised)"):
        return Money.REFUSE
    if error.element:
        return _element_fault(error, date_qualifier)
    if error.code == "3":  # a required segment or loop missing: which one?
        return _missing(error)
    if error.code == "5" and error.segment not in _MONEY_SEGMENTS:
        return Money.WARN  # a non-money segment repeated more often than allowed
    return Money.REFUSE  # out of place, unrecognised, a loop repeated: the structure is damaged


def _element_fault(error: X12Error, date_qualifier: str) -> Money:
    segment, element = error.segment, error.element.split("-")[0]
    if segment == "BPR":
        return Money.REFUSE if element in _BPR_MONEY else Money.WARN
    if segment in _MONEY_SEGMENTS:
        return Money.REFUSE
    if segment == "DTM" and date_qualifier in SERVICE_DATES:
        return Money.REFUSE
    if segment == "AMT":
        return Money.REFUSE  # a reported amount that cannot be read is not posted as one
    return Money.WARN


def _missing(error: X12Error) -> Money:
    missing = error.plain.missing
    if _LOOP_ID.fullmatch(missing):
        return Money.WARN if missing in _OPTIONAL_LOOPS else Money.REFUSE
    return Money.REFUSE if not missing or missing in _MONEY_SEGMENTS else Money.WARN
