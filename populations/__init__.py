"""populations package."""
