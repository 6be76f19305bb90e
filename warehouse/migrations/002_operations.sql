-- 002: operations. What the scheduled flows found unusual (alerts) and what the daily
-- maintenance checked (data_checks), for the dashboard and for SQL. Written by flows/
-- through warehouse/ops.py; depends only on 001's tables.

CREATE TABLE alerts (
    alert_key     VARCHAR PRIMARY KEY,
    kind          VARCHAR NOT NULL,
    entity_id     VARCHAR,
    source_id     VARCHAR,
    period_start  DATE,
    period_end    DATE,
    observed      DOUBLE,
    expected      DOUBLE,
    articles      INTEGER,
    outlets       INTEGER,
    message       VARCHAR NOT NULL,
    details       VARCHAR,
    raised_at     TIMESTAMP NOT NULL,
    run_id        VARCHAR,
    last_seen_at  TIMESTAMP NOT NULL,
    last_run_id   VARCHAR
);
COMMENT ON TABLE alerts IS 'Something unusual found after an ingest or by maintenance: a spike of attention to an entity, a silent outlet, a failing feed. One row per alert, however often it is detected again.';
COMMENT ON COLUMN alerts.alert_key IS 'Stable key (kind:subject:period), so detecting the same thing again updates last_seen_at instead of adding a row, and notifies once.';
COMMENT ON COLUMN alerts.kind IS 'spike (attention to an entity), silent_source (an outlet with no new articles for several times its usual interval) or feed_failing (an outlet whose feeds or sitemaps failed in consecutive runs).';
COMMENT ON COLUMN alerts.entity_id IS 'entities.entity_id for a spike; NULL otherwise.';
COMMENT ON COLUMN alerts.source_id IS 'sources.source_id for silent_source and feed_failing; for a spike, NULL (a spike needs several outlets).';
COMMENT ON COLUMN alerts.period_start IS 'spike: Monday of the week; silent_source: the last publication day seen; feed_failing: day of the first failing run.';
COMMENT ON COLUMN alerts.period_end IS 'spike: Sunday of the week; silent_source: the day silence was measured to; feed_failing: day of the latest failing run.';
COMMENT ON COLUMN alerts.observed IS 'spike: share of the week''s articles naming the entity; silent_source: days without a new article; feed_failing: consecutive failing runs.';
COMMENT ON COLUMN alerts.expected IS 'spike: the entity''s share over the baseline weeks; silent_source: the outlet''s usual days between publication days; feed_failing: runs needed to alert.';
COMMENT ON COLUMN alerts.articles IS 'spike: articles naming the entity that week; silent_source: articles the usual interval was measured on; NULL otherwise.';
COMMENT ON COLUMN alerts.outlets IS 'spike: distinct outlets naming the entity that week; NULL otherwise.';
COMMENT ON COLUMN alerts.message IS 'One line for a human (also the Prefect event''s message).';
COMMENT ON COLUMN alerts.details IS 'JSON object with the numbers behind the alert (the Prefect event''s payload).';
COMMENT ON COLUMN alerts.raised_at IS 'When the alert was first detected (UTC).';
COMMENT ON COLUMN alerts.run_id IS 'Run that first detected it (runs.run_id).';
COMMENT ON COLUMN alerts.last_seen_at IS 'When it was last detected (UTC).';
COMMENT ON COLUMN alerts.last_run_id IS 'Run that last detected it (runs.run_id).';

CREATE TABLE data_checks (
    run_id      VARCHAR NOT NULL,
    checked_at  TIMESTAMP NOT NULL,
    check_name  VARCHAR NOT NULL,
    source_id   VARCHAR,
    value       DOUBLE NOT NULL,
    threshold   DOUBLE NOT NULL,
    status      VARCHAR NOT NULL,
    detail      VARCHAR
);
COMMENT ON TABLE data_checks IS 'Data quality checks run by maintenance: one row per check, per outlet where the check is per outlet, per maintenance run.';
COMMENT ON COLUMN data_checks.run_id IS 'Maintenance run (runs.run_id).';
COMMENT ON COLUMN data_checks.checked_at IS 'When the check ran (UTC).';
COMMENT ON COLUMN data_checks.check_name IS 'future_dates (articles dated after tomorrow), missing_dates and missing_authors (share of an outlet''s articles without one), duplicate_urls (canonical URLs stored more than once).';
COMMENT ON COLUMN data_checks.source_id IS 'Outlet checked (sources.source_id); NULL for a check over the whole warehouse.';
COMMENT ON COLUMN data_checks.value IS 'Measured value: a count for future_dates and duplicate_urls, a share between 0 and 1 for missing_dates and missing_authors.';
COMMENT ON COLUMN data_checks.threshold IS 'Largest value that passes.';
COMMENT ON COLUMN data_checks.status IS 'ok, warn (a share above its threshold) or fail (a count that must be zero is not).';
COMMENT ON COLUMN data_checks.detail IS 'Human-readable detail, e.g. example URLs.';
