#!/usr/bin/env bash
# tests/cli/layers.sh — the architecture of docs/architecture.md, checked on
# the built tree by scripts/check-layers.py: the direction of dependencies
# (core <- anchor <- notary, core <- anchor <- verifier), no include or call
# circle between files, the verifier binary without notary code, no C file
# over 900 lines. First the checker itself is shown to catch each kind of
# violation in a small planted tree, so it cannot pass by seeing nothing.
# Ends with one line "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh

BUILD=${BUILD:-build}
CHECK="$PWD/scripts/check-layers.py"
for tool in python3 nm cc; do
    command -v "$tool" >/dev/null || { fail "$tool is not installed"; finish; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cn-layers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# --- the checker catches what it should ------------------------------------------------
plant() { # DIR: a tiny tree with one violation of each rule
    local d=$1
    mkdir -p "$d"/{core,anchor,notary/cli,notary/store,verifier} "$d/b/obj/core" "$d/b/obj/anchor" \
        "$d/b/obj/notary/store" "$d/b/obj/notary/cli" "$d/b/obj/verifier" "$d/b/bin"
    printf '#include "anchor/a.h"\nint core_x(void);\n' > "$d/core/c.h"          # direction
    printf '#include "core/c.h"\n#include "anchor/b.h"\n' > "$d/anchor/a.h"         # include circle a <-> b
    printf '#include "anchor/a.h"\n' > "$d/anchor/b.h"
    printf '#include "notary/cli/x.h"\n' > "$d/notary/store/s.h"                     # cli-outside
    printf '\n' > "$d/notary/cli/x.h"
    printf 'int f2(void);\nint f1(void) { return f2(); }\n' > "$d/anchor/p.c"           # call circle p <-> q
    printf 'int f1(void);\nint f2(void) { return 0; }\nint f3(void) { return f1(); }\n' > "$d/anchor/q.c"
    printf 'int notary_thing(void) { return 1; }\n' > "$d/notary/store/n.c"
    printf 'int core_x(void) { return 0; }\n' > "$d/core/c.c"
    printf 'int main(void) { return 0; }\n' > "$d/notary/cli/m.c"
    printf 'int notary_thing(void) { return 2; }\nint main(void) { return notary_thing(); }\n' > "$d/verifier/v.c"
    for f in anchor/p anchor/q notary/store/n core/c notary/cli/m verifier/v; do
        cc -c "$d/$f.c" -o "$d/b/obj/$f.o"
    done
    cc "$d/b/obj/verifier/v.o" -o "$d/b/bin/verifier"                                # verifier-binary
    seq 1 950 | sed 's|^|// |' > "$d/core/big.c"                                      # file-size
    cc -c "$d/core/big.c" -o "$d/b/obj/core/big.o"
}
plant "$tmp/bad"
out=$(cd "$tmp/bad" && python3 "$CHECK" b 2>&1); rc=$?
check "the checker fails a tree that breaks the rules" test "$rc" -eq 1
for rule in "direction.*core/c.h includes anchor/a.h" \
            "cli-outside.*notary/store/s.h includes notary/cli/x.h" \
            "include-circle.*anchor/a.h -> anchor/b.h" \
            "call-circle.*anchor/p.c <-> anchor/q.c" \
            "verifier-binary.*contains notary_thing" \
            "file-size.*core/big.c has 950 lines"; do
    if grep -Eq "^FAIL $rule" <<<"$out"; then ok "the checker catches: $rule"
    else fail "the checker misses: $rule"; echo "$out" | sed 's/^/    /'; fi
done

# --- the project's own tree ------------------------------------------------------------
if [ ! -x "$BUILD/bin/verifier" ] || [ ! -x "$BUILD/bin/notary" ]; then
    fail "$BUILD/bin is not built (make first)"
    finish
fi
out=$(python3 "$CHECK" "$BUILD" 2>&1)
while IFS= read -r line; do
    case "$line" in
        "ok   "*) ok "${line#ok   }" ;;
        "FAIL "*) fail "${line#FAIL }" ;;
    esac
done <<<"$out"
finish
