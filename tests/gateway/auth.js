// tests/gateway/auth.js — the gateway's Authorisation API v4 token endpoint
// and the bearer check of the Timestamp API, as EBSI's published sources
// describe them (apis/authorisation-v4 authorisation.service.ts
// createAccessToken and authorisation.constants.ts; hub.ebsi.eu "POST
// /authorisation/v4/token"):
//
//   POST /authorisation/v4/token   application/x-www-form-urlencoded
//     grant_type=vp_token, scope="openid timestamp_write",
//     presentation_submission={"id","definition_id":"timestamp_write_presentation",
//                              "descriptor_map":[]}  (empty: no input descriptors),
//     vp_token = a JWT VP (jwt_vp, alg ES256) whose header kid is a
//       verification method of the DID (iss = sub = vp.holder) listed under
//       "authentication", with aud = this API's issuer URL, exp/nbf current,
//       a nonce never seen before (EBSI keeps them 5 minutes; we also refuse
//       a repeated jti)
//   → 200 {access_token, token_type: "Bearer", expires_in, scope, id_token}
//   → 400 {error: "invalid_request" | "unsupported_grant_type" | "invalid_scope",
//          error_description}  (OAuth2TokenError)
//
// The signature is checked with jose (an implementation independent of the
// notary's C code). The DIDs it knows are DID documents from --dids FILE (or
// $GATEWAY_DIDS): {"documents": [{"id": DID, "verificationMethod": [{"id":
// KID, "type": "JsonWebKey2020", "controller": DID, "publicKeyJwk": JWK}],
// "authentication": [KID]}]}, then those of opts.resolve(DID) (the gateway's
// DID Registry double, when it serves one). Issued tokens are ES256 JWTs of the gateway's
// own key (as EBSI's are), valid expires_in seconds ($GATEWAY_TOKEN_TTL,
// default 7200, as EBSI).
//
// Bearer check (authFailure): a static token from --tokens (the older tests)
// or one this endpoint issued. Missing/unknown/expired → 401, without the
// scope → 403. subjectOf gives an issued token's DID (`sub`), which the
// Timestamp API's sendSignedTransaction checks the signer against
// (gateway.js); a static token has none. resolve(DID) is the DID document
// the endpoint uses (the --dids documents, then opts.resolve). The --dids
// documents may also carry "controller" and "capabilityInvocation" (with
// secp256k1 JsonWebKey2020 methods) for that check.
//
// Faults (POST /admin {"fault": NAME}):
//   expire-tokens   every token issued so far expires now (one shot: the next
//                   token requested is good) — a token expiring mid-run
//   reject-tokens   every issued token is refused with 401 until cleared
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const jose = require('jose');

const DEFINITION_ID = 'timestamp_write_presentation';
const NONCE_TTL_MS = 300000;
const MAX_FORM = 64 * 1024;

