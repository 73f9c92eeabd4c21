"""Real local servers that stand in for upstream services in tests (no mocks of our code)."""
