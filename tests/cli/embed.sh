#!/usr/bin/env bash
# tests/cli/embed.sh — the holder's one-file credential and the verifier link
# (and `notary submit` refusing a credential that already carries its bundle)
# (issue 13 item 3; docs/proof-format.md §7-8), on a real local ganache:
#   - notary proof --embed → verifier verify FILE (no --proof) VALID online and
#     --offline; the embedded file's hash (verifier --json) equals the plain
#     credential's; a Data Integrity proof already in the credential is kept;
#   - an edited embedded credential, and an edited embedded bundle, INVALID;
#   - embedded + --proof, and a plain file without --proof: usage errors;
#     --embed of a raw (non-JSON) credential refused with exit 2;
#   - --link: the fragment decoded here (python base64url) equals the bundle's
#     RFC 8785 form; the decoded bundle verifies;
#   - --qr: PNG and SVG decoded by zbarimg (zbar, an independent decoder)
#     give back the printed link; a base URL too long for a QR code is refused.
# Ends with one line "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin embed
require_built "$NOTARY" "$VERIFIER"
command -v zbarimg >/dev/null || { fail "zbarimg is not installed (scripts/setup.sh: zbar-tools)"; finish; }

notary_ledger_start default
notary_dir
expect_exit 0 "init" notary_init_evm "$NOTARY_DATA" "$d/key.hex" --json
issuer=$DEV_ADDR_0

cat >"$d/vc.json" <<'J'
{
  "@context": ["https://www.w3.org/ns/credentials/v2"],
  "type": ["VerifiableCredential"],
  "issuer": "did:example:university",
  "validFrom": "2025-09-01T00:00:00Z",
  "credentialSubject": {"id": "did:example:alice", "degree": "BSc Physics"}
}
J
cat >"$d/vc-di.json" <<'J'
{"type": ["VerifiableCredential"], "issuer": "did:example:u", "credentialSubject": {"id": "did:example:bob"},
 "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofValue": "z3FXQjecWufY46"}}
J
printf 'a PDF diploma' >"$d/raw.bin"
for f in vc.json vc-di.json raw.bin; do "$NOTARY" submit --credential "$d/$f" >/dev/null; done
"$NOTARY" close >/dev/null
expect_exit 0 "anchor the batch" "$NOTARY" anchor --poll-ms 100

V() { "$VERIFIER" verify "$@"; }
ON=(--rpc "$LEDGER_URL" --issuer "$issuer")

# --- embed -----------------------------------------------------------------------
expect_exit 0 "proof --embed" "$NOTARY" proof --credential "$d/vc.json" --embed --out "$d/vc.embedded.json"
expect_exit 0 "embedded: VALID online without --proof" V "$d/vc.embedded.json" "${ON[@]}"
has "online: the anchor was checked" "Status: VALID: the credential is in a batch anchored"
expect_exit 0 "embedded: VALID --offline" V "$d/vc.embedded.json" --offline
"$NOTARY" proof --credential "$d/vc.json" >"$d/vc.proof.json"
expect_exit 0 "plain + bundle --json" V "$d/vc.json" --proof "$d/vc.proof.json" --offline --json
plain_hash=$(json_field credentialHash <<<"$LAST_OUT")
expect_exit 0 "embedded --json" V "$d/vc.embedded.json" --offline --json
emb_hash=$(json_field credentialHash <<<"$LAST_OUT")
# and both are SHA-256 of the RFC 8785 form, computed here without our code
# (the credential's strings are ASCII: sorted keys and no spaces are its JCS)
indep=$(python3 -c 'import json,sys; sys.stdout.write(json.dumps(json.load(open(sys.argv[1])), sort_keys=True, separators=(",", ":")))' "$d/vc.json" | sha256sum | cut -c1-64)
check "the embedded file hashes like the plain credential ($plain_hash)" \
    test -n "$plain_hash" --and test "$plain_hash" = "$emb_hash" --and test "$indep" = "$emb_hash"
check "the embedded entry is the bundle, type CredentialNotaryProof" \
    test "$(jq -r '.proof.type' "$d/vc.embedded.json")" = CredentialNotaryProof

# A Data Integrity proof already there is kept: proof becomes [DI, ours].
expect_exit 0 "embed next to a Data Integrity proof" "$NOTARY" proof --credential "$d/vc-di.json" --embed --out "$d/di.embedded.json"
check "the DI proof stays first, ours second" \
    test "$(jq -r '[.proof[].type] | join(",")' "$d/di.embedded.json")" = "DataIntegrityProof,CredentialNotaryProof"
expect_exit 0 "embedded next to DI: VALID online" V "$d/di.embedded.json" "${ON[@]}"

# --- tampering -------------------------------------------------------------------
sed 's/BSc Physics/MSc Physics/' "$d/vc.embedded.json" >"$d/t1.json"
expect_exit 1 "edited embedded credential: INVALID" V "$d/t1.json" "${ON[@]}"
has "names the hash check" "credential.hash"
jq '.proof.batch.seq = 5' "$d/vc.embedded.json" >"$d/t2.json"
expect_exit 1 "edited embedded bundle (batch seq): INVALID online" V "$d/t2.json" "${ON[@]}"
jq '.proof.anchor = null' "$d/vc.embedded.json" >"$d/t3.json"
expect_exit 2 "malformed embedded bundle: exit 2" V "$d/t3.json" --offline
has "says it is the embedded proof" "embedded proof"
jq '.proof = [.proof, .proof, {"type": "DataIntegrityProof"}]' "$d/vc.embedded.json" >"$d/t4.json"
expect_exit 2 "two embedded bundles: exit 2" V "$d/t4.json" --offline
has "says more than one" "more than one"

