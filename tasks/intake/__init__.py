"""Intake of claim packets: read, validate, load or quarantine; counts always reconcile."""
