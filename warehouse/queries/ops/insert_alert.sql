-- A new alert.
INSERT INTO alerts (alert_key, kind, entity_id, source_id, period_start, period_end, observed,
                    expected, articles, outlets, message, details, raised_at, run_id,
                    last_seen_at, last_run_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
