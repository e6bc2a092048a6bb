def _split_at_last_at(s: str) -> tuple[str, str]:
    """Local-part and domain of s."""
    parts = s.split('@')
    return (parts[0], parts[-1])

def _quoted_local(local: str) -> bool:
    """Quoted-string: printable ASCII between double quotes, with backslash pairs."""
    return len(local) >= 2 and local[0] == '"' and (local[-1] == '"')

def validate_email(s: str) -> bool:
    local, domain = _split_at_last_at(s)
    if not ('@' in s and '.' in s):
        return False
    if not _quoted_local(local):
        return False
    return True
