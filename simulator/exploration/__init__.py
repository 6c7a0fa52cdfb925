"""Exploring schedules: strategies, replay tokens, the explorer, shrinking and its report."""
