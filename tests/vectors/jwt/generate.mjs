// tests/vectors/jwt/generate.mjs — JWS vectors made with jose (the version
// pinned in package.json), independent of our C code (anchor/jwt.c), for
// tests/unit/test_jwt.c. ECDSA signatures are randomised, so a new run makes
// other bytes: commit the output with the generator (tests/vectors/README.md).
//   node tests/vectors/jwt/generate.mjs [OUTDIR]
import { writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import * as jose from 'jose';

const out = process.argv[2] || new URL('.', import.meta.url).pathname;
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = await jose.exportJWK(publicKey);
const thumbprint = await jose.calculateJwkThumbprint(jwk, 'sha256');
const did = 'did:ebsi:zvectorjose0000000000000000';
const kid = `${did}#${thumbprint}`;
const payload = { iss: did, sub: did, aud: 'https://api.example/authorisation/v4', nonce: 'n-1', jti: 'urn:uuid:1',
    vp: { type: ['VerifiablePresentation'], holder: did, verifiableCredential: [] } };
const good = await new jose.SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid })
    .setIssuedAt(1700000000).setNotBefore(1700000000).setExpirationTime(1700000120).sign(privateKey);
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const wrongKey = await new jose.SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid })
    .setIssuedAt(1700000000).sign(other);
const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
writeFileSync(`${out}/jose.json`, JSON.stringify({
    generator: 'tests/vectors/jwt/generate.mjs (jose)', did, kid, thumbprint, jwk,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    sec1Pem: privateKey.export({ type: 'sec1', format: 'pem' }),
    secp256k1Pem: k1.export({ type: 'pkcs8', format: 'pem' }),
    good, wrongKey,
}, null, 1) + '\n');
