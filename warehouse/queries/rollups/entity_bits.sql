-- entity_bits (migration 006): a bit for every entity first named from article $first on,
-- numbered on from the highest taken (in entity id order; NULL once all $capacity are).
INSERT INTO entity_bits (entity_id, bit)
SELECT entity_id, CASE WHEN n < $capacity THEN n END
FROM (
    SELECT entity_id,
           (SELECT coalesce(max(bit) + 1, 0) FROM entity_bits)
               + row_number() OVER (ORDER BY entity_id) - 1 AS n
    FROM (SELECT DISTINCT entity_id FROM mentions WHERE article_id >= $first)
    WHERE entity_id NOT IN (SELECT entity_id FROM entity_bits)
)
