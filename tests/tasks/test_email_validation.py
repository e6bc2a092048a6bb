"""Tests of the email_validation task pack: its oracle (RFC 5321 Mailbox), strategies, suites."""

from __future__ import annotations

import ast
import ipaddress
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.base import Case, InvalidInput, Suite, Task
from tasks.email_validation import (
    FIXED,
    HIDDEN_SIZE,
    SEED_SOLUTION,
    EmailValidation,
    grammar,
)
from tasks.email_validation import strategies as strat
from tasks.registry import entries, get_task

FAST = settings(database=None, deadline=None, max_examples=200)

valid = grammar.validate_email


def _label(n: int, ch: str = "b") -> str:
    return ch * n


# ---- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def task() -> EmailValidation:
    return EmailValidation()


@pytest.fixture(scope="module")
def hidden(task: EmailValidation) -> Suite:
    return task.hidden_suite()


def _load(source: str) -> Callable[[str], Any]:
    """Exec a solution source in a fresh namespace; return its validate_email."""
    namespace: dict[str, Any] = {"__name__": "solution"}
    exec(compile(source, "<solution>", "exec"), namespace)
    fn: Callable[[str], Any] = namespace["validate_email"]
    return fn


# ---- registry and task attributes ------------------------------------------------------------


def test_registry_resolves_the_task() -> None:
    t = get_task("email_validation")
    assert isinstance(t, EmailValidation)
    assert (t.name, t.entry_point, t.kind, t.time_limit) == (
        "email_validation",
        "validate_email",
        "function",
        0.5,
    )
    assert t.signature == "def validate_email(s: str) -> bool"
    entry = {e.name: e for e in entries()}["email_validation"]
    assert "RFC 5321" in entry.summary
    names = [op.name for op in t.mutation_operators()]
    assert names == ["email_insert", "email_remove", "email_replace", "email_tune"]


def test_seed_solution_is_the_naive_starter(task: EmailValidation) -> None:
    assert task.seed_solution == (
        'def validate_email(s: str) -> bool:\n    return "@" in s and "." in s\n'
    )
    assert task.seed_solutions() == [SEED_SOLUTION]
    seed = _load(task.seed_solution)
    assert [seed(c.args[0]) == c.expected for c in task.fixed_suite()].count(False) >= 2


def test_spec_states_the_grammar_and_the_choices(task: EmailValidation) -> None:
    for needle in (
        "Dot-string",
        "quoted-pairSMTP",
        "Ldh-str",
        "IPv6v4-comp",
        "no more than 6 groups",
        "General-address-literal",
        "at most 64",
        "254",
        "63",
        "non-ASCII",
    ):
        assert needle in task.spec, needle
    assert "qtextSMTP       = %d32-33 / %d35-91 / %d93-126" in task.spec
    assert 'except " and \\\n' in task.spec  # the backslash is rendered, not an escape


# ---- oracle domain -------------------------------------------------------------------------


@pytest.mark.parametrize("args", [(1,), (None,), (b"a@b.c",), (["a@b.c"],), ("a@b", "c"), ()])
def test_oracle_rejects_non_str_inputs(task: EmailValidation, args: tuple[Any, ...]) -> None:
    with pytest.raises(InvalidInput):
        task.oracle(args)
    with pytest.raises(InvalidInput):
        task.label(args, "t")


def test_oracle_labels_a_str_with_a_bool(task: EmailValidation) -> None:
    assert task.oracle(("user@example.com",)) is True
    assert task.oracle(("user",)) is False
    assert task.label(("user@example.com",), "t").expected is True


# ---- RFC examples --------------------------------------------------------------------------

