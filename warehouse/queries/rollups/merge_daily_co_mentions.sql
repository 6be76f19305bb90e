-- Fold a batch (rollups/daily_co_mentions.sql from $first on) into
-- rollup_daily_co_mentions: same day, outlet, language and pair, sums added.
MERGE INTO rollup_daily_co_mentions t
USING (/*rollups/daily_co_mentions*/) d
ON t.day = d.day AND /*rollups/_pair_key*/
/*rollups/_co_mention_sums*/
