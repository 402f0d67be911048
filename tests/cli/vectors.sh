#!/usr/bin/env bash
# tests/cli/vectors.sh — the test vectors are what the repository says they are,
# and the tests read nothing outside the repository:
#  1. tests/vectors/eth/generate.mjs (pinned ethers, seeded, no clock or
#     randomness) regenerated into a temporary folder gives exactly the
#     committed files, byte for byte, and no other file;
#  2. no file under tests/, scripts/, bench/, .ci/ nor the Makefile reaches
#     outside the repository: no path into the team folder beside a developer's
#     checkout (users do not have it), no absolute path into this machine's
#     /work, no run of ../ that climbs above the root, no symlink leaving it.
#     The scanner is first shown to catch each kind of escape in planted files.
# Ends with one line "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh

scratch_dir vectors

# --- 1. the eth/ set is the generator's output --------------------------------
ETH=tests/vectors/eth
require_node_tools
if out=$(node "$ETH/generate.mjs" "$tmp/eth" 2>&1); then
    ok "node $ETH/generate.mjs ran"
else
    fail "node $ETH/generate.mjs failed:"
    sed 's/^/    /' <<<"$out"
    finish
fi
committed=$(cd "$ETH" && ls | grep -vx 'generate.mjs' | sort)
generated=$(cd "$tmp/eth" && ls | sort)
if [ "$committed" = "$generated" ]; then
    ok "the generator writes exactly the committed files: $(echo $generated)"
else
    fail "file lists differ: committed [$(echo $committed)], generated [$(echo $generated)]"
fi
for f in $generated; do
    if [ ! -f "$ETH/$f" ]; then
        fail "$f: generated but not committed"
    elif cmp -s "$tmp/eth/$f" "$ETH/$f"; then
        ok "$f is byte-identical to a fresh run ($(wc -c <"$ETH/$f") bytes)"
    else
        fail "$f differs from a fresh run: $(cmp "$tmp/eth/$f" "$ETH/$f" 2>&1 | head -n 1)"
    fi
done
if [ "$(wc -l <"$ETH/es6-numbers.txt")" -eq 10000 ]; then
    ok "es6-numbers.txt has 10,000 lines"
else
    fail "es6-numbers.txt has $(wc -l <"$ETH/es6-numbers.txt") lines, want 10,000"
fi

# --- 2. nothing reads outside the repository ---------------------------------------
# escapes ROOT FILE...: print "file:line: text" for every reach outside ROOT.
# Comment lines are skipped (they read nothing), and so are lines marked
# "path-scan: test input" (a hostile path a test feeds to our code). A run of ../ right after the
# file's own folder (dirname "$0", __dirname, import.meta) may climb as many
# levels as the file is deep; any other run of ../ at the start of a path is
# relative to the working directory, which the scripts and tests set to the
# root, so it leaves the repository ("dir/../x" stays wherever dir is). So
# do quoted '..' components, except path.join(__dirname, '..', ...) up to the
# file's depth.
escapes() {
    python3 - "$@" <<'EOF'
import os, re, sys
root, files = sys.argv[1], sys.argv[2:]
comment = re.compile(r'^\s*(#|//|/\*|\*|--|;)')
fixed = [re.compile(p) for p in (r'\.\./+shar[e]d\b', r'(?<![\w.$])/work/', r'/shar[e]d/vectors\b')]
# a run of ../ (with any final ..) and what comes just before it
run = re.compile(r'(?P<pre>.{0,24}?)(?P<run>(?:\.\./+)+(?:\.\.(?![\w.]))?|\.\.(?=["\'`)\s]|$))')
own_dir = re.compile(r'(dirname\s*"?\$\{?0\}?"?\)?"?|__dirname\s*,\s*[\'"`]?|import\.meta[\w.]*\s*\)?\s*,?\s*[\'"`]?)/?$')
# ES modules resolve these against the file itself, like the file's folder:
# import ... from '../x', import('../x'), new URL('../x', import.meta.url)
module_rel = re.compile(r'(\bfrom\s*|\bimport\s*\(\s*|\bnew URL\(\s*)[\'"`]$')
# path.join(__dirname, '..', '..', ...) or path.resolve(path.dirname(new
# URL(import.meta.url).pathname), '..'): quoted components after the file's folder
js_up = re.compile(r'(?:__dirname|import\.meta\.url\)?(?:\.pathname)?\)?)\s*,\s*((?:([\'"`])\.\.\2\s*,?\s*)+)')
quoted_up = re.compile(r'([\'"`])\.\.\1')
for f in files:
    rel = os.path.relpath(f, root)
    if os.path.islink(f):
        target = os.path.realpath(f)
        if os.path.relpath(target, os.path.realpath(root)).startswith('..'):
            print(f'{rel}: symlink to {os.readlink(f)} leaves the repository')
        continue
    depth = rel.count('/')
    try:
        text = open(f, encoding='utf-8', errors='replace').read()
    except OSError as e:
        print(f'{rel}: cannot read: {e}')
        continue
    for n, line in enumerate(text.split('\n'), 1):
        if comment.match(line) or 'path-scan: test input' in line:
            continue
        bad = any(p.search(line) for p in fixed)
        for m in run.finditer(line):
            r, pre = m.group('run'), m.group('pre')
            ups = r.count('..')
            if own_dir.search(pre) or module_rel.search(pre):
                bad = bad or ups > depth
            elif '/' in r and (not pre or pre[-1] in ' \t"\'`=(:,<>'):
                bad = True  # a path that starts with ../: relative to the root
            # else "dir/../x" (stays wherever dir is), Lua's "..", an ellipsis
        rest = line
        for m in js_up.finditer(line):
            bad = bad or m.group(1).count('..') > depth
            rest = rest.replace(m.group(1), '')
        bad = bad or bool(quoted_up.search(rest))
        if bad:
            print(f'{rel}:{n}: {line.strip()[:160]}')
EOF
}

