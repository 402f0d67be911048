"""tests/lib/migrations.py — the schema migrations exactly as the notary
applies them, read from the C source (the MIGRATIONS array of
notary/store/sqlite_schema.c or notary/store/pg_conn.c), so an upgrade test
can build a store at any older schema version from the repository's own
migration history:

    python3 tests/lib/migrations.py notary/store/sqlite_schema.c 1   # prints migration 1
    python3 tests/lib/migrations.py notary/store/sqlite_schema.c     # prints the count

Run from the project root. Comments are dropped, adjacent string literals
joined; an entry may be a parenthesised group of literals."""
import re
import sys


def migrations(path):
    src = open(path).read()
    m = re.search(r"static const char \*const MIGRATIONS\[\] = \{", src)
    if not m:
        raise SystemExit(f"{path}: no MIGRATIONS array")
    i, out, cur, depth = m.end(), [], None, 0
    while True:
        c = src[i]
        if src.startswith("/*", i):
            i = src.index("*/", i) + 2
            continue
        if c == '"':
            j, lit = i + 1, []
            while src[j] != '"':
                if src[j] == "\\":
                    lit.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\", "'": "'"}[src[j + 1]])
                    j += 2
                else:
                    lit.append(src[j])
                    j += 1
            cur = (cur or "") + "".join(lit)
            i = j + 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            out.append(cur)
            cur = None
        elif c == "}" and depth == 0:
            if cur is not None:
                out.append(cur)
            return out
        i += 1


if __name__ == "__main__":
    ms = migrations(sys.argv[1])
    if len(sys.argv) > 2:
        sys.stdout.write(ms[int(sys.argv[2]) - 1])
    else:
        print(len(ms))
