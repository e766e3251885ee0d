"""Is the card genuine: its files checked against the issuer CAs the platform publishes."""
