"""The `salesflow` command line: one entry point over every layer."""
