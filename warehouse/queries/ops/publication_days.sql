-- The latest $per_source distinct publication days of each outlet, up to $until.
SELECT source_id, day FROM (
    SELECT DISTINCT source_id, published AS day FROM articles
    WHERE published IS NOT NULL AND published <= $until)
QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY day DESC) <= $per_source
