"""Watching a running server: logs, Prometheus metrics, readiness, and the CPU-time probes."""
