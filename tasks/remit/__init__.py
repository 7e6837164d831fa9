"""Posting 835 remittances: payments, matching, and the unmatched queue."""
