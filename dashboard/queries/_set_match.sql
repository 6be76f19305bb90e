-- Whether a rollup_daily_entity_sets row r names the entity set k (k.mask: its bits;
-- k.all_named: every member has been named somewhere) in the $match sense: any member is
-- a bit in common, all members are every bit of the set.
CASE WHEN $match = 'any' THEN r.entity_set & k.mask != 0
     ELSE k.all_named AND r.entity_set & k.mask = k.mask END
