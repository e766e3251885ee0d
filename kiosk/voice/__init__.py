"""Spoken prompts for large-text mode: what to say for a state, and the speech engines."""
