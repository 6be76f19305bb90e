-- The articles the sidebar filters select: dated, not exact duplicates (as in the views),
-- inside the date window, from the chosen outlets, outlet countries and article languages.
-- An empty list means no restriction.
filtered AS (
    SELECT a.article_id, a.published AS day, a.source_id, a.language,
           s.country, s.kind AS outlet_kind
    FROM articles a
    LEFT JOIN sources s USING (source_id)
    WHERE a.published IS NOT NULL
      AND a.duplicate_of IS NULL
      AND a.published >= coalesce($start::DATE, DATE '0001-01-01')
      AND a.published <= coalesce($end::DATE, DATE '9999-12-31')
      AND (len($sources::VARCHAR[]) = 0 OR list_contains($sources::VARCHAR[], a.source_id))
      AND (len($countries::VARCHAR[]) = 0 OR list_contains($countries::VARCHAR[], s.country))
      AND (len($languages::VARCHAR[]) = 0 OR list_contains($languages::VARCHAR[], a.language))
)
