// tests/gateway/registries.js — EBSI's read-only DID Registry v5 and Trusted
// Issuers Registry v5 endpoints, for the gateway double (gateway.js serves
// them over HTTPS when started with --tls-cert/--tls-key/--registries).
// Shapes follow EBSI's published API pages and sources (docs/ebsi.md "did:ebsi
// and the TIR in the verifier"):
//
//   GET /did-registry/v5/identifiers/{did}[?valid-at=ISO-8601]
//     200 application/did+ld+json: {"@context": [...], id, controller: [DIDs],
//       verificationMethod: [{id: DID#vmid, type: "JsonWebKey2020",
//       controller: DID, publicKeyJwk: {kty: "EC", crv: "secp256k1", x, y}}],
//       authentication?, assertionMethod?, capabilityInvocation?: [DID#vmid]}
//       (identifiers.service.ts getDidDocument: base document + id +
//       controllers + one JsonWebKey2020 per vMethod + the relationships)
//     400 problem+json  "The format of {did} parameter is not valid"
//     404 problem+json  {title: "Identifier Not Found", status: 404,
//                        detail: "Identifier DID not found"}
//   GET /trusted-issuers-registry/v5/issuers/{did}
//     200 application/json: {did, attributes: [{hash, body, issuerType,
//       tao, rootTao}]} (issuers.service.ts getIssuer; issuerType one of
//       undefined|RootTAO|TAO|TI|Revoked; body = the attribute data, a JWT VC;
//       hash = sha256 of it, 64 hex digits without 0x)
//     404 problem+json  {title: "Issuer Not Found", status: 404,
//                        detail: "Issuer DID not found"}
//
// The data comes from a fixture file the test writes (read on every request,
// so a test may change it between runs):
//   {"dids": {DID: {"controllers": [DID...], "keys": [{"id": "keys-1",
//       "publicKey": "0x04" + 128 hex (uncompressed secp256k1, as EBSI's
//       contract stores it), "relationships": ["capabilityInvocation", ...]}
//       or, for another curve (the DID's P-256 presentation key), "publicKeyJwk":
//       {...} in place of "publicKey"]}},
//    "tir": {DID: [{"issuerType": "TI", "tao": DID, "rootTao": DID,
//       "payload": {...the accreditation JWT's payload...}}]}}
// A DID absent from "dids" is 404, one absent from "tir" has no TIR entry
// (404); a revoked issuer is an attribute with issuerType "Revoked". Each
// body is a real ES256K JWS signed by a key of the double's own (the
// verifier does not verify it and says so).
// documentOf(fixture, did) gives the DID document (null if unknown): the
// gateway's token endpoint resolves presentations' DIDs with it, as EBSI's
// Authorisation API resolves them in the DID Registry.
// checkController(resolve, did, address) is the DID Registry's
// checkController action (POST /identifiers/{did}/actions, method
// "checkController", which EBSI's Timestamp API calls before accepting a
// signed transaction: jsonrpc.service.ts isDidControlledByAddress), answered
// from the documents `resolve` gives: {known: false} if DID is unknown, else
// {known: true, method: the verification method id or null}. The rule is the
// contract's _checkController (DidDocumentDetailed.sol, docs/ebsi.md): one of
// DID's controllers (DIDs; a document lists itself when it controls itself)
// has, under capabilityInvocation, a secp256k1 JsonWebKey2020 method whose
// Ethereum address (keccak256(x || y)) is `address`.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { ethers } = require('ethers');

const DID_RE = /^did:ebsi:z[1-9A-HJ-NP-Za-km-z]{16,44}$/;
const taoKey = new ethers.SigningKey(ethers.hexlify(crypto.randomBytes(32)));

const b64u = (buf) => Buffer.from(buf).toString('base64url');

function problem(res, status, title, detail) {
    const body = JSON.stringify({ title, status, type: 'about:blank', detail });
    res.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
}

function reply(res, type, obj) {
    const body = JSON.stringify(obj);
    res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
}

function jwk(publicKey) {
    const b = ethers.getBytes(publicKey);
    if (b.length !== 65 || b[0] !== 4) throw new Error('publicKey must be 0x04 + 64 bytes');
    return { kty: 'EC', crv: 'secp256k1', x: b64u(b.slice(1, 33)), y: b64u(b.slice(33)) };
}

