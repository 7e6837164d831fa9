"""Reference files (CMS fee schedule, NCCI, MUE, localities; X12 code lists) read in their
published layouts and turned into the tables in rules/tables/."""
