"""The credit platform as the kiosk sees it: the HTTPS client, its wire types, the report."""
