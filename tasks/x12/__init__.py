"""Reading and writing X12 837P claims and 835 remittances."""
