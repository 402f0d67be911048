#!/usr/bin/env bash
# tests/cli/packaging.sh — what `make install` gives an operator (issue 17,
# item 3), installed into a staging root with DESTDIR=$tmp PREFIX=/usr:
#   - exactly the expected files (commands, man pages, systemd unit, sysusers
#     file, env example) with sane modes, nothing group/world-writable, and
#     no side effect outside DESTDIR (no `notary` user created here);
#   - the unit passes `systemd-analyze verify` (on a copy whose ExecStart is
#     the staged binary, with MANPATH on the staged man pages) without a
#     single message, and broken copies of it do not: so the check can fail;
#     its sandbox keeps `systemd-analyze security` exposure low, and it has
#     the settings the issue asks for; TimeoutStopSec leaves room for the
#     SIGTERM drain (`notary serve --drain-timeout`'s default, read from --help);
#   - the sysusers file creates the system user the unit runs as (in a
#     scratch root, systemd-sysusers --root);
#   - both man pages render with man -l and groff -ww without a warning; each
#     has a subsection for every command `--help` lists and names every
#     option of every command's --help, every exit status and every NOTARY_*
#     variable the binary reads (a command, option or variable added without
#     documentation fails here);
#   - the env example is KEY=value lines that bash and the unit read alike,
#     holds no secret, uses only names the unit or notary know, and the unit's
#     ExecStart, expanded with it as systemd would, is a valid `notary serve`
#     command line (checked with --print-routes, and a bad option fails).
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
BUILD=${BUILD:-build}
ROOT=$PWD

for tool in systemd-analyze systemd-sysusers man groff python3; do
    command -v "$tool" >/dev/null || { fail "$tool is missing: run scripts/setup.sh"; finish; }
done
scratch_dir packaging
D=$tmp/root # the DESTDIR
export LC_ALL=C

# --- make install into a staging root -----------------------------------------------
user_before=$(getent passwd notary || true)
expect_exit 0 "make install DESTDIR PREFIX=/usr" \
    make -s --no-print-directory -C "$ROOT" install DESTDIR="$D" PREFIX=/usr BUILD="$BUILD"

want="0755 usr/bin/notary
0755 usr/bin/verifier
0644 usr/lib/systemd/system/notary.service
0644 usr/lib/sysusers.d/notary.conf
0644 usr/share/doc/notary/notary.env.example
0644 usr/share/man/man1/notary.1
0644 usr/share/man/man1/verifier.1"
got=$(cd "$D" && find . -type f -printf '%#m %P\n' | sed 's/^0*\([0-7]\{4\}\) /\1 /' | sort -k2)
if [ "$got" = "$want" ]; then ok "exactly the expected files, with their modes"; else
    fail "installed files differ:"; diff <(echo "$want") <(echo "$got") | sed 's/^/    /'; fi
writable=$(find "$D" -mindepth 1 -perm /022 -printf '%P\n')
[ -z "$writable" ] && ok "nothing installed is group- or world-writable" ||
    fail "group/world-writable: $writable"
[ "$(getent passwd notary || true)" = "$user_before" ] &&
    ok "a DESTDIR install touched no user account" || fail "make install DESTDIR created a user"
expect_exit 0 "the staged notary runs" "$D/usr/bin/notary" --help
expect_exit 0 "the staged verifier runs" "$D/usr/bin/verifier" --help

