#!/usr/bin/env node
// tests/gateway/gateway.js — a local EBSI-style gateway for tests, in front of
// a ganache ledger (berlin profile, gasPrice 0). As small as possible, but it
// does what EBSI's APIs do for the notary's "ebsi" driver:
//
//   POST /timestamp/v4/jsonrpc   the Timestamp API (JSON-RPC 2.0, bearer token)
//     timestampHashes [{from, hashAlgorithmIds, hashValues, timestampData}]
//       → an unsigned legacy EIP-155 transaction {from, to, data, nonce,
//         chainId, gasLimit, gasPrice, value} calling the Timestamp contract
//     sendSignedTransaction [{protocol: "eth", unsignedTransaction, r, s, v,
//                             signedRawTransaction}]
//       → re-serializes unsignedTransaction with (r, s, v) and rejects unless it
//         equals signedRawTransaction byte for byte, the recovered signer is
//         `from`, and chain id and `to` are right; then, for a token issued
//         for a DID (its `sub`), checks that the signer controls that DID
//         (checkController, below); then submits it → tx hash
//
// checkController on send, as EBSI's Timestamp API v4 does it
// (apis/timestamp-v4 jsonrpc.service.ts: sendTransaction → verifyTransaction,
// then verifyEthereumAddress(signer, user) → the DID Registry's
// checkController action for user.sub): the DID is the bearer token's `sub`;
// the rule is registries.js checkController over the DID documents the token
// endpoint resolves (--dids, then the --registries fixture, read on every
// send). A refusal is EBSI's InvalidRequestJsonRpcError: HTTP 400,
//   {"jsonrpc":"2.0","id":ID,"error":{"code":-32600,"message":
//    "The DID <sub> is not controlled by the address <signer, lower case>"}}
// or "... The DID <sub> does not exist" when the DID is not resolvable;
// nothing is sent to the ledger. Static tokens (--tokens) carry no DID:
// their sends are not checked (the older tests' behaviour).
//   POST /ledger/v4/blockchains/besu       the ledger API: read methods only
//                                         (the path of hub.ebsi.eu "POST /ledger/v4/blockchains/besu")
//   GET|POST /admin              fault injection and counters (tests only)
//
// POST /authorisation/v4/token (tests/gateway/auth.js) issues tokens for the
// DIDs of --dids FILE (or $GATEWAY_DIDS), or of the DID Registry double
// (--registries, below), after checking their presentation.
// Static tokens come from --tokens FILE (or $GATEWAY_TOKENS, the same JSON):
//   {"tokens": [{"token": "...", "scopes": ["timestamp_write"], "exp": 1999999999}]}
// A missing/unknown/expired token is HTTP 401, a token without the
// timestamp_write scope HTTP 403 — as EBSI's APIs answer.
//
// Faults (POST /admin {"fault": NAME}; "none" clears):
//   wrong-to          timestampHashes returns a transaction to another address
//   wrong-root        ... whose call data timestamps another root
//   wrong-chain       ... for another chain id
//   mangle-signature  sendSignedTransaction flips a bit of `s` before its checks
//                     (so the signature check fails and the request is rejected)
//   down              stop answering the API and the ledger (connections are
//                     closed without a reply) until the fault is cleared
//   down-after-build  answer the next timestampHashes, then go down
//   down-after-send   submit the next signed transaction, then go down without
//                     answering
//   gas-fallback      timestampHashes answers as EBSI does when its gas
//                     estimation fails: gasLimit "0x1000000"
//   revoked-algorithm GET /timestamp/v4/hash-algorithms/0 says status "revoked"
//
// Numbers are written as EBSI's Timestamp API writes them (jsonrpc.service.ts
// buildTransaction, ethers v5 BigNumber.toHexString): nonce, chainId and
// gasLimit with an even number of hex digits ("0x00", "0x05", "0x0539",
// "0x0222e0"), value and gasPrice the literal "0x0", gasLimit = ceil(1.4 ×
// estimate), or "0x1000000" when the estimate fails.
//
//   GET /timestamp/v4/hash-algorithms/{id}   {outputLengthBits, ianaName, oid,
//       status: "active"|"revoked", multiHash} from the contract's
//       getHashAlgorithmById (hash-algorithms.service.ts: status 1 is "active",
//       anything else "revoked"); the member is spelled "multiHash" as on the
//       published API page (hub.ebsi.eu pilot timestamp v4 get-hash-algorithm;
//       the source spells it "multihash": the notary accepts either);
//       404 problem+json if unknown, 400 if the id is not a number
//
//   GET /did-registry/v5/identifiers/{did}, /trusted-issuers-registry/v5/issuers/{did}
//       EBSI's read-only DID Registry and TIR (tests/gateway/registries.js), over
//       HTTPS on a second port when --tls-cert, --tls-key and --registries
//       FIXTURE are given (READY then also has tlsPort); "down" applies too
//
// Usage: node tests/gateway/gateway.js --ledger URL --tokens FILE --ready FILE
//                                      [--contract ADDR]
//                                      [--tls-cert PEM --tls-key PEM --registries FILE]
// Without --contract it deploys contracts/build/Timestamp.json from the
// ledger's last unlocked account. When listening, it writes READY (JSON:
// api, ledger, admin, contract, chainId) atomically; it runs until SIGTERM.
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const { ethers } = require('ethers');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
if (!args.ledger || !args.ready || (!args.tokens && !process.env.GATEWAY_TOKENS && !args.dids && !process.env.GATEWAY_DIDS)) {
    console.error('usage: gateway.js --ledger URL (--tokens FILE | --dids FILE) --ready FILE [--contract ADDR]');
    process.exit(2);
}
const tokenText = args.tokens ? fs.readFileSync(args.tokens, 'utf8') : process.env.GATEWAY_TOKENS;
const tokens = tokenText ? JSON.parse(tokenText).tokens : [];
// the token endpoint and the bearer check: tests/gateway/auth.js
const auth = require('./auth')({ tokens, dids: args.dids,
    resolve: args.registries ? (did) => require('./registries.js').documentOf(args.registries, did) : null });
