"""Populations: selection and replacement, the hall of fame."""
