-- The sidebar filters as a predicate on a rollup row r (day, source_id, language) joined to
-- its outlet s (LEFT JOIN sources s USING (source_id)): the same selection as
-- _filtered.sql makes of articles, at the rollups' grain. Undated articles (NULL day) are
-- left out, as there.
r.day IS NOT NULL
    AND r.day >= coalesce($start::DATE, DATE '0001-01-01')
    AND r.day <= coalesce($end::DATE, DATE '9999-12-31')
    AND /*outlet_filter*/
