-- The entity sets of $sets, numbered from 1, and their members with the set's size.
sets AS (
    SELECT generate_subscripts($sets::VARCHAR[][], 1) AS set_idx,
           unnest($sets::VARCHAR[][]) AS members
),
members AS (
    SELECT set_idx, unnest(members) AS entity_id, len(members) AS size FROM sets
)
