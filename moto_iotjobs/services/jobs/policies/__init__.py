"""What happens to executions over time and after failures: timeouts, retries and abort, rollout pacing, scheduling."""
