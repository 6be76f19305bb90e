-- Fold a batch (rollups/weekly_co_mentions.sql from $first on) into
-- rollup_weekly_co_mentions: same week, outlet, language and pair, sums added.
MERGE INTO rollup_weekly_co_mentions t
USING (/*rollups/weekly_co_mentions*/) d
ON t.week = d.week AND /*rollups/_pair_key*/
/*rollups/_co_mention_sums*/