# RFC 3696 section 3, as corrected by verified erratum 246 (the original unquoted
# backslash forms are not valid RFC 5321 Local-parts; backslash quoting exists only inside a
# Quoted-string), and RFC 5321 Appendix D and section 4.1.3 ([123.255.37.2]).
RFC_VALID = [
    '"Abc\\@def"@example.com',
    '"Fred\\ Bloggs"@example.com',
    '"Joe.\\\\Blow"@example.com',
    '"Abc@def"@example.com',
    '"Fred Bloggs"@example.com',
    "customer/department=shipping@example.com",
    "$A12345@example.com",
    "!def!xyz%abc@example.com",
    "_somename@example.com",
    "Smith@bar.com",
    "Jones@foo.com",
    "Green@foo.com",
    "Brown@foo.com",
    "postmaster@[123.255.37.2]",
]
RFC_INVALID = [
    "Abc\\@def@example.com",  # RFC 3696 original text; wrong per erratum 246
    "Fred\\ Bloggs@example.com",  # idem
    "Joe.\\\\Blow@example.com",  # idem
]


@pytest.mark.parametrize("s", RFC_VALID)
def test_rfc_examples_valid(s: str) -> None:
    assert valid(s) is True


@pytest.mark.parametrize("s", RFC_INVALID)
def test_rfc3696_examples_corrected_by_erratum_246_are_invalid_unquoted(s: str) -> None:
    assert valid(s) is False


# ---- hand edge cases, one group per rule ------------------------------------------------------

