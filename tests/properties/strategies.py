"""What hostile or careless senders put in a field: the values both property tests draw from.

Text includes what databases refuse (NUL, lone UTF-16 surrogates), what templates and SQL might
trip on, strings past any column, numbers past 32 and 64 bits and dates at the ends of the
calendar; JSON values are every type a claim may wrongly have.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_from_bytes

from hypothesis import strategies as st

HUGE = "x" * 70_000
NUMBERS_PAST_COLUMNS = (
    "2147483648",  # past PostgreSQL's integer
    "9223372036854775808",  # past bigint
    "-9223372036854775809",
    "99999999999999999999999999999999",
    "9" * 5000,  # past what int() reads from a string (4300 digits)
    "1e400",
    "-0",
    "0",
    "-1",
    "NaN",
    "inf",
    "0x10",
    "\uff11\uff12",  # full-width digits: str.isdigit() says yes, int() agrees
    "²",  # a superscript: str.isdigit() says yes, int() refuses
    "٣",  # an Arabic-Indic digit
)
DATES = (
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "2027-02-30T10:00",
    "2027-01-25T24:00",
    "2027-01-25",
    "10000-01-01T00:00",
    "2027-01-25T10:00:00+14:00",
    "1970-01-01T00:00",
)
SPECIAL_TEXT = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udfff x",
    "\r\n\t",
    "\u202e\u200b\ufeff",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "' OR 1=1 --",
    "%s%n%x",
    "../../etc/passwd",
    "é" * 300,
    "x" * 256,
    HUGE,
    *NUMBERS_PAST_COLUMNS,
    *DATES,
)

# Every code point, lone surrogates and control characters included.
any_character = st.characters(exclude_categories=())
hostile_text = st.one_of(
    st.sampled_from(SPECIAL_TEXT),
    st.text(any_character, max_size=40),
)
huge_integers = st.one_of(
    st.sampled_from([2**31, 2**63, -(2**63) - 1, 10**30, 0, -1]),
    st.integers(),
)


def json_values(text: st.SearchStrategy[str] = hostile_text) -> st.SearchStrategy[Any]:
    """Any JSON value: null, booleans, numbers past every integer type, text, lists, objects."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        huge_integers,
        st.floats(allow_nan=False, allow_infinity=False),
        text,
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=8,
    )


# Text elsewhere is any text: here, the URLs a URL parser most likely trips on.
odd_urls = st.sampled_from(
    [
        "https://lms.example.edu/api/lti/courses/1/names_and_roles",
        "http://127.0.0.1:1/x",
        "https://[::1]:99999/x",
        "https://[::1/x",  # brackets urlsplit refuses (ValueError)
        "http://[",
        "https://user@[not-an-address]/",
        "https://lms.example.edu:notaport/",
        "https://user:pass@lms.example.edu/",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://lms.example.edu/",
        "//lms.example.edu/no-scheme",
        "/relative/path",
        "https://",
        "https://lms.example.edu/\x00",
        "https://lms.example.edu/\ud800",
        "https://" + "a" * 5000 + ".example/",
    ]
)


def form_body(pairs: list[tuple[str, str]]) -> bytes:
    """URL-encoded as a browser would, except that lone surrogates go out as the invalid UTF-8
    bytes a broken client sends (the server must decode them somehow)."""

    def encoded(text: str) -> str:
        return quote_from_bytes(text.encode("utf-8", "surrogatepass"), safe="")

    return "&".join(f"{encoded(k)}={encoded(v)}" for k, v in pairs).encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
