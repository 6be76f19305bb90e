-- A topic from topics.yaml, active; its counts and query_hash stay (count_topics compares
-- the hash of the compiled query to decide whether to count it again).
INSERT INTO topics (topic_id, label, query, group_name, notes, active, query_hash,
                    counted_through, updated_at)
VALUES (?, ?, ?, ?, ?, true, NULL, 0, now()::TIMESTAMP)
ON CONFLICT (topic_id) DO UPDATE SET
    label = excluded.label, query = excluded.query, group_name = excluded.group_name,
    notes = excluded.notes, active = true, updated_at = excluded.updated_at
