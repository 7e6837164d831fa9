"""Side effects: the claim database, file readers and writers, and thin Prefect tasks."""

from tasks import icd10_cache

# Every process that imports tasks (the CLI, flows, chunk workers, benchmarks) reads the
# ICD-10-CM table from the cache file rather than parsing the library's XML again.
icd10_cache.install()
