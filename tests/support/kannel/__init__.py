"""A real Kannel (bearerbox + smsbox) for end-to-end tests; ``tests/system-deps.sh`` installs it."""
