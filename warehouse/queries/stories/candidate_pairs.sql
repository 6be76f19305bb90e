-- Candidate pairs (a < b) sharing an LSH bucket, with at least one article from $first on
-- (NULL: all pairs, for a rebuild). Restricted to a batch, the join builds on the batch's
-- few buckets and probes the stored ones once: a batch costs one scan of story_buckets.
SELECT DISTINCT least(n.article_id, s.article_id) AS a,
                greatest(n.article_id, s.article_id) AS b
FROM story_buckets n JOIN story_buckets s
  ON s.bucket = n.bucket AND s.article_id <> n.article_id
WHERE $first IS NULL OR n.article_id >= $first
ORDER BY a, b