function didDocument(did, entry) {
    const doc = {
        '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
        id: did,
        controller: entry.controllers || [did],
        verificationMethod: (entry.keys || []).map((k) => ({
            id: `${did}#${k.id}`, type: 'JsonWebKey2020', controller: did,
            publicKeyJwk: k.publicKeyJwk || jwk(k.publicKey),
        })),
    };
    for (const k of entry.keys || []) {
        for (const rel of k.relationships || []) (doc[rel] = doc[rel] || []).push(`${did}#${k.id}`);
    }
    return doc;
}

function jwt(payload, kid) {
    const head = b64u(JSON.stringify({ alg: 'ES256K', typ: 'JWT', kid }));
    const body = b64u(JSON.stringify(payload));
    const digest = crypto.createHash('sha256').update(`${head}.${body}`).digest();
    const sig = taoKey.sign(digest);
    return `${head}.${body}.${b64u(Buffer.concat([ethers.getBytes(sig.r), ethers.getBytes(sig.s)]))}`;
}

function documentOf(fixture, did) {
    const dids = JSON.parse(fs.readFileSync(fixture, 'utf8')).dids || {};
    return typeof did === 'string' && Object.hasOwn(dids, did) ? didDocument(did, dids[did]) : null;
}

// make({fixture, isDown}) → handler(req, res, url): true when it answered.
module.exports = function make({ fixture, isDown }) {
    return function handle(req, res, url) {
        const m = /^\/(did-registry\/v5\/identifiers|trusted-issuers-registry\/v5\/issuers)\/([^/]+)$/.exec(url);
        if (!m) return false;
        if (isDown()) { req.socket.destroy(); return true; }
        if (req.method !== 'GET') { problem(res, 405, 'Method Not Allowed', 'GET only'); return true; }
        const did = decodeURIComponent(m[2]);
        if (!DID_RE.test(did)) { problem(res, 400, 'Bad Request', 'The format of {did} parameter is not valid'); return true; }
        const data = JSON.parse(fs.readFileSync(fixture, 'utf8'));
        if (m[1].startsWith('did-registry')) {
            const q = new URL(req.url, 'https://x').searchParams.get('valid-at');
            if (q !== null && Number.isNaN(Date.parse(q))) { problem(res, 400, 'Bad Request', 'valid-at must be an ISO-8601 date'); return true; }
            const doc = documentOf(fixture, did);
            if (!doc) { problem(res, 404, 'Identifier Not Found', `Identifier ${did} not found`); return true; }
            reply(res, 'application/did+ld+json', doc);
            return true;
        }
        const attrs = (data.tir || {})[did];
        if (!attrs || attrs.length === 0) { problem(res, 404, 'Issuer Not Found', `Issuer ${did} not found`); return true; }
        reply(res, 'application/json', {
            did,
            attributes: attrs.map((a) => {
                const body = jwt(a.payload, `${a.tao}#tao-key`);
                return { hash: crypto.createHash('sha256').update(body).digest('hex'), body,
                    issuerType: a.issuerType, tao: a.tao, rootTao: a.rootTao };
            }),
        });
        return true;
    };
};
function secp256k1Address(jwk) {
    if (!jwk || jwk.kty !== 'EC' || jwk.crv !== 'secp256k1' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') return null;
    const x = Buffer.from(jwk.x, 'base64url'), y = Buffer.from(jwk.y, 'base64url');
    if (x.length !== 32 || y.length !== 32) return null;
    try { return ethers.computeAddress(ethers.hexlify(Buffer.concat([Buffer.from([4]), x, y]))); } catch (e) { return null; }
}

function checkController(resolve, did, address) {
    const doc = typeof did === 'string' ? resolve(did) : null;
    if (!doc) return { known: false, method: null };
    const want = ethers.getAddress(address);
    const controllers = Array.isArray(doc.controller) ? doc.controller : (typeof doc.controller === 'string' ? [doc.controller] : []);
    for (const c of controllers) {
        const cdoc = c === did ? doc : resolve(c);
        if (!cdoc) continue;
        for (const id of cdoc.capabilityInvocation || []) {
            const vm = (cdoc.verificationMethod || []).find((m) => m.id === id);
            if (vm && vm.type === 'JsonWebKey2020' && secp256k1Address(vm.publicKeyJwk) === want) return { known: true, method: id };
        }
    }
    return { known: true, method: null };
}

module.exports.documentOf = documentOf;
module.exports.checkController = checkController;
