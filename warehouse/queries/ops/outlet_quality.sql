-- Per outlet with articles: the counts behind the per-outlet data checks; $latest_ok is
-- the latest publication day that is not in the future.
SELECT source_id, count(*) AS articles,
       count(*) FILTER (WHERE published > $latest_ok) AS future_dates,
       count(*) FILTER (WHERE published IS NULL) AS missing_dates,
       count(*) FILTER (WHERE author IS NULL OR trim(author) = '') AS missing_authors,
       list_slice(list(url ORDER BY published DESC) FILTER (WHERE published > $latest_ok),
                  1, 3) AS future_examples
FROM articles GROUP BY source_id ORDER BY source_id