# The scanner must catch what it is for: planted files, one escape each.
plant="$tmp/plant"
mkdir -p "$plant/tests/cli"
# (the team folder's name is put together here, so that this file itself holds
# no path out of the repository, only the planted files do)
team=sha
team+=red
printf '%s\n' "x=\$(cat ../$team/vectors/eth/rlp.json)" >"$plant/tests/cli/a.sh"
printf '%s\n' "VECTORS=/work/$team/vectors make test" >"$plant/tests/cli/b.sh"
printf '%s\n' 'cd "$(dirname "$0")/../../.."' >"$plant/tests/cli/c.sh"
printf '%s\n' 'fopen("../vectors/x.json", "r");' >"$plant/tests/cli/d.c"
printf '%s\n' "require(path.join(__dirname, '..', '..', '..', 'x'));" >"$plant/tests/cli/f.js"
printf '%s\n' "import { x } from '../../../x.js';" >"$plant/tests/cli/g.mjs"
printf '%s\n' "const d = new URL('../../../../$team/', import.meta.url);" >"$plant/tests/cli/h.mjs"
ln -s /etc/hostname "$plant/tests/cli/e.json"
printf '%s\n' 'cd "$(dirname "$0")/../.."' "# CI has ../$team, users do not" \
    'snprintf(p, n, "%s/../output/%s", dir, name);' "path.resolve(__dirname, '..', '..')" \
    'x = a .. "/?.lua;" .. b' 'echo "waiting..."' >"$plant/tests/cli/fine.sh"
printf '%s\n' "import { v } from '../../web/verify.js';" "const c = new URL('../lib/x', import.meta.url);" \
    "const r = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');" \
    >"$plant/tests/cli/fine.mjs"
found=$(escapes "$plant" "$plant"/tests/cli/*)
for f in a.sh b.sh c.sh d.c e.json f.js g.mjs h.mjs; do
    expect_grep "the scanner catches the planted escape in $f" "^tests/cli/$f" "$found"
done
if grep -q '^tests/cli/fine\.' <<<"$found"; then
    fail "the scanner flags legitimate paths: $(grep '^tests/cli/fine\.' <<<"$found")"
else
    ok "the scanner passes a file's own ../.. to the root (also ES module paths), comments, dir/../x, Lua's .., ellipses"
fi

# The repository itself: tracked files (a clone has nothing else), minus the
# vector data and the fuzz dictionaries and seeds (test input, not code that
# opens files) and this script (its
# planted escapes and patterns are escapes by design).
skip='^tests/vectors/.*\.\(json\|txt\)$\|^tests/cli/vectors\.sh$\|^tests/fuzz/.*\.dict$\|^tests/fuzz/corpus/'
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t scope < <(git ls-files -- tests scripts bench .ci Makefile | grep -v "$skip")
else
    mapfile -t scope < <(find tests scripts bench .ci Makefile \( -type f -o -type l \) | grep -v "$skip")
fi
if [ ${#scope[@]} -ge 20 ] && printf '%s\n' "${scope[@]}" | grep -qx 'tests/run.sh'; then
    ok "scanning ${#scope[@]} files under tests/, scripts/, bench/, .ci/ and the Makefile"
else
    fail "only ${#scope[@]} files to scan (not run from a checkout?)"
fi
found=$(escapes . "${scope[@]}")
if [ -z "$found" ]; then
    ok "no file reaches outside the repository"
else
    fail "files that reach outside the repository:"
    sed 's/^/    /' <<<"$found"
fi
# And the vector data holds no link out (tests/vectors is read by path).
links=$(find tests/vectors -type l)
if [ -z "$links" ]; then
    ok "tests/vectors holds no symlinks"
else
    fail "symlinks in tests/vectors: $links"
fi

finish
