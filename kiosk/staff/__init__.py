"""Hall staff: the protected diagnostics mode, its PIN and its checks."""
