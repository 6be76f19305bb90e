-- The outlets of the countries $countries: the full-text index has no country, so a
-- country filter reaches it as these outlets.
SELECT source_id FROM sources WHERE list_contains($countries::VARCHAR[], country) ORDER BY 1;
