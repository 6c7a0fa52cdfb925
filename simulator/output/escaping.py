"""Names and messages made safe for where they are shown: terminals, XML (SVG, HTML) and spreadsheets.

Thread, process, variable and object names come from the scenario file and may hold anything YAML can
write: escape sequences, newlines, NUL, lone surrogates, bidirectional overrides. Outputs show them
escaped in the same readable way everywhere (`\\x1b`, `\\n`, `\\u202e`), so a report never drives the
terminal, never breaks a line or a table, and an SVG is always well-formed XML.
"""

from __future__ import annotations

import re
from html import escape

#: What a terminal or an XML parser must not get raw: C0 and C1 control characters (with DEL), lone
#: surrogates (not encodable), U+FFFE/U+FFFF (not XML) and the bidirectional controls that reorder text.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control, surrogate and bidirectional-control character written as an escape."""
    return _UNSAFE.sub(_escape_one, text) if _UNSAFE.search(text) else text


def xml_text(text: str) -> str:
    """`text` for XML character data or an attribute value: printable, and `<>&"'` escaped."""
    return escape(printable(text))


#: First characters a spreadsheet reads as the start of a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """A text cell for CSV: a leading `'` keeps a spreadsheet from reading `=`, `+`, `-`, `@`, tab or
    carriage return at the start as a formula (OWASP); the rest is left as it is (csv quotes it)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