EDGE_CASES: list[tuple[str, bool]] = [
    # Dot-string / Atom / atext
    ("a@b", True),
    ("a.b.c@d", True),
    ("!#$%&'*+-/=?^_`{|}~@example.com", True),
    (".a@b", False),
    ("a.@b", False),
    ("a..b@b", False),
    (".@b", False),
    ("a(b)@example.com", False),  # no comments, "(" is not atext
    ("a,b@x", False),
    ("a;b@x", False),
    ("a<b>@x", False),
    ("a[b]@x", False),
    ("a:b@x", False),
    ("a b@x", False),
    (" a@x", False),
    ("a@x ", False),
    ("a@x\n", False),
    ("<a@x>", False),
    ("A <a@x>", False),
    # Quoted-string, qtextSMTP, quoted-pairSMTP
    ('""@example.com', True),
    ('" "@example.com', True),
    ('"a@b"@x', True),
    ('"a\\"b"@x', True),  # escaped quote
    ('"a\\\\b"@x', True),  # escaped backslash
    ('"a\\b"@x', True),  # any printable may be quoted
    ('"a\\ "@x', True),
    ('"()<>[]:,;@.!#"@x', True),
    ('"a"b"@x', False),  # unescaped quote
    ('"a\\"@x', False),  # the closing quote is escaped: unterminated
    ('"a\\\\\\"@x', False),  # \\ then \" : unterminated
    ('"a\\b\\"@x', False),
    ('"a\tb"@x', False),  # TAB is not qtextSMTP
    ('"\\\t"@x', False),  # quoted-pairSMTP is %d92 %d32-126: no TAB (unlike RFC 5322)
    ('"a\\\x7f"@x', False),  # nor DEL
    ('"a\x7f"@x', False),
    ('"a"."b"@x', False),  # RFC 5322 obs-local-part, not RFC 5321
    ('a."b"@x', False),
    ('"a".b@x', False),
    ('"abc', False),
    ('"abc@x', False),
    ('"a"@', False),
    ('"', False),
    ('"\\', False),
    # Domain, sub-domain, Let-dig, Ldh-str
    ("a@example", True),  # one label is a Domain
    ("a@1.2.3.4", True),  # digit labels are Let-dig; not an address literal
    ("a@123", True),
    ("a@a-b.c", True),
    ("a@xn--bcher-kva.example", True),
    ("a@A.B.C", True),
    ("a@-a.c", False),
    ("a@a-.c", False),
    ("a@a.-c", False),
    ("a@a.c-", False),
    ("a@-", False),
    ("a@a_b.c", False),
    ("a@.a", False),
    ("a@a.", False),
    ("a@a..b", False),
    ("a@", False),
    ("@a", False),
    ("a@@b", False),
    ("a@b@c", False),
    ("a", False),
    ("", False),
    # IPv4-address-literal, Snum
    ("a@[1.2.3.4]", True),
    ("a@[0.0.0.0]", True),
    ("a@[255.255.255.255]", True),
    ("a@[001.002.003.004]", True),  # 1*3DIGIT: leading zeros allowed
    ("a@[256.1.1.1]", False),
    ("a@[1.2.3.256]", False),
    ("a@[1.2.3.999]", False),
    ("a@[0001.2.3.4]", False),
    ("a@[1.2.3]", False),
    ("a@[1.2.3.4.5]", False),
    ("a@[1.2.3.]", False),
    ("a@[1..2.3]", False),
    ("a@[ 1.2.3.4]", False),
    ("a@[1.2.3.4", False),
    ("a@1.2.3.4]", False),
    ("a@[]", False),
    ("a@[", False),
    ("a@]", False),
    ("a@[a.b.c.d]", False),
    ("a@[1.2.3.4].com", False),
    ("a@x.[1.2.3.4]", False),
    # IPv6-full / IPv6-comp
    ("a@[IPv6:1:2:3:4:5:6:7:8]", True),
    ("a@[IPv6:ffff:FFFF:0:0:0:0:0:abcd]", True),
    ("a@[IPv6:1:2:3:4:5:6:7]", False),
    ("a@[IPv6:1:2:3:4:5:6:7:8:9]", False),
    ("a@[IPv6:1:2:3:4:5:6:7:8:]", False),
    ("a@[IPv6::1:2:3:4:5:6:7:8]", False),
    ("a@[IPv6:12345:2:3:4:5:6:7:8]", False),
    ("a@[IPv6:g:2:3:4:5:6:7:8]", False),
    ("a@[IPv6:::]", True),
    ("a@[IPv6:::1]", True),
    ("a@[IPv6:1::]", True),
    ("a@[IPv6:2001:db8::1]", True),
    ("a@[IPv6:1:2:3::4:5:6]", True),  # 6 groups besides "::"
    ("a@[IPv6:1:2:3:4:5:6::]", True),
    ("a@[IPv6:::1:2:3:4:5:6]", True),
    ("a@[IPv6:1:2:3:4::5:6:7]", False),  # 7 groups besides "::"
    ("a@[IPv6:1:2:3:4:5:6:7::]", False),  # RFC 5321 erratum 2467 (rejected) asked for this
    ("a@[IPv6:::1:2:3:4:5:6:7]", False),
    ("a@[IPv6:1::2::3]", False),
    ("a@[IPv6::::1]", False),
    ("a@[IPv6::1]", False),
    ("a@[IPv6:1:]", False),
    ("a@[IPv6:]", False),
    ("a@[IPv6:1:::2]", False),
    ("a@[ipv6:::1]", True),  # ABNF strings are case-insensitive (RFC 5234 section 2.3)
    ("a@[IPV6:::1]", True),
    ("a@[IPv6 ::1]", False),
    ("a@[IPv6::]", False),  # "IPv6:" then ":" alone
    ("a@[IPv4:1.2.3.4]", False),
    ("a@[x-tag:data]", False),  # General-address-literal is not accepted
    ("a@[IPv7:::1]", False),
    ("a@[::1]", False),  # the tag is required
    # IPv6v4-full / IPv6v4-comp
    ("a@[IPv6:1:2:3:4:5:6:1.2.3.4]", True),
    ("a@[IPv6:1:2:3:4:5:1.2.3.4]", False),
    ("a@[IPv6:1:2:3:4:5:6:7:1.2.3.4]", False),
    ("a@[IPv6:::1.2.3.4]", True),
    ("a@[IPv6:::ffff:192.0.2.1]", True),
    ("a@[IPv6:1:2:3:4::1.2.3.4]", True),  # 4 groups besides "::" and the IPv4 part
    ("a@[IPv6:1:2::3:4:1.2.3.4]", True),
    ("a@[IPv6:::1:2:3:4:1.2.3.4]", True),
    ("a@[IPv6:1:2:3::4:5:1.2.3.4]", False),  # 5 groups
    ("a@[IPv6:1:2:3:4:5::1.2.3.4]", False),
    ("a@[IPv6:::1:2:3:4:5:1.2.3.4]", False),
    ("a@[IPv6:::256.1.1.1]", False),
    ("a@[IPv6:::1.2.3]", False),
    ("a@[IPv6:1.2.3.4]", False),
    ("a@[IPv6:1.2.3.4::]", False),
    ("a@[IPv6::::1.2.3.4]", False),
    ("a@[IPv6:1::2::1.2.3.4]", False),
    ("a@[IPv6:::1.2.3.4:1]", False),
    ("a@[IPv6:1.2::1.2.3.4]", False),
    # ASCII only
    ("é@example.com", False),
    ("a@exämple.com", False),
    ('"é"@x', False),
    ("ａ@b.c", False),
    ("a@b.c\u00a0", False),
    ("a@[\u0661.2.3.4]", False),  # str.isdigit() accepts ARABIC-INDIC DIGIT ONE
    ("a@[IPv6:::\u0661]", False),
]


