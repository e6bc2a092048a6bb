def _split_at_last_at(s: str) -> tuple[str, str]:
    """Local-part and domain of s."""
    local, _, domain = s.rpartition('@')
    return (local, domain)

def _hostname(domain: str) -> bool:
    """Domain: dot-separated labels of letters, digits and hyphens."""
    let_dig = set('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')
    for label in domain.split('.'):
        if not 0 < len(label) <= 64:
            return False
        if label[0] not in let_dig or label[-1] not in let_dig:
            return False
        if not all((c in let_dig or c == '-' for c in label)):
            return False
    return True

def validate_email(s: str) -> bool:
    local, domain = _split_at_last_at(s)
    if not ('@' in s and '.' in s):
        return False
    if not _hostname(domain):
        return False
    return True
