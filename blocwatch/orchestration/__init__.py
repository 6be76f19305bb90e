"""Running the stages in plain Python: the crawler (discovery for ingest and backfill), the
batched fetch → process, the executors that extract on every core or a Dask cluster, and
re-extraction from the raw archive. No Prefect here: flows/ wraps these in tasks; tests
and the benchmark call them directly."""
