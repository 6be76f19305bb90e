WITH /*filtered*/
SELECT count(*) FILTER (WHERE f.day >= $window_start::DATE) AS window_articles,
       count(*) FILTER (WHERE f.day < $window_start::DATE) AS baseline_articles
FROM filtered f
JOIN mentions m USING (article_id)
WHERE m.entity_id = $entity;
