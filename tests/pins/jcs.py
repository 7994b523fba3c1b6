#!/usr/bin/env python3
"""Independent RFC 8785 (JCS) implementation for the tool-digest vectors.

    python3 tests/pins/jcs.py gen > tests/pins/tool-digest.jsonl   # regenerate
    python3 tests/pins/jcs.py check tests/pins/tool-digest.jsonl   # recompute, compare

Written from the RFC, not from the Rust code (policy-eval/src/pin.rs), so
the two check each other: the Rust, C, Go and WASM tests compare their
output with the file this writes. Numbers follow ECMAScript
Number::toString: Python's repr gives the shortest round-trip digits, the
layout (plain, fraction, exponent) is ECMAScript's. Error kinds are those
of spec/pins.md.
"""
import hashlib
import json
import sys
from decimal import Decimal

MAX_BYTES = 256 * 1024
MAX_DEPTH = 64


class PinError(Exception):
    def __init__(self, kind):
        super().__init__(kind)
        self.kind = kind


def es_number(x):
    """ECMAScript Number.prototype.toString of a finite double."""
    if x == 0:
        return "0"
    if x < 0:
        return "-" + es_number(-x)
    sign, digits, exp = Decimal(repr(x)).as_tuple()
    d = "".join(map(str, digits)).rstrip("0")
    # repr may write trailing zeros (1e+16 -> '1e+16', 100.0 -> digits 1000, exp -1)
    k = len(d)
    n = len(digits) + exp  # value = 0.d * 10^n
    if k <= n <= 21:
        return d + "0" * (n - k)
    if 0 < n <= 21:
        return d[:n] + "." + d[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + d
    e = n - 1
    es = ("+" if e >= 0 else "-") + str(abs(e))
    if k == 1:
        return d + "e" + es
    return d[0] + "." + d[1:] + "e" + es


def es_string(s):
    out = ['"']
    short = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    for c in s:
        if c in short:
            out.append(short[c])
        elif ord(c) < 0x20:
            out.append("\\u%04x" % ord(c))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def serialize(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float):
        return es_number(v)
    if isinstance(v, str):
        return es_string(v)
    if isinstance(v, list) and not isinstance(v, Members):
        return "[" + ",".join(serialize(x) for x in v) + "]"
    members = sorted(v, key=lambda kv: kv[0].encode("utf-16-be", "surrogatepass"))
    return "{" + ",".join(es_string(k) + ":" + serialize(x) for k, x in members) + "}"


def too_deep(b):
    depth, in_str, esc = 0, False, False
    for c in b:
        if in_str:
            if esc:
                esc = False
            elif c == 0x5C:
                esc = True
            elif c == 0x22:
                in_str = False
            continue
        if c == 0x22:
            in_str = True
        elif c in (0x7B, 0x5B):
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif c in (0x7D, 0x5D):
            depth = max(0, depth - 1)
    return False


def check_strings(v):
    """Lone surrogates (which Python's json accepts) are malformed JSON."""
    if isinstance(v, str):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in v):
            raise PinError("syntax")
    elif isinstance(v, list):
        for x in v:
            check_strings(x)
    elif isinstance(v, tuple):
        check_strings(v[0])
        check_strings(v[1])
    elif isinstance(v, Members):
        for kv in v:
            check_strings(kv)


class Members(list):
    pass


def pairs(kvs):
    seen = set()
    for k, _ in kvs:
        if k in seen:
            raise PinError("duplicate_key")
        seen.add(k)
    return Members(kvs)


def to_number(text):
    f = float(text)
    if f in (float("inf"), float("-inf")):
        raise PinError("number")
    return f


def bad_constant(_):
    raise PinError("syntax")