# --- usage -----------------------------------------------------------------------
expect_exit 2 "embedded + --proof: usage error" V "$d/vc.embedded.json" --proof "$d/vc.proof.json" --offline
has "says why" "carries its proof bundle"
expect_exit 2 "plain credential without --proof: usage error" V "$d/vc.json" --offline
has "asks for --proof" "--proof BUNDLE is required"
expect_exit 2 "--embed of a raw file refused" "$NOTARY" proof --credential "$d/raw.bin" --embed --out "$d/raw.out"
has "says to give the bundle separately" "separate file"
check "nothing written for the refused embed" test ! -e "$d/raw.out"
expect_exit 2 "--embed needs --credential" "$NOTARY" proof "$(sha256sum <"$d/raw.bin" | cut -c1-64)" --embed
expect_exit 2 "--embed of an embedded file refused" "$NOTARY" proof --credential "$d/vc.embedded.json" --embed
# A credential that already carries its bundle can never verify as submitted (the
# verifier strips the entry before hashing): submit refuses it and stores nothing.
before=$("$NOTARY" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["credentials"])')
expect_exit 2 "submit of an embedded credential refused" "$NOTARY" submit --credential "$d/vc.embedded.json"
has "says why and what to submit" "already carries an embedded notary proof.*as it was before"
has "names the file" "vc.embedded.json"
sed 's/"CredentialNotaryProof"/"Credential\\u004eotaryProof"/' "$d/vc.embedded.json" >"$d/vc.escaped.json"
check "the escaped copy spells the type with \\u" grep -q 'u004eotaryProof' "$d/vc.escaped.json"
expect_exit 2 "submit of an embedded credential refused with the type \\u-escaped" \
    "$NOTARY" submit --credential "$d/vc.escaped.json"
after=$("$NOTARY" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["credentials"])')
check "nothing was stored ($before -> $after credentials)" test "$before" = "$after"
expect_exit 2 "--qr without --link" "$NOTARY" proof --credential "$d/vc.json" --qr "$d/x.png"

# --- link and QR -----------------------------------------------------------------
base="https://verify.example.org/verify"
expect_exit 0 "proof --link --qr PNG" "$NOTARY" proof --credential "$d/vc.json" --link "$base" --qr "$d/vc.png"
url=$LAST_OUT
expect_grep "the link carries the bundle in the fragment" "^$base#bundle=[A-Za-z0-9_-]*\$" "$url"
has "says the QR version and level" "error correction [ML]"
python3 - "$url" "$d/vc.proof.json" "$d/fromlink.json" <<'P' && ok "link round trip: the fragment decodes to the bundle's RFC 8785 form" || fail "link round trip"
import base64, json, sys
url, bundle_file, out = sys.argv[1:]
frag = url.split("#", 1)[1]
assert frag.startswith("bundle=") and "?" not in url
b64 = frag[len("bundle="):]
raw = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
# RFC 8785 of a bundle (ASCII strings and integers only): sorted keys, no spaces
want = json.dumps(json.load(open(bundle_file)), sort_keys=True, separators=(",", ":")).encode()
assert raw == want, (raw, want)
open(out, "wb").write(raw)
P
expect_exit 0 "the bundle from the link verifies the credential" V "$d/vc.json" --proof "$d/fromlink.json" "${ON[@]}"
check "zbarimg reads the PNG back as the printed link" \
    test "$(zbarimg --raw -q "$d/vc.png" 2>/dev/null)" = "$url"
expect_exit 0 "proof --link --qr SVG (and --out)" "$NOTARY" proof --credential "$d/vc.json" --link "$base" --qr "$d/vc.svg" --out "$d/out.proof.json"
check "same link; the bundle also written to --out" test "$LAST_OUT" = "$url" --and cmp -s "$d/out.proof.json" "$d/vc.proof.json"
svgtext=$(zbarimg --raw -q "$d/vc.svg" 2>/dev/null)
if [ -n "$svgtext" ]; then
    check "zbarimg reads the SVG back as the printed link" test "$svgtext" = "$url"
else
    # zbarimg reads SVG only through an ImageMagick with an SVG delegate.
    check "the SVG is well-formed XML with a path" python3 -c "import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); assert r.find('{http://www.w3.org/2000/svg}path') is not None" "$d/vc.svg"
fi
long="https://verify.example.org/$(head -c 2000 /dev/zero | tr '\0' a)"
expect_exit 2 "a link too long for a QR code is refused" "$NOTARY" proof --credential "$d/vc.json" --link "$long" --qr "$d/long.png"
has "says it does not fit" "more than a QR code holds\|does not fit"
check "no QR file written" test ! -e "$d/long.png"
expect_exit 2 "a base URL with a fragment is refused" "$NOTARY" proof --credential "$d/vc.json" --link "$base#x"
finish