const artifact = JSON.parse(fs.readFileSync(path.join(__dirname, '../../contracts/build/Timestamp.json'), 'utf8'));
const iface = new ethers.Interface(artifact.abi);

const READ_METHODS = new Set(['eth_getTransactionReceipt', 'eth_getLogs', 'eth_call', 'eth_getBlockByNumber',
    'eth_getBlockByHash', 'eth_chainId', 'eth_blockNumber', 'eth_getTransactionByHash', 'eth_getCode']);
const MAX_BODY = 256 * 1024;

let contract = args.contract ? ethers.getAddress(args.contract) : null;
let chainId = 0n;
let fault = 'none';
let down = false;
const stats = { timestampHashes: 0, built: 0, sendReceived: 0, sendAccepted: 0, sendRejected: 0, controllerRefused: 0,
    ledgerCalls: 0, ledgerRefused: 0, authRefused: 0 };
const { checkController } = require('./registries.js');

let ledgerId = 0;
async function ledger(method, params) {
    const res = await fetch(args.ledger, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++ledgerId, method, params }),
    });
    const body = await res.json();
    if (body.error) throw Object.assign(new Error(body.error.message), { rpc: body.error });
    return body.result;
}

class RpcError extends Error {
    constructor(code, message, data, httpStatus = 200) { super(message); this.code = code; this.data = data; this.httpStatus = httpStatus; }
}

function send(res, status, obj, type = 'application/json') {
    const body = JSON.stringify(obj);
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
}

function readBody(req) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        let n = 0;
        req.on('data', (c) => {
            n += c.length;
            if (n > MAX_BODY) { reject(new Error('body too large')); req.destroy(); return; }
            chunks.push(c);
        });
        req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        req.on('error', reject);
    });
}

// Bearer token check: null if fine, else [status, message] (auth.js).
const authFailure = (req, scope) => auth.authFailure(req, scope);

// ethers v5 BigNumber.toHexString(): "0x" + an even number of digits.
const toHexString = (n) => { const h = BigInt(n).toString(16); return `0x${h.length % 2 ? '0' : ''}${h}`; };

const isHex = (s, bytes) => typeof s === 'string' && /^0x([0-9a-fA-F]{2})*$/.test(s) && (bytes === undefined || s.length === 2 + 2 * bytes);

