"""Revenue-leak reports: what step 5 found, summed, queued and drawn."""
