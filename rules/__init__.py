"""The pure core of ClaimGuard: domain models, code sets and (later) the rule engine.

Nothing in this package imports Prefect or SQLAlchemy, touches a database or reads
the environment; that keeps the billing judgement fast to test and easy to reason about.
"""