@pytest.mark.parametrize(("s", "expected"), EDGE_CASES)
def test_edge_cases(s: str, expected: bool) -> None:
    assert valid(s) is expected


def test_edge_cases_have_no_duplicates() -> None:
    assert len({s for s, _ in EDGE_CASES}) == len(EDGE_CASES)


DOMAIN_189 = _label(63, "b") + "." + _label(63, "c") + "." + _label(61, "d")


@pytest.mark.parametrize(
    ("s", "expected"),
    [
        ("a" * 64 + "@example.com", True),
        ("a" * 65 + "@example.com", False),
        ("a." * 31 + "ab@example.com", True),  # 64 with dots
        ("a." * 32 + "a@example.com", False),  # 65 with dots
        ('"' + "a" * 62 + '"@example.com', True),  # quotes count: 64
        ('"' + "a" * 63 + '"@example.com', False),  # 65
        ('"' + "\\a" * 31 + '"@example.com', True),  # backslashes count: 64
        ('"' + "\\a" * 31 + 'b"@example.com', False),  # 65
        ("x@" + _label(63) + ".com", True),
        ("x@" + _label(64) + ".com", False),
        ("x@" + _label(63), True),
        ("x@com." + _label(64), False),
        ("x@" + _label(63) + "." + _label(63, "c"), True),
        ("a" * 64 + "@" + DOMAIN_189, True),  # 254
        ("a" * 64 + "@" + DOMAIN_189 + "e", False),  # 255
        ("a" * 63 + "@" + DOMAIN_189 + "e", True),  # 254 again
        ("a@" + ".".join([_label(63)] * 4), False),  # 257: the domain alone is 255
    ],
)
def test_length_limits(s: str, expected: bool) -> None:
    assert valid(s) is expected


def test_length_limit_cases_have_the_lengths_claimed() -> None:
    assert len("a" * 64 + "@" + DOMAIN_189) == 254
    assert len("a." * 31 + "ab") == 64
    assert len('"' + "\\a" * 31 + '"') == 64


# ---- hypothesis properties -------------------------------------------------------------------


@FAST
@given(strat.valid_mailboxes())
def test_every_built_address_is_valid(s: str) -> None:
    assert valid(s) is True


@FAST
@given(strat.valid_mailboxes())
def test_deleting_the_at_sign_makes_it_invalid(s: str) -> None:
    at = s.rindex("@")  # a Domain or address literal never holds "@"
    assert valid(s[:at] + s[at + 1 :]) is False


@FAST
@given(strat.valid_mailboxes(), st.integers(0, 300), st.characters(min_codepoint=128))
def test_inserting_any_non_ascii_char_makes_it_invalid(s: str, pos: int, ch: str) -> None:
    pos %= len(s) + 1
    assert valid(s[:pos] + ch + s[pos:]) is False


@FAST
@given(st.text(), st.characters(min_codepoint=128), st.text())
def test_any_string_with_a_non_ascii_char_is_invalid(a: str, ch: str, b: str) -> None:
    assert valid(a + ch + b) is False


@FAST
@given(st.text())
def test_oracle_never_raises_on_any_str(s: str) -> None:
    assert EmailValidation().oracle((s,)) in (True, False)


