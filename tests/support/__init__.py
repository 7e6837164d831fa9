"""Support code for the tests and `make chaos`: never imported by flows/, tasks/ or rules/."""
