"""The claim database: models, sessions, repository functions and migrations."""
