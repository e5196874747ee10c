//! Targets: parse the user's target syntax, expand lazily, resolve names, shard.
