-- The sidebar's outlet, outlet-country and language filters on a rollup row r joined to its
-- outlet s (LEFT JOIN sources s USING (source_id)).
(len($sources::VARCHAR[]) = 0 OR list_contains($sources::VARCHAR[], r.source_id))
    AND (len($countries::VARCHAR[]) = 0 OR list_contains($countries::VARCHAR[], s.country))
    AND (len($languages::VARCHAR[]) = 0 OR list_contains($languages::VARCHAR[], r.language))
