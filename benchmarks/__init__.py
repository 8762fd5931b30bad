"""Speed measurements, as ratios to floors measured in the same run (not timed tests)."""
