"""The one in-process GPU engine: jobs in, events and images out. Never imports the bot."""
