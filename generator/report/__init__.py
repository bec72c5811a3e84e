"""Numbers about a build: the device table, and report.json (estimate, FINN's, simulated)."""
