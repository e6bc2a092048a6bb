def validate_email(s: str) -> bool:
    return "@" in s and "." in s
