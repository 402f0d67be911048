# tests/lib/check.sh — the counting helpers every scripted test (tests/cli/*.sh)
# shares. Source it after the `cd` to the project root:
#
#   . tests/lib/check.sh
#   ok "what held"; fail "what did not"     # count one check each
#   ... expect_exit 0 "init" "$NOTARY" init ...; has "init names the issuer" 0x
#   finish                                  # "N passed, N failed", then exit
#
# A scripted test ends with exactly one line "N passed, N failed" and exits
# non-zero on any failure (tests/run.sh sums the lines). A script may add to
# $passed and $failed itself (e.g. from another program's summary line).
# Nothing here depends on the script's own variables ($tmp, $BUILD): the
# helpers work from the moment this file is sourced.

passed=0
failed=0

# ok TEXT... / fail TEXT...: count one passed / failed check and say so.
ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

# finish: print the summary line and exit — status 0 only when nothing failed.
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

# check NAME COMMAND... [--and COMMAND...]: one check that passes when every
# COMMAND succeeds (all of them run, also after one has failed).
check() {
    local name=$1; shift
    local cmd=() good=1
    while [ $# -gt 0 ]; do
        if [ "$1" = --and ]; then "${cmd[@]}" || good=0; cmd=(); else cmd+=("$1"); fi
        shift
    done
    [ ${#cmd[@]} -eq 0 ] || "${cmd[@]}" || good=0
    if [ $good = 1 ]; then ok "$name"; else fail "$name"; fi
}

# expect_exit WANT NAME COMMAND...: one check that passes when COMMAND exits
# with status WANT. Afterwards LAST_OUT holds its stdout and LAST_ERR its
# stderr (for has, or the script's own greps); on a failure their last 15
# lines are shown. COMMAND runs in a subshell: it cannot set variables here.
expect_exit() {
    local want=$1 name=$2; shift 2
    local out rc _check_err
    _check_err=$(mktemp "${TMPDIR:-/tmp}/check-stderr.XXXXXX") || { fail "$name: mktemp"; return; }
    out=$("$@" 2>"$_check_err"); rc=$?
    LAST_ERR=$(cat "$_check_err")
    rm -f "$_check_err"
    if [ "$rc" -eq "$want" ]; then ok "$name (exit $rc)"; else
        fail "$name: exit $rc, want $want"; printf '%s\n%s\n' "$out" "$LAST_ERR" | tail -n 15 | sed 's/^/    /'; fi
    LAST_OUT=$out
}

# has NAME PATTERN: one check that passes when the last expect_exit's output
# (stdout and stderr) contains PATTERN (grep's basic regular expression).
has() {
    if grep -q -- "$2" <<<"$LAST_OUT$LAST_ERR"; then ok "$1"; else
        fail "$1: no '$2' in:"; printf '%s\n%s\n' "$LAST_OUT" "$LAST_ERR" | tail -n 8 | sed 's/^/    /'; fi
}

# expect_grep NAME PATTERN TEXT: one check that passes when TEXT contains
# PATTERN; on a failure the first 600 bytes of TEXT are shown.
expect_grep() {
    if grep -q -- "$2" <<<"$3"; then ok "$1"; else fail "$1: no '$2' in: $(head -c 600 <<<"$3")"; fi
}

# json_field PATH < JSON: print the member at the dotted PATH ("batch.root",
# "result.0.hash": an all-digit step indexes an array). A string prints bare,
# anything else as Python prints it (null as None); a missing member fails
# with a Python traceback on stderr and prints nothing.
json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if k.isdigit() else d[k]
print(d)' "$1"; }

# require_built FILE...: fail the test and finish unless every FILE is an
# executable (a binary of the build the test needs).
require_built() {
    local f
    for f in "$@"; do
        [ -x "$f" ] || { fail "$f is not built"; finish; }
    done
}

# require_verifier: V is the built verifier ($BUILD/bin/verifier; BUILD
# defaults to build), or the test fails and finishes.
require_verifier() {
    BUILD=${BUILD:-build}
    V="$BUILD/bin/verifier"
    require_built "$V"
}

# require_node_tools: install the pinned Node tools (scripts/setup.sh --npm .,
# only when missing), or fail the test and finish.
require_node_tools() {
    scripts/setup.sh --npm . >/dev/null ||
        { fail "scripts/setup.sh --npm . could not install the pinned Node tools"; finish; }
}

# scratch_dir NAME: make the scratch folder $tmp (NAME.XXXXXX under $TMPDIR)
# and remove it when the script exits (kept when KEEP_TMP is set): sets the
# EXIT trap. Fails the test and finishes when it cannot be made.
scratch_dir() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || { fail "mktemp -d"; finish; }
    trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
}
