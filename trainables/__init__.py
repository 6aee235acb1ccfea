"""Training trials for Ray Tune (see issue: training trials)."""
