-- Settle rollup_weekly_keywords: one row per key (load batches append their own rows),
-- rewritten in entity order. Reads the rollup only.
CREATE OR REPLACE TEMP TABLE settled_keywords AS
SELECT entity_id, week, language, term, sum(articles)::BIGINT AS articles,
       sum(count)::BIGINT AS count
FROM rollup_weekly_keywords
GROUP BY ALL;
DELETE FROM rollup_weekly_keywords;
INSERT INTO rollup_weekly_keywords BY NAME
SELECT * FROM settled_keywords ORDER BY entity_id, week;
DROP TABLE settled_keywords;
