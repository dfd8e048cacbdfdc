"""SQLite persistence (sqlite-utils) and the image store. Never imports the bot or the engine."""
