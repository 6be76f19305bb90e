-- Terms that explain a trend: what is distinctive of the articles naming $entity in the
-- window [$window_start, $window_end] compared with those naming it in the baseline
-- [$baseline_start, $baseline_end].
--
-- Method: weighted log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi
-- and Quinn 2008, "Fightin' Words"), over the per-article keyword counts of the keywords
-- table. The prior is every dated article of both periods, whatever it names, scaled to
-- $prior pseudo-counts in all: frequent words need much more evidence than rare ones to
-- stand out, and a term seen in two articles cannot outrank one seen in forty. z is the
-- log-odds divided by its standard error; positive z means "more typical of the window".
--
-- $unit = 'story' counts each story (syndicated copies grouped, articles.story_id) once,
-- through its first article in the period, so one wire story republished ten times does
-- not make its words "distinctive". Exact duplicates never count.
WITH named AS (
    SELECT DISTINCT a.article_id, a.story_id, a.published
    FROM mentions m JOIN articles a USING (article_id)
    WHERE m.entity_id = $entity
      AND a.duplicate_of IS NULL
      AND a.published IS NOT NULL
      AND ((a.published BETWEEN $window_start::DATE AND $window_end::DATE)
           OR (a.published BETWEEN $baseline_start::DATE AND $baseline_end::DATE))
),
sided AS (
    SELECT article_id, story_id,
           CASE WHEN published BETWEEN $window_start::DATE AND $window_end::DATE
                THEN 'window' ELSE 'baseline' END AS side
    FROM named
),
docs AS (
    SELECT side, article_id FROM sided WHERE $unit = 'article'
    UNION ALL
    SELECT side, min(article_id) FROM sided WHERE $unit = 'story' GROUP BY side, story_id
),
doc_totals AS (
    SELECT count(*) FILTER (WHERE side = 'window') AS window_articles,
           count(*) FILTER (WHERE side = 'baseline') AS baseline_articles
    FROM docs
),
counts AS (
    SELECT k.term,
           count(*) FILTER (WHERE d.side = 'window') AS window_docs,
           coalesce(sum(k.count) FILTER (WHERE d.side = 'window'), 0) AS window_count,
           count(*) FILTER (WHERE d.side = 'baseline') AS baseline_docs,
           coalesce(sum(k.count) FILTER (WHERE d.side = 'baseline'), 0) AS baseline_count
    FROM docs d JOIN keywords k USING (article_id)
    GROUP BY k.term
),
totals AS (
    SELECT sum(window_count) AS n_window, sum(baseline_count) AS n_baseline FROM counts
),
background AS (
    SELECT k.term, sum(k.count) AS n
    FROM articles a JOIN keywords k USING (article_id)
    WHERE a.duplicate_of IS NULL
      AND ((a.published BETWEEN $window_start::DATE AND $window_end::DATE)
           OR (a.published BETWEEN $baseline_start::DATE AND $baseline_end::DATE))
    GROUP BY k.term
),
prior AS (
    SELECT b.term, $prior::DOUBLE * b.n / sum(b.n) OVER () AS alpha FROM background b
),
scored AS (
    SELECT c.*, p.alpha,
           ln((c.window_count + p.alpha)
              / (t.n_window + $prior - c.window_count - p.alpha))
         - ln((c.baseline_count + p.alpha)
              / (t.n_baseline + $prior - c.baseline_count - p.alpha)) AS log_odds,
           1.0 / (c.window_count + p.alpha) + 1.0 / (c.baseline_count + p.alpha) AS variance
    FROM counts c JOIN prior p USING (term), totals t
)
SELECT s.term,
       s.window_docs, s.window_count, s.baseline_docs, s.baseline_count,
       s.window_docs / nullif(d.window_articles, 0) AS window_share,
       s.baseline_docs / nullif(d.baseline_articles, 0) AS baseline_share,
       s.log_odds,
       s.log_odds / sqrt(s.variance) AS z,
       d.window_articles, d.baseline_articles
FROM scored s, doc_totals d
WHERE s.window_docs >= $min_docs
ORDER BY z DESC, s.term
LIMIT $limit;
