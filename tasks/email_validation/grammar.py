"""A hand-written parser for the RFC 5321 ``Mailbox`` (section 4.1.2 and 4.1.3).

This module is standard-library only and self-contained: it is the task's oracle and its
source text, verbatim, is the task's reference solution (it runs in the sandbox as is).

Grammar (RFC 5321 rule names; ``atext`` from RFC 5322 section 3.2.3; core rules ALPHA,
DIGIT, HEXDIG, DQUOTE from RFC 5234, whose quoted strings and hex digits match any case)::

    Mailbox         = Local-part "@" ( Domain / address-literal )
    Local-part      = Dot-string / Quoted-string            ; at most 64 octets
    Dot-string      = Atom *("." Atom)
    Atom            = 1*atext
    atext           = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
                      "-" / "/" / "=" / "?" / "^" / "_" / "`" / "{" / "|" / "}" / "~"
    Quoted-string   = DQUOTE *QcontentSMTP DQUOTE
    QcontentSMTP    = qtextSMTP / quoted-pairSMTP
    quoted-pairSMTP = %d92 %d32-126                         ; backslash, then SP or VCHAR
    qtextSMTP       = %d32-33 / %d35-91 / %d93-126          ; SP or VCHAR except " and \\
    Domain          = sub-domain *("." sub-domain)
    sub-domain      = Let-dig [Ldh-str]                     ; at most 63 octets (RFC 1035)
    Let-dig         = ALPHA / DIGIT
    Ldh-str         = *( ALPHA / DIGIT / "-" ) Let-dig
    address-literal = "[" ( IPv4-address-literal / IPv6-address-literal ) "]"
    IPv4-address-literal = Snum 3("." Snum)
    Snum            = 1*3DIGIT                              ; value 0 through 255
    IPv6-address-literal = "IPv6:" IPv6-addr                ; tag matches in any case
    IPv6-addr       = IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp
    IPv6-hex        = 1*4HEXDIG
    IPv6-full       = IPv6-hex 7(":" IPv6-hex)
    IPv6-comp       = [IPv6-hex *5(":" IPv6-hex)] "::" [IPv6-hex *5(":" IPv6-hex)]
                      ; no more than 6 groups in addition to the "::"
    IPv6v4-full     = IPv6-hex 5(":" IPv6-hex) ":" IPv4-address-literal
    IPv6v4-comp     = [IPv6-hex *3(":" IPv6-hex)] "::"
                      [IPv6-hex *3(":" IPv6-hex) ":"] IPv4-address-literal
                      ; no more than 4 groups in addition to the "::" and the IPv4 part

Deliberate choices: RFC 5321's General-address-literal (``[tag:content]`` with any other
tag) is not accepted; the whole Mailbox is at most 254 octets (a 256-octet path minus its
angle brackets; RFC 3696 erratum 1690); the input is ASCII only (no SMTPUTF8), so any
non-ASCII character makes it invalid. Lengths count the text as written (quotes and
backslashes included). There is no trimming, no comments, no display name, no ``<>``.
"""

MAX_MAILBOX = 254
MAX_LOCAL_PART = 64
MAX_LABEL = 63

_ALPHA = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_DIGIT = frozenset("0123456789")
_HEXDIG = _DIGIT | frozenset("ABCDEFabcdef")
_LET_DIG = _ALPHA | _DIGIT
_LDH = _LET_DIG | frozenset("-")
_ATEXT = _LET_DIG | frozenset("!#$%&'*+-/=?^_`{|}~")
_PRINTABLE = frozenset(chr(c) for c in range(32, 127))
_QTEXT = _PRINTABLE - frozenset('"\\')


