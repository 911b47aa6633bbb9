"""netaudit: audit whether social-media sites are reachable through the corporate network."""

__version__ = "0.1.0"
