"""The process: command line, the object graph built from the configuration, logging."""
