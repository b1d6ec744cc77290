"""Domain model: policy categories, helpers and needs vocabularies, scenario settings."""
