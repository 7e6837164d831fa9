"""A seeded synthetic data generator with planted defects and their ground truth."""
