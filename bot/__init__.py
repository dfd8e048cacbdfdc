"""mjbot: a self-hosted Midjourney-style drawing bot (adapters + platform-neutral core)."""
