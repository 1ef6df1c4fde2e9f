"""Publication of the golden tables: contract, build/check, versions and rollback, Parquet export."""
