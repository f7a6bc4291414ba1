"""Shared settings and strategies for the property tests: short in CI, longer on request.

NARRATIVE_BOT_FUZZ_EXAMPLES sets the examples per property (default 25, a few seconds in all); for a long run:
`NARRATIVE_BOT_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/fuzz`.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("NARRATIVE_BOT_FUZZ_EXAMPLES", "25"))

# No deadline: the shared CI machine's speed varies, and these tests look for exceptions, not for slowness.
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)

# Characters that have broken parsers before, mixed with ordinary text: controls, surrogates, noncharacters,
# look-alikes, zero-width and combining marks, full stops that IDNA maps, superscript and Arabic digits.
NASTY_CHARS = (
    "\x00\x01\x0b\x1b\x7f\x85\x9f\ud800\udfff\ufffe\uffff\U0010ffff\u200b\u200d\u2060\ufeff\u00ad\u0301\u0306"
    "\u0308。．｡¹²٣１aocepxуАОСЕРХ&#;<>\"'%/?:@[]\\ \t\n\r"
)
nasty_text = st.text(
    alphabet=st.one_of(st.sampled_from(NASTY_CHARS), st.characters(codec="utf-8"), st.characters()), max_size=80
)
words = st.text(alphabet="абвгдежзийклмнопрстуфхцчшщъыьэюяіїєґabcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)
prose = st.lists(st.one_of(words, nasty_text), max_size=30).map(" ".join)


def char_ref(code: int, hexadecimal: bool) -> str:
    return f"&#x{code:X};" if hexadecimal else f"&#{code};"


char_refs = st.builds(char_ref, st.integers(min_value=0, max_value=0x7FFFFFFF), st.booleans())