def canonical(b):
    if len(b) > MAX_BYTES:
        raise PinError("too_large")
    try:
        text = b.decode("utf-8")
    except UnicodeDecodeError:
        raise PinError("utf8")
    if too_deep(b):
        raise PinError("too_deep")
    try:
        v = json.loads(text, object_pairs_hook=pairs, parse_float=to_number,
                       parse_int=lambda t: to_number(t), parse_constant=bad_constant)
    except json.JSONDecodeError:
        raise PinError("syntax")
    if text[:1] == "\ufeff":  # json.loads refuses a BOM too; be explicit
        raise PinError("syntax")
    check_strings(v)
    if not isinstance(v, Members):
        raise PinError("not_object")
    return serialize(v)


def expected(b):
    try:
        c = canonical(b)
    except PinError as e:
        return {"error": e.kind}
    return {"canonical": c, "digest": "sha256:" + hashlib.sha256(c.encode("utf-8")).hexdigest()}


# -- the vectors ----------------------------------------------------------------

READ = ('{"name":"read_file","description":"Read the complete contents of a file from the file system.",'
        '"inputSchema":{"type":"object","properties":{"path":{"type":"string","description":"Path of the file"}},'
        '"required":["path"],"additionalProperties":false}}')


def vectors():
    v = []

    def add(name, definition):
        v.append((name, definition))

    # RFC 8785 section 3.2.2.3 and appendix B numbers.
    for n in ["1e30", "4.50", "-0", "0.000001", "1e-7", "9007199254740993", "9007199254740992",
              "-9007199254740993", "1E21", "1e20", "999999999999999999999", "333333333.33333329",
              "5e-324", "1.7976931348623157e308", "2.2250738585072014e-308", "0.1", "100", "-1.5e-10",
              "123456789012345680000", "0.0000001234", "1.0", "1e+2", "18446744073709551616"]:
        add("number " + n, '{"n":' + n + "}")
    add("rfc 8785 3.2.2 example",
        '{\n  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n'
        '  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n'
        '  "literals": [null, true, false]\n}')
    add("string escapes: short forms, \\u00xx lower case, the rest literal",
        r'{"s":"\b\f\n\r\t\u0000\u0001\u001F\u007f\u0080\u00e9\u2028\u2029\/\"\\"}')
    add("string: raw UTF-8 and escapes give the same text", '{"s":"\u00e9\u20ac\U0001F600"}')
    add("string: escaped UTF-16 pair", r'{"s":"\u00e9\u20ac\ud83d\ude00"}')
    add("rfc 8785 3.2.3 key order",
        '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh",'
        '"1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}')
    add("keys beyond the BMP sort before U+E000..U+FFFF (UTF-16, not code points)",
        '{"\uffff":1,"\U0001F600":2,"\ue000":3,"\ud7ff":4}')
    add("empty key and nested empties", '{"":{},"a":[],"b":[{}],"c":[[]]}')
    add("literals and arrays keep order", '{"a":[3,1,2,null,true,false,"x",{"b":1,"a":2}]}')
    # Realistic MCP tool definitions.
    add("mcp read_file", READ)
    add("mcp read_file, pretty-printed", json.dumps(json.loads(READ), indent=2))
    add("mcp read_file, members reversed, tabs and CRLF",
        "{\r\n\t" + ",\r\n\t".join(f'"{k}" : ' + json.dumps(x, separators=(" , ", " : "))
                                    for k, x in reversed(list(json.loads(READ).items()))) + "\r\n}\r\n")
    add("mcp read_file, one character of the description changed", READ.replace("system.", "system!"))
    add("mcp read_file, description with an added space", READ.replace("the file system", "the file  system"))
    add("mcp read_file, a schema member added", READ.replace('"required"', '"minProperties":1,"required"'))
    add("mcp tool with annotations and unicode",
        '{"name":"send_email","title":"Send e-mail","description":"Sends an e-mail. Never include secrets \u2014 «quoted».",'
        '"inputSchema":{"type":"object","properties":{"to":{"type":"array","items":{"type":"string","format":"email"},"maxItems":10},'
        '"body":{"type":"string","maxLength":100000},"priority":{"type":"number","minimum":0,"maximum":1.5}}},'
        '"annotations":{"destructiveHint":true,"openWorldHint":true,"readOnlyHint":false}}')
    add("mcp tool, escaped unicode in description gives the same digest",
        '{"name":"send_email","title":"Send e-mail","description":"Sends an e-mail. Never include secrets \\u2014 \\u00abquoted\\u00bb.",'
        '"inputSchema":{"type":"object","properties":{"to":{"type":"array","items":{"type":"string","format":"email"},"maxItems":10},'
        '"body":{"type":"string","maxLength":100000},"priority":{"type":"number","minimum":0,"maximum":1.50}}},'
        '"annotations":{"destructiveHint":true,"openWorldHint":true,"readOnlyHint":false}}')
    add("empty object", "{}")
    add("surrounding whitespace", " \t\r\n{ } \n")
    add("nesting at the limit (64)", '{"a":' * 63 + "[]" + "}" * 63)
    # Hostile.
    add("duplicate key", '{"name":"a","description":"x","name":"b"}')
    add("duplicate key after unescaping, nested", '{"s":{"name":1,"n\\u0061me":2}}')
    add("nesting over the limit (65)", '{"a":' * 64 + "[]" + "}" * 64)
    add("nesting far past serde's limit", "[" * 5000)
    add("too large", '{"description":"' + "x" * (MAX_BYTES - 17) + '"}')
    add("lone high surrogate", r'{"s":"\ud800"}')
    add("lone low surrogate", r'{"s":"\udc00"}')
    add("reversed surrogate pair", r'{"s":"\ude00\ud83d"}')
    add("top-level array", "[{}]")
    add("top-level string", '"{}"')
    add("top-level number", "1")
    add("top-level null", "null")
    add("empty input", "")
    add("trailing garbage", '{"a":1} x')
    add("two objects", "{}{}")
    add("trailing comma", '{"a":1,}')
    add("NaN", '{"n":NaN}')
    add("Infinity", '{"n":Infinity}')
    add("-Infinity", '{"n":-Infinity}')
    add("number out of range", '{"n":1e400}')
    add("negative number out of range", '{"n":-1e309}')
    add("leading zero", '{"n":01}')
    add("single quotes", "{'a':1}")
    add("raw control character in a string", '{"s":"a\tb"}')
    add("byte order mark", "\ufeff{}")
    add("comment", '{"a":1 /* c */}')
    return v