async function timestampHashes(params) {
    stats.timestampHashes++;
    if (!Array.isArray(params) || params.length !== 1 || typeof params[0] !== 'object' || params[0] === null)
        throw new RpcError(-32602, 'params must be [ {from, hashAlgorithmIds, hashValues, timestampData} ]');
    const p = params[0];
    if (!ethers.isAddress(p.from)) throw new RpcError(-32602, 'from is not an address');
    const n = Array.isArray(p.hashValues) ? p.hashValues.length : 0;
    const data = p.timestampData === undefined ? Array(n).fill('0x') : p.timestampData;
    if (n < 1 || n > 3 || !Array.isArray(p.hashAlgorithmIds) || p.hashAlgorithmIds.length !== n ||
        !Array.isArray(data) || data.length !== n)
        throw new RpcError(-32602, 'hashAlgorithmIds, hashValues and timestampData must be arrays of 1..3 equal lengths');
    if (!p.hashAlgorithmIds.every((x) => Number.isSafeInteger(x) && x >= 0)) throw new RpcError(-32602, 'bad hashAlgorithmIds');
    if (!p.hashValues.every((x) => isHex(x) && x.length > 2 && x.length <= 130)) throw new RpcError(-32602, 'bad hashValues');
    if (!data.every((x) => isHex(x))) throw new RpcError(-32602, 'timestampData must be hex strings');
    const hashes = p.hashValues.slice();
    if (fault === 'wrong-root') { // flip the last byte of the first hash
        const b = ethers.getBytes(hashes[0]);
        b[b.length - 1] ^= 1;
        hashes[0] = ethers.hexlify(b);
    }
    const calldata = iface.encodeFunctionData('timestampHashes', [p.hashAlgorithmIds, hashes, data]);
    const from = ethers.getAddress(p.from);
    const to = fault === 'wrong-to' ? '0x000000000000000000000000000000000000dEaD' : contract;
    const nonce = BigInt(await ledger('eth_getTransactionCount', [from, 'pending']));
    // EBSI: the estimate × 1.4, or 0x1000000 when the estimation fails.
    let gasLimit = '0x1000000';
    if (fault !== 'gas-fallback') {
        try {
            const gas = BigInt(await ledger('eth_estimateGas', [{ from, to: contract, data: calldata }]));
            gasLimit = toHexString((gas * 14n + 9n) / 10n);
        } catch (err) { /* the fallback, as EBSI */ }
    }
    const unsigned = {
        from, to, data: calldata,
        value: '0x0',
        nonce: toHexString(nonce),
        chainId: toHexString(fault === 'wrong-chain' ? chainId + 1n : chainId),
        gasLimit,
        gasPrice: '0x0',
    };
    stats.built++;
    if (fault === 'down-after-build') { fault = 'none'; down = true; }
    return unsigned;
}

