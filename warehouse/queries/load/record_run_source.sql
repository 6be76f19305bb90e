-- One outlet's counts for a run (run_sources).
INSERT INTO run_sources (run_id, source_id, feeds_ok, feeds_failed, discovered, new, fetched,
                         failed, loaded, error, deferred, parked)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
