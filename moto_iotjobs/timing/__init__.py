"""Time: the clock read on every request, the lazy event heap, AWS cron expressions."""