async function sendSignedTransaction(params, req) {
    stats.sendReceived++;
    const reject = (msg) => { stats.sendRejected++; return new RpcError(-32602, msg); };
    if (!Array.isArray(params) || params.length !== 1 || typeof params[0] !== 'object' || params[0] === null)
        throw reject('params must be [ {protocol, unsignedTransaction, r, s, v, signedRawTransaction} ]');
    const p = params[0];
    const u = p.unsignedTransaction;
    if (p.protocol !== 'eth' || typeof u !== 'object' || u === null) throw reject('protocol must be "eth" with an unsignedTransaction');
    if (!isHex(p.r, 32) || !isHex(p.s, 32) || !isHex(p.signedRawTransaction) || typeof p.v !== 'string')
        throw reject('r and s must be 32-byte hex, v a hex quantity, signedRawTransaction hex');
    let s = p.s;
    if (fault === 'mangle-signature') {
        const b = ethers.getBytes(s);
        b[31] ^= 1;
        s = ethers.hexlify(b);
    }
    let tx;
    try {
        tx = ethers.Transaction.from({
            type: 0, to: u.to, data: u.data, nonce: Number(BigInt(u.nonce)), gasLimit: BigInt(u.gasLimit),
            gasPrice: BigInt(u.gasPrice), value: BigInt(u.value), chainId: BigInt(u.chainId),
            signature: ethers.Signature.from({ r: p.r, s, v: BigInt(p.v) }),
        });
    } catch (err) {
        throw reject(`invalid signature or transaction: ${err.shortMessage || err.message}`);
    }
    if (tx.serialized !== p.signedRawTransaction.toLowerCase())
        throw reject('signedRawTransaction does not match unsignedTransaction with the given r, s, v');
    let signer;
    try { signer = tx.from; } catch (err) { signer = null; }
    if (!signer || signer !== ethers.getAddress(u.from)) throw reject('the signature was not made by `from`');
    if (tx.chainId !== chainId) throw reject(`wrong chain id ${tx.chainId}`);
    if (ethers.getAddress(tx.to) !== contract) throw reject('`to` is not the Timestamp contract');
    const did = auth.subjectOf(req);
    if (did) {
        const c = checkController(auth.resolve, did, signer);
        if (!c.method) {
            stats.sendRejected++;
            stats.controllerRefused++;
            throw new RpcError(-32600, c.known ? `The DID ${did} is not controlled by the address ${signer.toLowerCase()}`
                : `The DID ${did} does not exist`, undefined, 400);
        }
    }
    let hash;
    try {
        hash = await ledger('eth_sendRawTransaction', [p.signedRawTransaction]);
    } catch (err) {
        if (err.rpc) { stats.sendRejected++; throw new RpcError(err.rpc.code, err.rpc.message, err.rpc.data); }
        throw err;
    }
    stats.sendAccepted++;
    if (fault === 'down-after-send') {
        fault = 'none';
        down = true;
        req.socket.destroy();
        return undefined;
    }
    return hash;
}

async function handleRpc(req, res, kind) {
    let body;
    try { body = await readBody(req); } catch (err) { return; }
    if (down) { req.socket.destroy(); return; }
    let msg;
    try { msg = JSON.parse(body); } catch (err) {
        return send(res, 200, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } });
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg) || msg.jsonrpc !== '2.0' || typeof msg.method !== 'string')
        return send(res, 200, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'invalid request' } });
    const id = msg.id === undefined ? null : msg.id;
    try {
        let result;
        if (kind === 'ledger') {
            stats.ledgerCalls++;
            if (!READ_METHODS.has(msg.method)) {
                stats.ledgerRefused++;
                throw new RpcError(-32601, `method ${msg.method} is not allowed on the ledger API (read-only)`);
            }
            try {
                result = await ledger(msg.method, msg.params || []);
            } catch (err) {
                if (err.rpc) throw new RpcError(err.rpc.code, err.rpc.message, err.rpc.data);
                throw err;
            }
        } else {
            const denied = authFailure(req, 'timestamp_write');
            if (denied) {
                stats.authRefused++;
                return send(res, denied[0], { title: denied[0] === 401 ? 'Unauthorized' : 'Forbidden', status: denied[0], detail: denied[1] });
            }
            if (msg.method === 'timestampHashes') result = await timestampHashes(msg.params);
            else if (msg.method === 'sendSignedTransaction') result = await sendSignedTransaction(msg.params, req);
            else throw new RpcError(-32601, `method ${msg.method} not found`);
            if (result === undefined) return; // went down without answering
        }
        send(res, 200, { jsonrpc: '2.0', id, result });
    } catch (err) {
        const error = err instanceof RpcError ? { code: err.code, message: err.message } : { code: -32603, message: `internal error: ${err.message}` };
        if (err instanceof RpcError && err.data !== undefined) error.data = err.data;
        send(res, err instanceof RpcError ? err.httpStatus : 200, { jsonrpc: '2.0', id, error });
    }
}

async function handleAdmin(req, res) {
    if (req.method === 'POST') {
        let body;
        try { body = JSON.parse(await readBody(req)); } catch (err) { return send(res, 400, { error: 'bad json' }); }
        if (auth.fault(body.fault)) return send(res, 200, { fault: body.fault, stats: { ...stats, ...auth.stats } });
        const known = ['none', 'wrong-to', 'wrong-root', 'wrong-chain', 'mangle-signature', 'down', 'down-after-build', 'down-after-send', 'gas-fallback', 'revoked-algorithm'];
        if (!known.includes(body.fault)) return send(res, 400, { error: `unknown fault; one of ${known.join(', ')}` });
        down = body.fault === 'down';
        fault = down ? 'none' : body.fault;
    }
    send(res, 200, { fault, down, contract, chainId: Number(chainId), stats: { ...stats, ...auth.stats } });
}