module.exports = function createAuth(opts) {
    const staticTokens = opts.tokens || [];
    const didText = opts.dids ? fs.readFileSync(opts.dids, 'utf8') : process.env.GATEWAY_DIDS;
    const documents = didText ? JSON.parse(didText).documents : [];
    const ttl = Number(process.env.GATEWAY_TOKEN_TTL || 7200);
    const issued = new Map(); // token -> {sub, scopes, exp}
    const seen = new Map();   // nonce or jti -> time first seen
    let issuer = null;        // set once listening: <base>/authorisation/v4
    let rejectIssued = false;
    const stats = { tokenRequests: 0, tokensIssued: 0, tokenRefused: 0 };
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });

    // The DID document of `did` (null if unknown): the --dids documents, then
    // the DID Registry double's.
    function resolve(did) {
        return documents.find((d) => d.id === did) || (opts.resolve && opts.resolve(did)) || null;
    }

    function oauthError(res, status, error, description) {
        stats.tokenRefused++;
        const body = JSON.stringify({ error, error_description: description });
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
    }

    function replayed(key) {
        const now = Date.now();
        for (const [k, t] of seen) if (now - t > NONCE_TTL_MS) seen.delete(k);
        if (seen.has(key)) return true;
        seen.set(key, now);
        return false;
    }

    async function check(form) {
        // returns [error, description] or {did, scope}
        if (form.get('grant_type') !== 'vp_token') return ['unsupported_grant_type', 'grant_type must be "vp_token"'];
        const scope = form.get('scope') || '';
        const words = scope.split(' ');
        if (words.length !== 2 || words[0] !== 'openid' || words[1] !== 'timestamp_write')
            return ['invalid_scope', `this gateway issues "openid timestamp_write" only, not "${scope}"`];
        let sub;
        try { sub = JSON.parse(form.get('presentation_submission') || ''); } catch (e) {
            return ['invalid_request', 'presentation_submission is not JSON'];
        }
        if (typeof sub !== 'object' || sub === null || typeof sub.id !== 'string' || !Array.isArray(sub.descriptor_map))
            return ['invalid_request', 'Invalid Presentation Submission: id and descriptor_map are required'];
        if (sub.definition_id !== DEFINITION_ID)
            return ['invalid_request', "Invalid Presentation Submission: definition_id doesn't match the expected Presentation Definition ID for the requested scope"];
        if (sub.descriptor_map.length !== 0)
            return ['invalid_request', `The presentation definition doesn't contain any input descriptor with the ID ${sub.descriptor_map[0] && sub.descriptor_map[0].id}`];
        const vp = form.get('vp_token') || '';
        let header, payload;
        try {
            header = jose.decodeProtectedHeader(vp);
            payload = jose.decodeJwt(vp);
        } catch (e) {
            return ['invalid_request', `Invalid Verifiable Presentation: ${e.message}`];
        }
        if (!payload.nonce) return ['invalid_request', 'The vp_token must contain a nonce in order to prevent replay attacks.'];
        if (replayed(`nonce:${payload.nonce}`)) return ['invalid_request', 'The vp_token contains a nonce which has already been used.'];
        if (!payload.jti || replayed(`jti:${payload.jti}`)) return ['invalid_request', 'Invalid Verifiable Presentation: jti missing or already used'];
        if (header.alg !== 'ES256') return ['invalid_request', `Invalid Verifiable Presentation: alg ${header.alg} is not ES256 (jwt_vp format of ${DEFINITION_ID})`];
        const did = payload.iss;
        const doc = resolve(did);
        if (!doc) return ['invalid_request', `Invalid Verifiable Presentation: DID ${did} not found in the DID Registry`];
        if (typeof header.kid !== 'string' || !header.kid.startsWith(`${did}#`))
            return ['invalid_request', 'Invalid Verifiable Presentation: kid must be a verification method of the issuer DID'];
        const vm = (doc.verificationMethod || []).find((m) => m.id === header.kid);
        if (!vm || !(doc.authentication || []).includes(header.kid))
            return ['invalid_request', `Invalid Verifiable Presentation: ${header.kid} is not an authentication method of ${did}`];
        let verified;
        try {
            const key = await jose.importJWK(vm.publicKeyJwk, 'ES256');
            verified = await jose.jwtVerify(vp, key, {
                algorithms: ['ES256'], issuer: did, subject: did, audience: issuer,
                requiredClaims: ['exp', 'nbf', 'iat', 'nonce', 'jti'], clockTolerance: 5,
            });
        } catch (e) {
            return ['invalid_request', `Invalid Verifiable Presentation: ${e.code || ''} ${e.message}`];
        }
        const v = verified.payload.vp;
        if (typeof v !== 'object' || v === null || v.holder !== did || !Array.isArray(v.type) || !v.type.includes('VerifiablePresentation'))
            return ['invalid_request', 'Invalid Verifiable Presentation: vp.holder must be the DID and vp.type include VerifiablePresentation'];
        return { did, scope };
    }

    async function handleToken(req, res, readBody) {
        stats.tokenRequests++;
        if (req.method !== 'POST') return oauthError(res, 405, 'invalid_request', 'POST only');
        if (!/^application\/x-www-form-urlencoded\b/.test(req.headers['content-type'] || ''))
            return oauthError(res, 400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
        let body;
        try { body = await readBody(req); } catch (e) { return undefined; }
        if (body.length > MAX_FORM) return oauthError(res, 400, 'invalid_request', 'body too large');
        const r = await check(new URLSearchParams(body));
        if (Array.isArray(r)) return oauthError(res, 400, r[0], r[1]);
        const iat = Math.floor(Date.now() / 1000);
        const exp = iat + ttl;
        const sign = (claims) => new jose.SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
            .setIssuer(issuer).setIssuedAt(iat).setExpirationTime(exp).setJti(crypto.randomUUID()).sign(privateKey);
        const accessToken = await sign({ sub: r.did, aud: issuer, scp: r.scope });
        const idToken = await sign({ sub: r.did, aud: r.did });
        issued.set(accessToken, { sub: r.did, scopes: r.scope.split(' '), exp });
        stats.tokensIssued++;
        const out = JSON.stringify({ access_token: accessToken, token_type: 'Bearer', expires_in: ttl, scope: r.scope, id_token: idToken });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
        res.end(out);
        return undefined;
    }

    // null if fine, else [status, message]
    function authFailure(req, scope) {
        const m = /^Bearer (\S+)$/.exec(req.headers.authorization || '');
        if (!m) return [401, 'missing bearer token'];
        const now = Math.floor(Date.now() / 1000);
        const i = issued.get(m[1]);
        if (i) {
            if (rejectIssued) return [401, 'invalid token'];
            if (i.exp <= now) return [401, 'token expired'];
            return i.scopes.includes(scope) ? null : [403, `token lacks the ${scope} scope`];
        }
        const t = staticTokens.find((x) => x.token === m[1]);
        if (!t) return [401, 'invalid token'];
        if (t.exp !== undefined && t.exp <= now) return [401, 'token expired'];
        if (!(t.scopes || []).includes(scope)) return [403, `token lacks the ${scope} scope`];
        return null;
    }

    // The DID a request's bearer token was issued for (its `sub`), or null:
    // a static token (--tokens) carries no DID. Call after authFailure.
    function subjectOf(req) {
        const m = /^Bearer (\S+)$/.exec(req.headers.authorization || '');
        const i = m ? issued.get(m[1]) : undefined;
        return i ? i.sub : null;
    }

    // Apply an auth fault; false if `name` is not one.
    function fault(name) {
        if (name === 'expire-tokens') {
            for (const i of issued.values()) i.exp = 0;
            return true;
        }
        if (name === 'reject-tokens') { rejectIssued = true; return true; }
        if (name === 'none') rejectIssued = false;
        return false;
    }

    return { handleToken, authFailure, subjectOf, resolve, fault, stats, setIssuer: (u) => { issuer = u; } };
};