def hex_vectors():
    return [
        ("invalid UTF-8: lone continuation byte", b'{"s":"\x80"}'),
        ("invalid UTF-8: truncated sequence", b'{"s":"\xc3"}'),
        ("invalid UTF-8: overlong slash", b'{"s":"\xc0\xaf"}'),
        ("invalid UTF-8: encoded surrogate", b'{"s":"\xed\xa0\x80"}'),
        ("invalid UTF-8: 0xff", b'\xff{}'),
        ("NUL byte outside a string", b'{}\x00'),
    ]


def gen():
    for name, d in vectors():
        row = {"name": name, "definition": d}
        row.update(expected(d.encode("utf-8", "surrogatepass")))
        print(json.dumps(row, ensure_ascii=False))
    for name, b in hex_vectors():
        row = {"name": name, "definition_hex": b.hex()}
        row.update(expected(b))
        print(json.dumps(row, ensure_ascii=False))


def check(path):
    bad = 0
    n = 0
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            n += 1
            row = json.loads(line)
            b = bytes.fromhex(row["definition_hex"]) if "definition_hex" in row else row["definition"].encode("utf-8")
            want = {k: row[k] for k in ("canonical", "digest", "error") if k in row}
            got = expected(b)
            if got != want:
                bad += 1
                print(f"{path}:{i}: {row['name']}: want {want}, got {got}")
    print(f"pins: {n - bad} passed, {bad} failed")
    return bad == 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["gen"]:
        gen()
    elif sys.argv[1:2] == ["check"] and len(sys.argv) == 3:
        sys.exit(0 if check(sys.argv[2]) else 1)
    else:
        sys.exit(__doc__)
