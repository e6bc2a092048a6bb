"""Task pack ``email_validation``: is a string an RFC 5321 Mailbox?

The full grammar, with RFC rule names, is the docstring of ``tasks.email_validation.grammar``;
that module is the oracle and, as source text, the reference solution. Agents see ``SPEC``
(the same grammar, concise) and a shallow fixed suite of everyday addresses; the hidden suite
is rich in near-misses (one-character edits, length limits, IPv6 group counts), which is
where plausible-but-partial validators fail.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

from hypothesis.strategies import SearchStrategy

from tasks.base import Args, Case, InvalidInput, MutationOperator, Task
from tasks.email_validation import grammar
from tasks.email_validation.blocks import email_operators
from tasks.email_validation.strategies import mailbox_inputs
from tasks.registry import register
from tasks.sampling import draw_unique

SPEC = """\
Write validate_email(s: str) -> bool: return True if and only if the whole string s is a
syntactically valid RFC 5321 Mailbox (an SMTP address such as user@example.com, without angle
brackets), else False. Grammar (ABNF, RFC 5321 rule names):

  Mailbox         = Local-part "@" ( Domain / address-literal )
  Local-part      = Dot-string / Quoted-string
  Dot-string      = Atom *("." Atom)
  Atom            = 1*atext
  atext           = ALPHA / DIGIT / any of  ! # $ % & ' * + - / = ? ^ _ ` { | } ~
  Quoted-string   = DQUOTE *( qtextSMTP / quoted-pairSMTP ) DQUOTE
  qtextSMTP       = %d32-33 / %d35-91 / %d93-126     ; space or printable ASCII except " and \\
  quoted-pairSMTP = %d92 %d32-126                    ; backslash, then space or printable ASCII
  Domain          = sub-domain *("." sub-domain)
  sub-domain      = Let-dig [Ldh-str]                ; a label of at most 63 characters
  Let-dig         = ALPHA / DIGIT
  Ldh-str         = *( ALPHA / DIGIT / "-" ) Let-dig
  address-literal = "[" ( IPv4-address-literal / IPv6-address-literal ) "]"
  IPv4-address-literal = Snum 3("." Snum)
  Snum            = 1*3DIGIT                         ; value 0 through 255
  IPv6-address-literal = "IPv6:" IPv6-addr
  IPv6-addr       = IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp
  IPv6-hex        = 1*4HEXDIG
  IPv6-full       = IPv6-hex 7(":" IPv6-hex)
  IPv6-comp       = [IPv6-hex *5(":" IPv6-hex)] "::" [IPv6-hex *5(":" IPv6-hex)]
                    ; no more than 6 groups in addition to the "::"
  IPv6v4-full     = IPv6-hex 5(":" IPv6-hex) ":" IPv4-address-literal
  IPv6v4-comp     = [IPv6-hex *3(":" IPv6-hex)] "::" [IPv6-hex *3(":" IPv6-hex) ":"]
                    IPv4-address-literal
                    ; no more than 4 groups in addition to the "::" and the IPv4 part

ALPHA is A-Z / a-z, DIGIT is 0-9, HEXDIG is 0-9 / A-F / a-f; the tag "IPv6:" matches in any
letter case. Other address literals (RFC 5321's General-address-literal, e.g. [x-tag:data])
are NOT accepted. Limits: the Local-part is at most 64 characters and the whole string at
most 254 characters, counting quotes and backslashes as written. ASCII only: any non-ASCII
character makes s invalid. No trimming, comments, display names or angle brackets.
"""

SEED_SOLUTION = 'def validate_email(s: str) -> bool:\n    return "@" in s and "." in s\n'

HIDDEN_SIZE = 2000
HIDDEN_SEED = 5321


class EmailValidation(Task):
    """validate_email(s) -> bool against RFC 5321 Mailbox syntax (see ``grammar``)."""

    name = "email_validation"
    entry_point = "validate_email"
    signature = "def validate_email(s: str) -> bool"
    spec = SPEC
    kind = "function"
    time_limit = 0.5

    @property
    def seed_solution(self) -> str:
        return SEED_SOLUTION

    @property
    def reference_solution(self) -> str:
        """The grammar module's own source: standalone, standard library only."""
        return inspect.getsource(grammar)

    def oracle(self, args: Args) -> bool:
        """Label ``(s,)``; the domain is every str, anything else is InvalidInput."""
        if len(args) != 1 or type(args[0]) is not str:
            raise InvalidInput("validate_email takes exactly one str argument")
        return grammar.validate_email(args[0])

    def input_strategy(self) -> SearchStrategy[Args]:
        return mailbox_inputs()

    def fixed_inputs(self) -> list[Args]:
        """Everyday addresses and obvious mistakes, as a starter benchmark has them."""
        return [(s,) for s in FIXED]

    def hidden_inputs(self) -> list[Args]:
        """HIDDEN_SIZE distinct inputs, half valid and half invalid, from a fixed seed."""
        quota = {True: HIDDEN_SIZE // 2, False: HIDDEN_SIZE - HIDDEN_SIZE // 2}

        def accept(args: Args) -> bool:
            verdict = grammar.validate_email(args[0])
            if quota[verdict] == 0:
                return False
            quota[verdict] -= 1
            return True

        return draw_unique(
            self.input_strategy(), HIDDEN_SIZE, seed_value=HIDDEN_SEED, accept=accept
        )

    def mutation_operators(self, suite: Sequence[Case] = ()) -> list[MutationOperator]:
        """The ``email_*`` rule-block operators (``tasks.email_validation.blocks``)."""
        return list(email_operators())


FIXED = (
    "user@example.com",
    "first.last@sub.example.org",
    "user+tag@example.com",
    "x@example.com",
    "user_name@example.co.uk",
    "john-doe@my-domain.net",
    "12345@example.com",
    "user@example",
    "no-at-sign.example.com",
    "two@@example.com",
    "user@",
    "@example.com",
    "",
    "user@.example.com",
    "user@example..com",
    "user@example.com.",
    ".user@example.com",
    "user.@example.com",
    "us..er@example.com",
    "user name@example.com",
    "user@exa mple.com",
    "user@-example.com",
)
"""Fixed suite inputs; "user@example" is valid (a one-label Domain is allowed by the grammar)."""


@register("email_validation", "is a string a valid RFC 5321 email address (Mailbox)?")
def make() -> list[Task]:
    """The single email_validation task."""
    return [EmailValidation()]
