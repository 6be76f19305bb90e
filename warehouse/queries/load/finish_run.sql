-- A run's end and counts.
UPDATE runs SET finished_at = ?, status = ?, discovered = ?, new = ?, fetched = ?, failed = ?,
                loaded = ?, seconds = ?, message = ?
WHERE run_id = ?