@FAST
@given(strat.valid_mailboxes())
def test_doubling_the_at_or_adding_an_outer_dot_breaks_a_dot_string(s: str) -> None:
    if s.startswith(('"', "[")):
        return
    at = s.rindex("@")
    assert valid(s[:at] + "@@" + s[at + 1 :]) is False
    assert valid("." + s) is False
    assert valid(s[:at] + ".@" + s[at + 1 :]) is False


@FAST
@given(st.text(st.sampled_from("0aF:"), max_size=24))
def test_ipv6_literal_agrees_with_ipaddress_up_to_the_group_limit(body: str) -> None:
    """Python's ipaddress allows 7 groups besides "::"; RFC 5321 allows 6."""
    try:
        ipaddress.IPv6Address(body)
        accepted = True
    except ValueError:
        accepted = False
    groups = len([g for g in body.split(":") if g])
    expected = accepted and not ("::" in body and groups > 6)
    assert valid("a@[IPv6:" + body + "]") is expected


@FAST
@given(st.text(st.sampled_from("0aF:"), max_size=20))
def test_ipv6v4_literal_agrees_with_ipaddress_up_to_the_group_limit(head: str) -> None:
    """With an IPv4 tail ipaddress allows 5 groups besides "::"; RFC 5321 allows 4."""
    body = head + "192.0.2.1"
    try:
        ipaddress.IPv6Address(body)
        accepted = True
    except ValueError:
        accepted = False
    groups = len([g for g in head.split(":") if g])
    expected = accepted and not ("::" in head and groups > 4)
    assert valid("a@[IPv6:" + body + "]") is expected


@FAST
@given(st.integers(1, 253), st.text(st.sampled_from(strat.LET_DIG), min_size=1, max_size=8))
def test_fill_domain_has_the_exact_length_and_is_a_domain(n: int, seed: str) -> None:
    d = strat.fill_domain(n, seed)
    assert len(d) == n
    assert valid("a@" + d) is (n <= 252)


@settings(database=None, deadline=None, max_examples=300)
@given(st.integers(0, 2**32))
def test_one_edit_changes_exactly_one_character(seed: int) -> None:
    rng = random.Random(seed)
    s = strat.valid_mailbox(rng)
    t = strat.one_edit(rng, s)
    if len(t) == len(s):
        assert sum(a != b for a, b in zip(s, t, strict=True)) <= 1
    else:
        longer, shorter = (t, s) if len(t) > len(s) else (s, t)
        assert len(longer) == len(shorter) + 1
        assert any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


@FAST
@given(strat.boundaries())
def test_boundaries_sit_at_a_limit(s: str) -> None:
    local, _, rest = s.rpartition("@")
    assert (
        len(local) in (63, 64, 65)
        or len(s) in (253, 254, 255)
        or any(len(x) in (62, 63, 64) for x in rest.split("."))
        or rest.startswith("[IPv6:")
    )


@FAST
@given(strat.mailbox_inputs())
def test_input_strategy_yields_in_domain_one_tuples(args: tuple[str]) -> None:
    assert isinstance(args, tuple) and len(args) == 1 and type(args[0]) is str
    EmailValidation().label(args, "t")  # must not raise InvalidInput


# ---- suites --------------------------------------------------------------------------------

FIXED_EXPECTED = {
    "user@example.com": True,
    "first.last@sub.example.org": True,
    "user+tag@example.com": True,
    "x@example.com": True,
    "user_name@example.co.uk": True,
    "john-doe@my-domain.net": True,
    "12345@example.com": True,
    "user@example": True,
    "no-at-sign.example.com": False,
    "two@@example.com": False,
    "user@": False,
    "@example.com": False,
    "": False,
    "user@.example.com": False,
    "user@example..com": False,
    "user@example.com.": False,
    ".user@example.com": False,
    "user.@example.com": False,
    "us..er@example.com": False,
    "user name@example.com": False,
    "user@exa mple.com": False,
    "user@-example.com": False,
}


def test_fixed_suite_labels(task: EmailValidation) -> None:
    suite = task.fixed_suite()
    assert {c.args[0]: c.expected for c in suite} == FIXED_EXPECTED
    assert [c.args[0] for c in suite] == list(FIXED)
    assert all(c.origin == "fixed" for c in suite)