# --- the unit -----------------------------------------------------------------------
UNIT=$D/usr/lib/systemd/system/notary.service
unit_has() { # NAME KEY=VALUE...: one check that the unit sets each line exactly
    local name=$1 miss=(); shift
    for l in "$@"; do grep -qxF -- "$l" "$UNIT" || miss+=("$l"); done
    [ ${#miss[@]} -eq 0 ] && ok "$name" || fail "$name: missing ${miss[*]}"
}
grep -q '@[A-Z]*@' "$UNIT" && fail "unit still holds @PLACEHOLDERS@" || ok "unit placeholders filled in"
grep -q '^ExecStart=/usr/bin/notary ' "$UNIT" && ok "ExecStart is PREFIX/bin/notary" ||
    fail "ExecStart: $(grep ^ExecStart= "$UNIT")"
unit_has "dedicated user" User=notary Group=notary
unit_has "sandbox the issue asks for" ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes \
    ProtectHome=yes PrivateDevices=yes UMask=0077 \
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX'
unit_has "the data directory is the one writable path" StateDirectory=notary \
    ReadWritePaths=/var/lib/notary Environment=NOTARY_DATA=/var/lib/notary
unit_has "restart on failure (not on a usage error), SIGTERM to stop" Restart=on-failure \
    RestartPreventExitStatus=2 KillSignal=SIGTERM
if grep -q '^ExecStart=.*--password-file \${CREDENTIALS_DIRECTORY}/password' "$UNIT" &&
   grep -q '^LoadCredential=password:/etc/notary/password$' "$UNIT" &&
   ! grep -qi 'password=' "$UNIT"; then ok "password as a credential file, never a value in the unit"
else fail "password handling in the unit"; fi
drain=$("$D/usr/bin/notary" serve --help | sed -n 's/.*--drain-timeout SEC.*(default \([0-9]*\)).*/\1/p')
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$UNIT")
if [ -n "$drain" ] && [ -n "$stop" ] && [ "$stop" -ge $((drain + 60)) ]; then
    ok "TimeoutStopSec=$stop leaves room for the ${drain}s drain and the scheduler's stop"
else fail "TimeoutStopSec '$stop' vs drain timeout '$drain'"; fi

# systemd-analyze verify needs the ExecStart binary where the unit says: a copy
# that runs the staged one. "Passes" means exit 0 AND no message at all, since
# unknown keys and bad values are only warnings for systemd.
mkdir -p "$tmp/verify"
verify_unit() { # FILE: exit 0 and silent
    local out
    out=$(MANPATH=$D/usr/share/man systemd-analyze verify "$1" 2>&1) && [ -z "$out" ] ||
        { [ -n "$out" ] && sed 's/^/    /' <<<"$out"; return 1; }
}
sed "s|^ExecStart=/usr/bin/notary |ExecStart=$D/usr/bin/notary |" "$UNIT" >"$tmp/verify/notary.service"
check "systemd-analyze verify: the installed unit, no message" verify_unit "$tmp/verify/notary.service"
broken() { # NAME SED-EXPRESSION: the check must reject this copy
    mkdir -p "$tmp/broken/$1"
    sed "$2" "$tmp/verify/notary.service" >"$tmp/broken/$1/notary.service"
    if verify_unit "$tmp/broken/$1/notary.service" >/dev/null; then
        fail "verify accepted a broken unit ($1)"; else ok "verify rejects a broken unit ($1)"; fi
}
broken missing-binary "s|^ExecStart=$D/usr/bin/notary |ExecStart=$tmp/nonexistent/notary |"
broken unknown-key 's|^Restart=on-failure|Restartt=on-failure|'
broken bad-value 's|^ProtectSystem=strict|ProtectSystem=stricter|'
broken missing-manpage 's|^Documentation=.*|Documentation=man:notary-nonexistent(8)|'
# The sandbox as systemd scores it (0 = locked down, 100 = none); this unit
# scores about 1.5. A copy without its hardening lines must score worse.
expect_exit 0 "systemd-analyze security: exposure at most 2.5" \
    systemd-analyze security --offline=yes --man=no --threshold=25 "$tmp/verify/notary.service"
has "security: exposure is reported" 'Overall exposure level'
mkdir -p "$tmp/weak"
sed '/^# Hardening\./,/^\[Install\]/{/^\[Install\]/!d}' "$tmp/verify/notary.service" >"$tmp/weak/notary.service"
expect_exit 1 "security: the unit without its hardening is over the threshold" \
    systemd-analyze security --offline=yes --man=no --threshold=25 "$tmp/weak/notary.service"

# --- the system user ----------------------------------------------------------------
S=$tmp/sysroot
mkdir -p "$S/etc" "$S/usr/lib/sysusers.d"
cp "$D/usr/lib/sysusers.d/notary.conf" "$S/usr/lib/sysusers.d/"
expect_exit 0 "systemd-sysusers creates the user in a scratch root" systemd-sysusers --root="$S"
if [ -z "$(grep -v '^Creating \(group\|user\) ' <<<"$LAST_ERR")" ]; then ok "sysusers file: no complaint"
else fail "sysusers: $LAST_ERR"; fi
pw=$(grep '^notary:' "$S/etc/passwd" || true)
IFS=: read -r _ _ uid _ _ home shell <<<"$pw"
if [ -n "$pw" ] && [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/notary ] && [[ "$shell" == */nologin ]]; then
    ok "user notary: system uid $uid, home /var/lib/notary, no login shell"
else fail "passwd line: '$pw'"; fi
user=$(sed -n 's/^User=//p' "$UNIT")
grep -q "^u[[:space:]]\+$user[[:space:]]" "$S/usr/lib/sysusers.d/notary.conf" &&
    ok "the unit's User= is the user the sysusers file creates" || fail "User=$user not in sysusers"

# --- man pages ----------------------------------------------------------------------
for page in notary verifier; do
    f=$D/usr/share/man/man1/$page.1
    warn=$(MANWIDTH=80 man -l --warnings "$f" 2>&1 >/dev/null)
    [ -z "$warn" ] && ok "man -l --warnings $page.1: no warning" || fail "man -l $page.1: $warn"
    warn=$(groff -ww -z -mandoc "$f" 2>&1)
    [ -z "$warn" ] && ok "groff -ww $page.1: no warning" || fail "groff $page.1: $warn"
    found=$(MANPATH=$D/usr/share/man man -w "$page" 2>/dev/null)
    [ "$found" = "$f" ] && ok "man finds $page(1) under PREFIX/share/man" || fail "man -w $page: '$found'"
done

# One line per paragraph (a wide page), so no option is split at a line end.
render() { MANWIDTH=2000 man -l "$1" 2>/dev/null; }
# section TEXT NAME: the lines of the subsection "   NAME" (up to the next heading)
section() { awk -v n="   $2" '$0 == n { on = 1; next } on && /^(   )?[^ ]/ { exit } on' <<<"$1"; }
# options HELP-TEXT: every --long option it names, one per line
options() { grep -oE -- '(^|[^A-Za-z0-9-])--[a-z][a-z0-9-]*' <<<"$1" | sed 's/^[^-]*//' | sort -u; }
# covers WHAT PAGE-TEXT HELP-TEXT: one check that every option of HELP-TEXT is in PAGE-TEXT
covers() {
    local miss=() o
    for o in $(options "$3"); do grep -qF -- "$o" <<<"$2" || miss+=("$o"); done
    [ ${#miss[@]} -eq 0 ] && ok "$1: every option of its --help" || fail "$1: undocumented ${miss[*]}"
}
# commands HELP-TEXT HEADER: the command names listed under HEADER ("commands:"),
# one per line ("revocations export" stays two words)
commands() {
    awk -v h="$2" '$0 == h { on = 1; next } on && /^$/ { exit }
        on { sub(/^  +/, ""); split($0, p, /  +/); print p[1] }' <<<"$1"
}

N="$D/usr/bin/notary"
page=$(render "$D/usr/share/man/man1/notary.1")
help=$("$N" --help)
cmds=$(commands "$help" "commands:")
[ "$(wc -l <<<"$cmds")" -ge 10 ] && ok "notary --help lists $(wc -l <<<"$cmds") commands" ||
    fail "could not read the command list of notary --help: $cmds"
covers "notary(1) global options" "$(sed -n '/^GLOBAL OPTIONS/,/^COMMANDS/p' <<<"$page")" \
    "$(sed -n '/^global options:/,/^$/p' <<<"$help")"
while read -r c; do
    sec=$(section "$page" "$c")
    if [ -z "$sec" ]; then fail "notary(1) has no subsection for '$c'"; continue; fi
    # shellcheck disable=SC2086 # "revocations export" is two arguments
    covers "notary(1) $c" "$sec" "$("$N" $c --help 2>&1)"
done <<<"$cmds"
thelp=$("$N" token --help)
for sub in $(sed -n 's/^ *\(usage:\)\? *notary token \([a-z]*\).*/\2/p' <<<"$thelp"); do
    section "$page" token | grep -q "notary token $sub" && ok "notary(1) token $sub" ||
        fail "notary(1) does not show 'notary token $sub'"
done
exits=$(sed -n '/^EXIT STATUS/,/^[A-Z]/p' <<<"$page")
for code in $(grep -i 'exit status:' <<<"$help" | grep -oE '\b[0-9] [a-z]' | cut -c1); do
    grep -qE "^     $code +[A-Z]" <<<"$exits" && ok "notary(1) exit status $code" ||
        fail "notary(1) EXIT STATUS lacks $code"
done
envs=$(sed -n '/^ENVIRONMENT/,/^FILES/p' <<<"$page")
# NOTARY_FAULT is the tests' fault injection (notary/anchoring/anchoring.c), not for operators.
for v in $(strings "$N" | grep -xE 'NOTARY_[A-Z_]+' | grep -vx NOTARY_FAULT | sort -u); do
    grep -q "^     $v\$" <<<"$envs" && ok "notary(1) ENVIRONMENT: $v" || fail "notary(1) ENVIRONMENT lacks $v"
done

V="$D/usr/bin/verifier"
page=$(render "$D/usr/share/man/man1/verifier.1")
help=$("$V" --help)
cmds=$(commands "$help" "Commands:")
[ "$(wc -l <<<"$cmds")" -ge 2 ] && ok "verifier --help lists $(wc -l <<<"$cmds") commands" ||
    fail "could not read the command list of verifier --help: $cmds"
while read -r c; do
    sec=$(section "$page" "$c")
    if [ -z "$sec" ]; then fail "verifier(1) has no subsection for '$c'"; continue; fi
    covers "verifier(1) $c" "$sec" "$("$V" "$c" --help 2>&1)"
    grep -q "^     verifier $c " <<<"$(sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' <<<"$page")" &&
        ok "verifier(1) SYNOPSIS shows $c" || fail "verifier(1) SYNOPSIS lacks $c"
done <<<"$cmds"
exits=$(sed -n '/^EXIT STATUS/,/^EXAMPLES/p' <<<"$page")
for code in $(grep -A1 'Exit status:' <<<"$help" | grep -oE '\b[0-9] [A-Za-z]' | cut -c1 | sort -u); do
    [ "$(grep -cE "^     $code +[A-Z]" <<<"$exits")" -ge 1 ] && ok "verifier(1) exit status $code" ||
        fail "verifier(1) EXIT STATUS lacks $code"
done
for word in $(grep -A1 'Exit status:' <<<"$help" | grep -oE '\b[0-9] [A-Z]+\b' | tr ' ' :); do
    grep -qE "^     ${word%%:*} +${word#*:}" <<<"$exits" && ok "verifier(1) exit status ${word/:/ }" ||
        fail "verifier(1) EXIT STATUS lacks ${word/:/ }"
done

# --- the env example ----------------------------------------------------------------
E=$D/usr/share/doc/notary/notary.env.example
bad=$(grep -vE '^[[:space:]]*(#|$)' "$E" | grep -vE '^[A-Za-z_][A-Za-z0-9_]*=("[^"]*"|[^"[:space:]]*)$' || true)
[ -z "$bad" ] && ok "env example: only KEY=value lines (values with spaces quoted)" ||
    fail "env example lines systemd and bash may read differently: $bad"
keys=$(grep -oE '^[A-Za-z_][A-Za-z0-9_]*' <(grep -vE '^[[:space:]]*(#|$)' "$E") | sort -u)
[ -n "$keys" ] && ok "env example sets $(wc -w <<<"$keys") variables" || fail "env example sets nothing"
grep -qiE '^[^#]*(PASSWORD|TOKEN|SECRET|KEY)[A-Z_]*=' "$E" && fail "env example sets a secret" ||
    ok "env example holds no secret"
known=$( { grep -oE '\$\{?[A-Z_]+' "$UNIT" | tr -d '${'; sed -n 's/^Environment=\([A-Z_]*\)=.*/\1/p' "$UNIT";
           strings "$N" | grep -xE 'NOTARY_[A-Z_]+'; } | sort -u)
unknown=$(comm -23 <(echo "$keys") <(echo "$known"))
[ -z "$unknown" ] && ok "env example: every name is one the unit or notary uses" ||
    fail "env example names nobody reads: $unknown"
# The same values through bash ...
bash_env=$(env -i bash -c 'set -a; . "$1"; for k in $2; do printf "%s=%s\n" "$k" "${!k}"; done' _ "$E" "$keys")
# ... and through systemd's rules (EnvironmentFile= after Environment=; quotes
# removed), then ExecStart expanded: "${X}" stays one word, a bare "$X" splits.
# The staged binary and a credentials directory stand in for the real ones.
mkdir -p "$tmp/cred" "$tmp/data"
: >"$tmp/cred/password"
expand_exec() { # UNIT ENVFILE: the ExecStart words, one per line
    python3 - "$1" "$2" "$tmp/cred" <<'PY'
import re, shlex, sys
unit, envfile, cred = sys.argv[1:4]
env = {"CREDENTIALS_DIRECTORY": cred}
execstart = None
for line in open(unit):
    line = line.rstrip("\n")
    if line.startswith("Environment="):
        k, _, v = line[len("Environment="):].partition("=")
        env[k] = v
    elif line.startswith("ExecStart="):
        execstart = line[len("ExecStart="):]
for line in open(envfile):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    k, _, v = line.partition("=")
    if len(v) >= 2 and v[0] == v[-1] == '"':
        v = v[1:-1]
    env[k] = v
words = []
for w in shlex.split(execstart):
    m = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", w)
    if m:
        words += env.get(m.group(1), "").split()
    else:
        words.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env[m.group(1)], w))
print("\n".join(words))
PY
}
sysd_env=$(env -i bash -c 'set -a; . "$1"; for k in $2; do printf "%s=%s\n" "$k" "${!k}"; done' _ \
    <(python3 -c 'import sys
for l in open(sys.argv[1]):
    l = l.strip()
    if l and not l.startswith("#"):
        k, _, v = l.partition("=")
        v = v[1:-1] if len(v) >= 2 and v[0] == v[-1] == "\"" else v
        print(k + "=" + "\x27" + v + "\x27")' "$E") "$keys")
[ "$bash_env" = "$sysd_env" ] && ok "env example: bash and systemd's quoting give the same values" ||
    fail "env example read differently: bash '$bash_env' systemd '$sysd_env'"
run_exec() { # ENVFILE: the unit's ExecStart as systemd would run it, plus --print-routes
    local words=()
    mapfile -t words < <(expand_exec "$UNIT" "$1")
    words[0]=$D${words[0]}
    NOTARY_DATA=$tmp/data "${words[@]}" --print-routes
}
expect_exit 0 "ExecStart with the env example is a valid notary serve command line" run_exec "$E"
has "ExecStart: the serve routes are printed" '/v1/'
sed 's|^NOTARY_SERVE_OPTS=.*|NOTARY_SERVE_OPTS="--close-at 25:00"|' "$E" >"$tmp/bad.env"
expect_exit 2 "ExecStart with a bad NOTARY_SERVE_OPTS is refused (the check can fail)" run_exec "$tmp/bad.env"

# --- uninstall ----------------------------------------------------------------------
expect_exit 0 "make uninstall" \
    make -s --no-print-directory -C "$ROOT" uninstall DESTDIR="$D" PREFIX=/usr BUILD="$BUILD"
left=$(find "$D" -type f)
[ -z "$left" ] && ok "make uninstall removes every installed file" || fail "left behind: $left"

finish