def validate_email(s: str) -> bool:
    """True iff ``s`` is an RFC 5321 Mailbox under the rules in this module's docstring."""
    if not isinstance(s, str) or len(s) > MAX_MAILBOX or not s.isascii():
        return False
    end = _quoted_string_end(s) if s.startswith('"') else _dot_string_end(s)
    if end < 0 or end > MAX_LOCAL_PART or end >= len(s) or s[end] != "@":
        return False
    rest = s[end + 1 :]
    if rest.startswith("["):
        return len(rest) >= 2 and rest.endswith("]") and _address_literal(rest[1:-1])
    return _domain(rest)


def _dot_string_end(s: str) -> int:
    """Index just past the Dot-string that starts ``s``, or -1 if there is none."""
    i, n = 0, len(s)
    while True:
        start = i
        while i < n and s[i] in _ATEXT:
            i += 1
        if i == start:
            return -1  # an empty Atom: leading, trailing or doubled dot, or no local part
        if i < n and s[i] == ".":
            i += 1
            continue
        return i


def _quoted_string_end(s: str) -> int:
    """Index just past the Quoted-string that starts ``s`` (at its DQUOTE), or -1."""
    i, n = 1, len(s)
    while i < n:
        c = s[i]
        if c == '"':
            return i + 1
        if c == "\\":
            if i + 1 < n and s[i + 1] in _PRINTABLE:
                i += 2
                continue
            return -1
        if c not in _QTEXT:
            return -1
        i += 1
    return -1  # no closing DQUOTE


def _domain(d: str) -> bool:
    """Domain: dot-separated sub-domains (hostname labels)."""
    return all(_sub_domain(label) for label in d.split("."))


def _sub_domain(label: str) -> bool:
    """sub-domain = Let-dig [Ldh-str], at most 63 octets: no hyphen at either end."""
    return (
        0 < len(label) <= MAX_LABEL
        and label[0] in _LET_DIG
        and label[-1] in _LET_DIG
        and all(c in _LDH for c in label)
    )


def _address_literal(body: str) -> bool:
    """The text between "[" and "]": an IPv4 or an IPv6 address literal."""
    if body[:5].lower() == "ipv6:":
        return _ipv6_addr(body[5:])
    return _ipv4_literal(body)


def _ipv4_literal(t: str) -> bool:
    """IPv4-address-literal = Snum 3("." Snum)."""
    parts = t.split(".")
    return len(parts) == 4 and all(_snum(p) for p in parts)


def _snum(p: str) -> bool:
    """Snum = 1*3DIGIT with value 0 through 255 (leading zeros allowed)."""
    return 1 <= len(p) <= 3 and all(c in _DIGIT for c in p) and int(p) <= 255


def _hex_groups(t: str) -> int:
    """How many IPv6-hex groups the ":"-separated ``t`` holds (0 if empty), or -1."""
    if not t:
        return 0
    parts = t.split(":")
    if all(1 <= len(p) <= 4 and all(c in _HEXDIG for c in p) for p in parts):
        return len(parts)
    return -1


def _ipv6_addr(t: str) -> bool:
    """IPv6-full / IPv6-comp (no "."), or IPv6v4-full / IPv6v4-comp (IPv4 tail)."""
    if "." in t:
        colon = t.rfind(":")
        if colon < 0 or not _ipv4_literal(t[colon + 1 :]):
            return False
        head = t[: colon + 1]  # the hex part, ending with ":"
        if "::" not in head:
            return _hex_groups(head[:-1]) == 6  # IPv6v4-full
        left, _, right = head.partition("::")  # IPv6v4-comp
        if right and not right[:-1]:
            return False  # ":::"
        return _comp_ok(_hex_groups(left), _hex_groups(right[:-1]), 4)
    if "::" not in t:
        return _hex_groups(t) == 8  # IPv6-full
    left, _, right = t.partition("::")  # IPv6-comp
    return _comp_ok(_hex_groups(left), _hex_groups(right), 6)


def _comp_ok(n_left: int, n_right: int, limit: int) -> bool:
    """Both sides of "::" parsed and hold at most ``limit`` groups together."""
    return n_left >= 0 and n_right >= 0 and n_left + n_right <= limit
