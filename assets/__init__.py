"""The kiosk's bundled assets, installed as the package ``kiosk_assets`` (see kiosk/assets.py)."""
