"""Durable local storage: the outbox, the sealed report buffer and the public cache.

Imports no other first-party package, no Qt and no network library (import-linter checks it).
"""
