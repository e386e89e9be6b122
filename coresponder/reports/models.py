"""Reports compute from the other rooms' records; they store no counters."""
