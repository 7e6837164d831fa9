"""Side effects: the claim database, file readers and writers, and thin Prefect tasks."""
