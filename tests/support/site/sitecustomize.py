"""Fault injection in every process of a run whose PYTHONPATH names this folder (see
tests/support/faults.py); nothing happens unless CLAIMGUARD_FAULTS is set."""

import os

if os.environ.get("CLAIMGUARD_FAULTS"):
    from tests.support import faults

    faults.install(
        os.environ["CLAIMGUARD_FAULTS"], seed=os.environ.get("CLAIMGUARD_FAULT_SEED", "0")
    )
