-- The publication days of a topic's new matches (new_ids): the rollup rows to recount.
CREATE OR REPLACE TEMP TABLE touched_days AS
SELECT DISTINCT a.published AS day
FROM articles a JOIN new_ids n USING (article_id)
WHERE a.published IS NOT NULL
