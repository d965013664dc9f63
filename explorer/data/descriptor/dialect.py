"""How a table's file is written: its encoding and CSV dialect (Frictionless CSV Dialect)."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from ...errors import Problem, Rule
from .common import _object, _problem, _unknown_keys

DIALECT_KEYS = frozenset({
    "delimiter", "quoteChar", "doubleQuote", "skipInitialSpace", "header", "lineTerminator",
})


LINE_TERMINATORS = ("\r\n", "\n", "\r")


UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Dialect:
    """How a CSV file is written (Frictionless CSV Dialect; defaults as in the standard)."""

    delimiter: str = ","
    quote_char: str = '"'
    double_quote: bool = True
    skip_initial_space: bool = False
    line_terminator: str = "\r\n"


def decode_text(data: bytes, path: str, encoding: str, problems: list[Problem]) -> str | None:
    """A file's text in its declared encoding (a UTF-8 byte-order mark is tolerated); None,
    with the problem added to ``problems``, when the bytes are not in that encoding."""
    utf8 = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    if utf8:
        data = data.removeprefix(UTF8_BOM)
    try:
        return data.decode("utf-8" if utf8 else encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        bad = data[error.start : error.end]
        advice = ("save the file as UTF-8" if utf8 else
                  f"save the file as {encoding} or declare its encoding in datapackage.json")
        name = "UTF-8" if utf8 else encoding
        problems.append(Problem(path, line, None, Rule.ENCODING, repr(bad),
                                f"not {name} text (byte {bad.hex(' ')}); {advice}"))
        return None


def _encoding(where: str, encoding: object, problems: list[Problem]) -> str:
    if isinstance(encoding, str) and _is_text_encoding(encoding):
        return encoding
    problems.append(_problem(None, Rule.DESCRIPTOR, str(encoding),
                             f"{where} declares encoding {encoding!r}, which is not a known "
                             "text encoding; use e.g. 'utf-8'"))
    return "utf-8"


def _is_text_encoding(name: str) -> bool:
    """True when Python can decode bytes to text with ``name`` (not e.g. 'hex' or 'zlib')."""
    try:
        info = codecs.lookup(name)
        if not getattr(info, "_is_text_encoding", True):
            return False
        return isinstance(info.decode(b"")[0], str)
    except (LookupError, ValueError, TypeError):  # unknown, or unusable ('undefined')
        return False


def _dialect(where: str, raw: object, problems: list[Problem]) -> Dialect:
    where = f"{where} dialect"
    dialect = _object(raw)
    if dialect is None:
        problems.append(_problem(None, Rule.DESCRIPTOR, None, f"{where} must be an object"))
        return Dialect()
    _unknown_keys(dialect, DIALECT_KEYS, where, problems)
    if dialect.get("header", True) is not True:
        problems.append(_problem(None, Rule.DESCRIPTOR, str(dialect["header"]),
                                 f"{where}: only 'header': true is supported; the first line "
                                 "of each file must name its columns"))
    default = Dialect()
    chars = {}
    for key, fallback in (("delimiter", default.delimiter), ("quoteChar", default.quote_char)):
        value = dialect.get(key, fallback)
        if not isinstance(value, str) or len(value) != 1 or value in "\r\n":
            problems.append(_problem(None, Rule.DESCRIPTOR, str(value),
                                     f"{where}: {key!r} must be one character (not a line "
                                     "break)"))
            value = fallback
        chars[key] = value
    if chars["delimiter"] == chars["quoteChar"]:
        problems.append(_problem(None, Rule.DESCRIPTOR, chars["delimiter"],
                                 f"{where}: 'delimiter' and 'quoteChar' must differ"))
        chars = {"delimiter": default.delimiter, "quoteChar": default.quote_char}
    flags = {}
    for key, flag in (("doubleQuote", default.double_quote),
                      ("skipInitialSpace", default.skip_initial_space)):
        value = dialect.get(key, flag)
        if not isinstance(value, bool):
            problems.append(_problem(None, Rule.DESCRIPTOR, str(value),
                                     f"{where}: {key!r} must be true or false"))
            value = flag
        flags[key] = value
    terminator = dialect.get("lineTerminator", default.line_terminator)
    if terminator not in LINE_TERMINATORS:
        problems.append(_problem(None, Rule.DESCRIPTOR, repr(terminator),
                                 f"{where}: 'lineTerminator' must be \"\\r\\n\", \"\\n\" or "
                                 "\"\\r\""))
        terminator = default.line_terminator
    assert isinstance(terminator, str)  # one of LINE_TERMINATORS; narrows the type
    return Dialect(delimiter=chars["delimiter"], quote_char=chars["quoteChar"],
                   double_quote=flags["doubleQuote"],
                   skip_initial_space=flags["skipInitialSpace"], line_terminator=terminator)
