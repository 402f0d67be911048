# tests/lib/ebsi_registries.py — writes the fixture that the gateway's DID
# Registry v5 / TIR v5 double serves (tests/gateway/registries.js describes
# its format). Run by ebsi_registries_write (tests/lib/ebsi_registries.sh):
#
#   python3 tests/lib/ebsi_registries.py OUT TAO ROOT NOW < PYTHON
#
# PYTHON is a test's own statements that set two dicts, `dids` and `tir`,
# using these helpers (and `now`, NOW as an int):
#   key(pub, rels=("capabilityInvocation", "authentication"), id="keys-1")
#       a secp256k1 verification method ("0x04" + 128 hex digits)
#   jwk_key(kid_file, jwk_file, rels=("authentication",))
#       the DID's P-256 presentation key written by ebsi_did_fixture
#       (tests/lib/ebsi_did.sh): its id is the fragment of the kid
#   accr(did, typ="TI", exp=now + 1 year, subject=did, name=None)
#       a TIR attribute: an accreditation (VerifiableAccreditationToAttest
#       for VerifiableDiploma) issued by TAO under ROOT, in force since a day
#       ago; `name` is the legalName of its credentialSubject
import json
import sys

out, TAO, ROOT, now = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def key(pub, rels=("capabilityInvocation", "authentication"), id="keys-1"):
    return {"id": id, "publicKey": pub, "relationships": list(rels)}


def jwk_key(kid_file, jwk_file, rels=("authentication",)):
    kid = open(kid_file).read().strip()
    return {"id": kid.split("#", 1)[1], "publicKeyJwk": json.load(open(jwk_file)), "relationships": list(rels)}


def accr(did, typ="TI", exp=None, subject=None, name=None):
    cs = {"id": subject or did, "reservedAttributeId": "0x" + "ab" * 32,
          "accreditedFor": [{"schemaId": "https://api-pilot.ebsi.eu/trusted-schemas-registry/v3/schemas/z3MgUFUkb722uq4x3dv5yAJmnNmzDFeK5UC8x83QoeLJM",
                             "types": ["VerifiableCredential", "VerifiableAttestation", "VerifiableDiploma"],
                             "limitJurisdiction": "https://publications.europa.eu/resource/authority/atu/FIN"}]}
    if name:
        cs["legalName"] = name
    return {"issuerType": typ, "tao": TAO, "rootTao": ROOT,
            "payload": {"iss": TAO, "sub": did, "iat": now - 86400, "nbf": now - 86400,
                        "exp": now + 86400 * 365 if exp is None else exp,
                        "jti": "urn:uuid:0c8e4e1b-5f0a-4d5e-9c7e-1d2b3c4d5e6f",
                        "vc": {"@context": ["https://www.w3.org/2018/credentials/v1"],
                               "type": ["VerifiableCredential", "VerifiableAttestation", "VerifiableAccreditation",
                                        "VerifiableAccreditationToAttest"],
                               "issuer": TAO, "credentialSubject": cs,
                               "termsOfUse": {"id": TAO, "type": "IssuanceCertificate"}}}}


scope = {"key": key, "jwk_key": jwk_key, "accr": accr, "now": now}
exec(sys.stdin.read(), scope)
json.dump({"dids": scope["dids"], "tir": scope["tir"]}, open(out, "w"))
