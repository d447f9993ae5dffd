"""Write ``docs/_intersphinx/python.inv``: the Python objects our pages link to.

Sphinx normally downloads ``objects.inv`` from docs.python.org; our builds
run without network, so this script writes a small inventory with the
targets the documentation uses.  Run it again after referring to a new
standard-library name::

    python docs/_tools/make_python_inventory.py
"""

from __future__ import annotations

import os
import zlib

BASE = "library/"
ENTRIES = [
    # (name, domain:role, page#anchor)
    ("dict", "py:class", "stdtypes.html#dict"),
    ("list", "py:class", "stdtypes.html#list"),
    ("tuple", "py:class", "stdtypes.html#tuple"),
    ("str", "py:class", "stdtypes.html#str"),
    ("bytes", "py:class", "stdtypes.html#bytes"),
    ("int", "py:class", "functions.html#int"),
    ("float", "py:class", "functions.html#float"),
    ("bool", "py:class", "functions.html#bool"),
    ("object", "py:class", "functions.html#object"),
    ("dict.get", "py:method", "stdtypes.html#dict.get"),
    ("dict.setdefault", "py:method", "stdtypes.html#dict.setdefault"),
    ("dict.update", "py:method", "stdtypes.html#dict.update"),
    ("dict.keys", "py:method", "stdtypes.html#dict.keys"),
    ("dict.items", "py:method", "stdtypes.html#dict.items"),
    ("dict.values", "py:method", "stdtypes.html#dict.values"),
    ("Exception", "py:exception", "exceptions.html#Exception"),
    ("ValueError", "py:exception", "exceptions.html#ValueError"),
    ("TypeError", "py:exception", "exceptions.html#TypeError"),
    ("SyntaxError", "py:exception", "exceptions.html#SyntaxError"),
    ("RuntimeError", "py:exception", "exceptions.html#RuntimeError"),
    ("OSError", "py:exception", "exceptions.html#OSError"),
    ("KeyError", "py:exception", "exceptions.html#KeyError"),
    ("StopIteration", "py:exception", "exceptions.html#StopIteration"),
    ("DeprecationWarning", "py:exception", "exceptions.html#DeprecationWarning"),
    ("datetime.datetime", "py:class", "datetime.html#datetime.datetime"),
    ("collections.abc.MutableMapping", "py:class", "collections.abc.html#collections.abc.MutableMapping"),
    ("collections.abc.Mapping", "py:class", "collections.abc.html#collections.abc.Mapping"),
    ("enum.IntEnum", "py:class", "enum.html#enum.IntEnum"),
    ("enum.Enum", "py:class", "enum.html#enum.Enum"),
    ("io.StringIO", "py:class", "io.html#io.StringIO"),
    ("datetime", "py:module", "datetime.html#module-datetime"),
    ("pickle", "py:module", "pickle.html#module-pickle"),
    ("re", "py:module", "re.html#module-re"),
]


def main() -> None:
    lines = [f"{name} {role} 1 {BASE}{target} -" for name, role, target in ENTRIES]
    header = (
        "# Sphinx inventory version 2\n"
        "# Project: Python\n"
        "# Version: 3\n"
        "# The remainder of this file is compressed using zlib.\n"
    ).encode()
    body = zlib.compress(("\n".join(lines) + "\n").encode())
    out = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "_intersphinx", "python.inv")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "wb") as f:
        f.write(header + body)


if __name__ == "__main__":
    main()
