"""tests/lib/anchored.py — an issuer's Anchored events, read from the ledger
itself (not through the notary), for the invariant checkers of
scripts/crash-trials.sh and tests/cli/pg_cluster.sh. Import it with the
project root as the working directory:

    sys.path.insert(0, "tests/lib"); from anchored import anchored_by_root
"""
import json
import urllib.request

# NotaryRegistry's Anchored(address indexed issuer, bytes32 indexed root, ...).
ANCHORED_TOPIC = "0x44073773c3302df727dabefe604d8b96c27a2615d89d0f9f7a83f923285ed1f1"


def anchored_by_root(url, contract, issuer):
    """eth_getLogs at URL (no proxy, 30 s) for the Anchored events of ISSUER
    in the registry CONTRACT, from block 0 to the latest. Returns
    {ROOT: [log, ...]}, ROOT in upper-case hex without 0x (as the store keeps
    it); raises on a transport or JSON-RPC error."""
    flt = {"address": contract, "fromBlock": "0x0", "toBlock": "latest",
           "topics": [ANCHORED_TOPIC, "0x" + "0" * 24 + issuer[2:].lower()]}
    req = urllib.request.Request(url, json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs",
                                 "params": [flt]}).encode(), {"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    logs = json.load(opener.open(req, timeout=30))["result"]
    by_root = {}
    for lg in logs:
        by_root.setdefault(lg["topics"][2][2:].upper(), []).append(lg)
    return by_root