# A validator an evolutionary search could plausibly reach from the fixed suite alone.
NAIVE = r"""
import re

_LOCAL = re.compile(r"[A-Za-z0-9._%+-]+")
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?")


def validate_email(s):
    if s.count("@") != 1:
        return False
    local, domain = s.split("@")
    if not _LOCAL.fullmatch(local) or local[0] == "." or local[-1] == "." or ".." in local:
        return False
    return all(_LABEL.fullmatch(p) for p in domain.split("."))
"""


def _failures(fn: Callable[[str], Any], cases: Suite) -> list[Case]:
    return [c for c in cases if fn(c.args[0]) is not c.expected]


def test_fixed_suite_is_shallow_and_hidden_suite_is_not(
    task: EmailValidation, hidden: Suite
) -> None:
    naive = _load(NAIVE)
    assert _failures(naive, task.fixed_suite()) == []
    missed = _failures(naive, hidden)
    assert len(missed) >= 0.1 * len(hidden)
    # It fails on both sides: valid addresses it rejects and invalid ones it accepts.
    assert any(c.expected for c in missed) and any(not c.expected for c in missed)


def test_hidden_suite_size_balance_and_origin(hidden: Suite) -> None:
    assert len(hidden) == HIDDEN_SIZE >= 2000
    assert len({c.key for c in hidden}) == len(hidden)
    share = sum(c.expected is True for c in hidden) / len(hidden)
    assert 0.35 <= share <= 0.65
    assert all(c.origin == "hidden" and type(c.expected) is bool for c in hidden)


def test_hidden_suite_is_deterministic(task: EmailValidation, hidden: Suite) -> None:
    again = EmailValidation().hidden_inputs()
    assert again == [c.args for c in hidden]


def test_hidden_suite_covers_every_rule(hidden: Suite) -> None:
    def count(pred: Callable[[str], bool], expected: bool | None = None) -> int:
        return sum(
            1 for c in hidden if pred(c.args[0]) and (expected is None or c.expected is expected)
        )

    def local_len(s: str) -> int:
        return len(s.rpartition("@")[0])

    checks: dict[str, int] = {
        "quoted valid": count(lambda s: s.startswith('"'), True),
        "quoted invalid": count(lambda s: s.startswith('"'), False),
        "quoted pair valid": count(lambda s: s.startswith('"') and "\\" in s, True),
        "ipv4 literal valid": count(lambda s: s.endswith("]") and "IPv6" not in s, True),
        "ipv6 literal valid": count(lambda s: "@[IPv6:" in s, True),
        "ipv6 literal invalid": count(lambda s: "@[IPv6:" in s, False),
        "ipv6v4 valid": count(lambda s: "@[IPv6:" in s and "." in s.rpartition(":")[2], True),
        "non-ascii": count(lambda s: not s.isascii()),
        "local 64 valid": count(lambda s: local_len(s) == 64, True),
        "local 65": count(lambda s: local_len(s) == 65),
        "total 254 valid": count(lambda s: len(s) == 254, True),
        "total 255": count(lambda s: len(s) == 255),
        "label 63 valid": count(lambda s: any(len(p) == 63 for p in s.split(".")), True),
        "hyphen at a label end": count(lambda s: "-." in s or ".-" in s or "@-" in s, False),
        "double dot": count(lambda s: ".." in s, False),
    }
    assert all(n >= 3 for n in checks.values()), checks


def test_reference_solution_is_standalone_and_agrees_with_oracle(
    task: EmailValidation, hidden: Suite
) -> None:
    source = task.reference_solution
    tree = ast.parse(source)
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert all(isinstance(n, ast.ImportFrom) and n.module == "__future__" for n in imports), (
        "the reference solution must not import anything"
    )
    reference = _load(source)
    assert _failures(reference, hidden) == []
    assert _failures(reference, task.fixed_suite()) == []
    for s, expected in EDGE_CASES:
        assert reference(s) is expected, s


def test_task_is_a_task_subclass() -> None:
    assert issubclass(EmailValidation, Task)
