"""ClaimGuard's Prefect flows, and the command that runs them."""