async function handleHashAlgorithm(req, res, id) {
    if (down) { req.socket.destroy(); return; }
    const call = { to: contract, data: iface.encodeFunctionData('getHashAlgorithmById', [id]) };
    let r;
    try {
        r = iface.decodeFunctionResult('getHashAlgorithmById', await ledger('eth_call', [call, 'latest']));
    } catch (err) {
        return send(res, 404, { title: 'Hash algorithm Not Found', status: 404, detail: `Hash algorithm ${id} not found` },
            'application/problem+json');
    }
    const revoked = fault === 'revoked-algorithm' || Number(r.status) !== 1;
    send(res, 200, { outputLengthBits: Number(r.outputLength), ianaName: r.ianaName, oid: r.oid,
        status: revoked ? 'revoked' : 'active', multiHash: r.multiHash });
}

async function main() {
    chainId = BigInt(await ledger('eth_chainId', []));
    if (!contract) {
        const accounts = await ledger('eth_accounts', []);
        const deployer = accounts[accounts.length - 1];
        const h = await ledger('eth_sendTransaction', [{ from: deployer, data: artifact.bytecode, gas: '0x2dc6c0', gasPrice: '0x0' }]);
        let rcpt = null;
        for (let i = 0; i < 100 && !rcpt; i++) {
            rcpt = await ledger('eth_getTransactionReceipt', [h]);
            if (!rcpt) await new Promise((r) => setTimeout(r, 100));
        }
        if (!rcpt || rcpt.status !== '0x1') throw new Error('Timestamp deployment failed');
        contract = ethers.getAddress(rcpt.contractAddress);
    }
    const server = http.createServer((req, res) => {
        const url = req.url.split('?')[0];
        if (url === '/admin') return handleAdmin(req, res);
        const ha = /^\/timestamp\/v4\/hash-algorithms\/(0|[1-9][0-9]{0,8})$/.exec(url);
        if (ha && req.method === 'GET') return handleHashAlgorithm(req, res, Number(ha[1]));
        if (req.method === 'GET' && url.startsWith('/timestamp/v4/hash-algorithms/'))
            return send(res, 400, { title: 'Bad Request', status: 400, detail: 'The format of {hashAlgorithmId} parameter is not valid' },
                'application/problem+json');
        if (req.method !== 'POST') return send(res, 405, { error: 'POST only' });
        if (url === '/timestamp/v4/jsonrpc') return handleRpc(req, res, 'api');
        if (url === '/authorisation/v4/token') return down ? req.socket.destroy() : auth.handleToken(req, res, readBody);
        if (url === '/ledger/v4/blockchains/besu') return handleRpc(req, res, 'ledger');
        send(res, 404, { error: 'not found' });
    });
    let tls = null;
    if (args['tls-cert'] && args['tls-key'] && args.registries) {
        const registries = require('./registries.js')({ fixture: args.registries, isDown: () => down });
        tls = require('https').createServer({ cert: fs.readFileSync(args['tls-cert']), key: fs.readFileSync(args['tls-key']) },
            (req, res) => { if (!registries(req, res, req.url.split('?')[0])) send(res, 404, { error: 'not found' }); });
        await new Promise((resolve) => tls.listen(0, '127.0.0.1', resolve));
    }
    server.listen(0, '127.0.0.1', () => {
        const base = `http://127.0.0.1:${server.address().port}`;
        auth.setIssuer(`${base}/authorisation/v4`);
        const info = { api: `${base}/timestamp/v4/jsonrpc`, ledger: `${base}/ledger/v4/blockchains/besu`,
            admin: `${base}/admin`, contract, chainId: Number(chainId), tlsPort: tls ? tls.address().port : 0 };
        fs.writeFileSync(`${args.ready}.tmp`, JSON.stringify(info));
        fs.renameSync(`${args.ready}.tmp`, args.ready);
    });
    process.on('SIGTERM', () => { server.close(); if (tls) tls.close(); process.exit(0); });
}

main().catch((err) => { console.error(`gateway: ${err.message}`); process.exit(1); });
