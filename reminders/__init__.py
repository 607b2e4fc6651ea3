"""The reminder digest: one message per owner per day about what changed (issue 14)."""
