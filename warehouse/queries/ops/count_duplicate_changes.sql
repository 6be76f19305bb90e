-- How many articles' duplicate_of would change.
SELECT count(*)
FROM (/*ops/duplicate_targets*/) t JOIN articles a USING (article_id)
WHERE a.duplicate_of IS DISTINCT FROM t.dup
