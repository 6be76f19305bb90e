-- 008: URLs that keep failing are parked, and each run says what politeness held back.
-- A URL that fails with a temporary outcome (timeout, network, http_error, worker_crashed:
-- anything not permanent, see fetch_log.outcome) in settings.park_after_runs runs in a row
-- (default 3) is not handed to the fetcher for a day, then 2, 4, 8 ... days after each
-- further failed try (at most settings.park_max_days, default 64); a success or a
-- permanent outcome deletes its row. Written by warehouse/load.py in each batch's load
-- transaction; `blocwatch unpark` deletes rows by hand.

CREATE TABLE url_parking (
    url             VARCHAR PRIMARY KEY,
    source_id       VARCHAR NOT NULL,
    failed_runs     INTEGER NOT NULL,
    first_failed_at TIMESTAMP NOT NULL,
    last_failed_at  TIMESTAMP NOT NULL,
    last_run_id     VARCHAR NOT NULL,
    last_outcome    VARCHAR NOT NULL,
    last_error      VARCHAR,
    parked_until    TIMESTAMP,
    updated_at      TIMESTAMP NOT NULL
);
COMMENT ON TABLE url_parking IS 'Article URLs whose latest tries failed with a temporary outcome, one row per URL: the failure streak, and until when the URL is parked (not fetched). Parked URLs are those with parked_until in the future; a row with parked_until NULL is a streak not yet long enough to park, and one with parked_until in the past is due for a retry.';
COMMENT ON COLUMN url_parking.url IS 'URL as discovered (fetch_log.url).';
COMMENT ON COLUMN url_parking.source_id IS 'Outlet of the URL (sources.source_id).';
COMMENT ON COLUMN url_parking.failed_runs IS 'Runs in a row whose try of the URL failed with a temporary outcome (runs that did not try it, because it was parked or deferred, neither count nor break the streak).';
COMMENT ON COLUMN url_parking.first_failed_at IS 'When the first failure of the streak happened (UTC).';
COMMENT ON COLUMN url_parking.last_failed_at IS 'When the latest failure happened (UTC).';
COMMENT ON COLUMN url_parking.last_run_id IS 'Run of the latest failure (runs.run_id).';
COMMENT ON COLUMN url_parking.last_outcome IS 'fetch_log.outcome of the latest failure: timeout, network, http_error or worker_crashed.';
COMMENT ON COLUMN url_parking.last_error IS 'fetch_log.error of the latest failure, with the streak noted.';
COMMENT ON COLUMN url_parking.parked_until IS 'No run fetches the URL before this time (UTC): 1 day after the failure that reached settings.park_after_runs, doubling after each further failure, at most settings.park_max_days. NULL: not parked.';
COMMENT ON COLUMN url_parking.updated_at IS 'When the row was last written (UTC).';

-- Counts only: the URLs behind them are not fetch_log rows (they were not tried).
ALTER TABLE run_sources ADD COLUMN deferred INTEGER;
ALTER TABLE run_sources ADD COLUMN parked INTEGER;
COMMENT ON COLUMN run_sources.deferred IS 'New URLs not fetched because the outlet''s host had spent its time budget for the run (politeness.host_budget_s); the next run tries them. NULL for runs before migration 008.';
COMMENT ON COLUMN run_sources.parked IS 'URLs of the outlet parked when the run started (url_parking.parked_until later than then), which the run left alone. NULL for runs before migration 008.';
