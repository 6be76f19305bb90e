-- The latest week start from which the articles naming the pair number at least $limit
-- (NULL when they are fewer), counting only whole weeks inside the window (a lower bound,
-- so the listing from that day on holds the newest $limit): pair_articles.sql then reads
-- only articles from that day on.
WITH /*week_split*/,
weeks AS (
    SELECT r.week,
           sum(CASE WHEN $level = 'article' THEN r.articles ELSE r.sentence_articles END) AS n
    FROM rollup_weekly_co_mentions r
    LEFT JOIN sources s USING (source_id), span
    WHERE r.week >= span.first_week AND r.week + 6 <= span.last_week_end
      AND /*outlet_filter*/
      AND r.entity_a = least($a::VARCHAR, $b::VARCHAR)
      AND r.entity_b = greatest($a::VARCHAR, $b::VARCHAR)
    GROUP BY r.week
),
cum AS (
    SELECT week, sum(n) OVER (ORDER BY week DESC) AS c FROM weeks
)
SELECT max(week) FILTER (WHERE c >= $limit) AS since FROM cum;
