#!/usr/bin/env node
// tests/faultproxy/proxy.js — a JSON-RPC fault proxy for ledger fault tests.
//
// It sits between the notary and a local ganache on a loopback port of its
// own and forwards every JSON-RPC request, except where a rule says to
// misbehave the way real nodes, gateways and networks do (issue 7, docs/design.md
// "Anchoring must survive the real world"):
//
//   delay         wait delayMs, then forward
//   timeout       forward (unless "forward": false) and never answer: the
//                 client times out with the outcome unknown
//   http500       answer HTTP 500 (status: any 5xx), nothing forwarded
//   http503       answer HTTP 503 with Retry-After: retryAfter (if given)
//   http429       answer HTTP 429 with Retry-After: retryAfter (if given)
//   truncate      forward, answer the first half of the node's body
//   corrupt       forward, answer the body with its JSON broken ("how":
//                 "syntax", the default) or its string result altered
//                 ("how": "result": valid JSON, wrong value)
//   wrongChainId  answer eth_chainId with chainId (default 5)
//   drop          eth_sendRawTransaction: answer success with the right
//                 hash (keccak256 of the bytes) but do not forward — a
//                 transaction dropped from the pool
//   reorg         eth_sendRawTransaction: evm_snapshot before forwarding;
//                 once afterReceipts (default 1) receipts of that
//                 transaction were answered, the next request for it first
//                 evm_reverts the ledger to the snapshot (the block is gone)
//                 and mines mineAfter (default 0) empty blocks
//   mine          evm_mine one block before forwarding (confirmations grow
//                 while a client polls)
//   behind        eth_call at "latest": forwarded at block `block` (hex)
//                 instead, as a load-balanced node behind the others answers
//
// A rule is {"method": "eth_sendRawTransaction" | "*", "action": ...,
// "count": N (default 1; -1 = every matching request), "skip": N (let the
// first N matching requests through)} plus the action's parameters. Rules
// are tried in order; the first one that applies takes the request.
//
// Usage: node tests/faultproxy/proxy.js --target URL [--port N] [--port-file F]
//        [--rules FILE.json]
// The port is chosen by the kernel unless --port is given, and written to
// --port-file once listening. Admin endpoints on the same port:
//   POST   /__fault   a rule or an array of rules (appended)
//   DELETE /__fault   remove every rule
//   GET    /__stats   {"total", "methods": {name: count}, "rules": [... "hits"],
//                     "dropped": [tx hashes], "reorgs": n, "sent": [distinct
//                     hashes sent], "events": [[ms, method, action], ...]}
//   POST   /__reset   zero the counters and the event list
// Stop it by its PID (SIGTERM). Only node's own modules and the project's
// pinned ethers (for keccak256) are used.
'use strict';

const http = require('http');
const fs = require('fs');
const path = require('path');

function keccak256Hex(hex) {
    // ethers is already a pinned dependency of the project (package.json).
    const { keccak256 } = require(path.join(__dirname, '..', '..', 'node_modules', 'ethers'));
    return keccak256(hex);
}

const args = process.argv.slice(2);
function opt(name, dflt) {
    const i = args.indexOf(name);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
}
const target = new URL(opt('--target', 'http://127.0.0.1:8545'));
const listenPort = parseInt(opt('--port', '0'), 10);
const portFile = opt('--port-file', '');
const rulesFile = opt('--rules', '');

const ACTIONS = new Set(['delay', 'timeout', 'http500', 'http503', 'http429', 'truncate', 'corrupt',
    'wrongChainId', 'drop', 'reorg', 'mine', 'behind']);

let rules = [];
// sent: distinct transaction hashes seen in eth_sendRawTransaction (a client
// that re-signs shows up as more than one); events: the last requests as
// [milliseconds since start, method, action], for ordering and gap checks.
const stats = { total: 0, methods: {}, dropped: [], reorgs: 0, sent: [], events: [] };
const t0 = Date.now();
// tx hash (lower case) -> {snapshot, receipts, afterReceipts, mineAfter, done}
const reorgs = new Map();

function addRule(r) {
    if (typeof r !== 'object' || r === null || !ACTIONS.has(r.action))
        throw new Error(`bad rule ${JSON.stringify(r)}: action must be one of ${[...ACTIONS].join(', ')}`);
    if (r.action === 'behind' && !/^0x(0|[1-9a-f][0-9a-f]*)$/.test(String(r.block)))
        throw new Error(`bad rule ${JSON.stringify(r)}: "behind" needs "block", a hex block number`);
    rules.push(Object.assign({ method: '*', count: 1, skip: 0 }, r, { hits: 0, seen: 0 }));
}

function log(msg) {
    process.stdout.write(`${new Date().toISOString()} ${msg}\n`);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

// Forward a body to the ledger; resolves to {status, headers, body}.
function forward(body) {
    return new Promise((resolve, reject) => {
        const req = http.request({
            host: target.hostname, port: target.port, path: target.pathname || '/', method: 'POST',
            agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
    });
}

let nextAdminId = 1e9;
async function ledger(method, params) {
    const r = await forward(JSON.stringify({ jsonrpc: '2.0', id: nextAdminId++, method, params: params || [] }));
    const j = JSON.parse(r.body);
    if (j.error)
        throw new Error(`${method}: ${j.error.message}`);
    return j.result;
}

function pickRule(method) {
    for (const r of rules) {
        if (r.method !== '*' && r.method !== method)
            continue;
        if (r.count >= 0 && r.hits >= r.count)
            continue;
        r.seen++;
        if (r.seen <= r.skip)
            continue;
        r.hits++;
        return r;
    }
    return null;
}

function reply(res, status, body, headers) {
    res.writeHead(status, Object.assign({ 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }, headers || {}));
    res.end(body);
}

function corruptBody(body, how) {
    if (how === 'result') {
        try {
            const j = JSON.parse(body);
            if (typeof j.result === 'string' && j.result.length > 2) {
                const last = j.result[j.result.length - 1];
                j.result = j.result.slice(0, -1) + (last === '0' ? '1' : '0');
                return JSON.stringify(j);
            }
        } catch (e) { /* fall through to a syntax error */ }
    }
    // Break the syntax in the middle: a proxy or a disk that garbles bytes.
    const mid = Math.floor(body.length / 2);
    return body.slice(0, mid) + '\u0000#}{' + body.slice(mid + 1);
}

// Before a request about a transaction under a reorg rule: revert when due.
async function reorgCheck(method, params) {
    if (!Array.isArray(params) || typeof params[0] !== 'string')
        return;
    const r = reorgs.get(params[0].toLowerCase());
    if (!r || r.done)
        return;
    if (method === 'eth_getTransactionReceipt' && r.receipts >= r.afterReceipts) {
        r.done = true;
        await ledger('evm_revert', [r.snapshot]);
        for (let i = 0; i < r.mineAfter; i++)
            await ledger('evm_mine', []);
        stats.reorgs++;
        log(`reorg: reverted to snapshot ${r.snapshot} (tx ${params[0]} gone), mined ${r.mineAfter}`);
    }
}

async function handleRpc(req, res, body) {
    let msg;
    try {
        msg = JSON.parse(body);
    } catch (e) {
        msg = null;
    }
    const single = msg && !Array.isArray(msg) && typeof msg === 'object';
    const method = single && typeof msg.method === 'string' ? msg.method : (Array.isArray(msg) ? '(batch)' : '(invalid)');
    const id = single ? msg.id : null;
    const params = single ? msg.params : undefined;
    stats.total++;
    stats.methods[method] = (stats.methods[method] || 0) + 1;
    await reorgCheck(method, params);
    const rule = pickRule(method);
    const act = rule ? rule.action : 'forward';
    log(`${method} -> ${act}`);
    stats.events.push([Date.now() - t0, method, act]);
    if (stats.events.length > 5000)
        stats.events.shift();
    if (method === 'eth_sendRawTransaction' && Array.isArray(params) && typeof params[0] === 'string') {
        const h = keccak256Hex(params[0]).toLowerCase();
        if (!stats.sent.includes(h))
            stats.sent.push(h);
    }
    switch (act) {
    case 'delay':
        await new Promise((r) => setTimeout(r, rule.delayMs || 1000));
        break;
    case 'timeout':
        if (rule.forward !== false)
            forward(body).catch(() => {});
        return; // never answer; the socket stays open until the client gives up
    case 'http500':
        return reply(res, rule.status || 500, '{"error":"injected server error"}');
    case 'http503':
    case 'http429': {
        const h = rule.retryAfter !== undefined ? { 'Retry-After': String(rule.retryAfter) } : {};
        return reply(res, act === 'http429' ? 429 : 503, 'slow down', Object.assign(h, { 'Content-Type': 'text/plain' }));
    }
    case 'wrongChainId':
        return reply(res, 200, JSON.stringify({ jsonrpc: '2.0', id, result: '0x' + (rule.chainId || 5).toString(16) }));
    case 'drop': {
        if (method !== 'eth_sendRawTransaction' || !Array.isArray(params) || typeof params[0] !== 'string')
            break;
        const h = keccak256Hex(params[0]);
        stats.dropped.push(h);
        log(`dropped ${h}`);
        return reply(res, 200, JSON.stringify({ jsonrpc: '2.0', id, result: h }));
    }
    case 'reorg': {
        if (method !== 'eth_sendRawTransaction' || !Array.isArray(params) || typeof params[0] !== 'string')
            break;
        const snapshot = await ledger('evm_snapshot', []);
        const h = keccak256Hex(params[0]).toLowerCase();
        reorgs.set(h, { snapshot, receipts: 0, afterReceipts: rule.afterReceipts || 1, mineAfter: rule.mineAfter || 0, done: false });
        log(`reorg armed for ${h} (snapshot ${snapshot})`);
        break;
    }
    case 'mine':
        await ledger('evm_mine', []);
        break;
    case 'behind':
        if (method === 'eth_call' && Array.isArray(params) && (params[1] === undefined || params[1] === 'latest'))
            body = JSON.stringify(Object.assign({}, msg, { params: [params[0], rule.block] }));
        break;
    default:
        break;
    }
    let up;
    try {
        up = await forward(body);
    } catch (e) {
        return reply(res, 502, 'upstream unreachable: ' + e.message, { 'Content-Type': 'text/plain' });
    }
    let out = up.body;
    if (act === 'truncate')
        out = out.slice(0, Math.floor(out.length / 2));
    else if (act === 'corrupt')
        out = corruptBody(out, rule.how);
    if (method === 'eth_getTransactionReceipt' && Array.isArray(params) && typeof params[0] === 'string') {
        const r = reorgs.get(params[0].toLowerCase());
        if (r && !r.done && /"blockHash"/.test(up.body))
            r.receipts++;
    }
    reply(res, up.status, out);
}

function handleAdmin(req, res, body) {
    const u = req.url.split('?')[0];
    try {
        if (u === '/__fault' && req.method === 'POST') {
            const j = JSON.parse(body);
            (Array.isArray(j) ? j : [j]).forEach(addRule);
            log(`rules: ${JSON.stringify(rules)}`);
            return reply(res, 200, JSON.stringify({ rules: rules.length }));
        }
        if (u === '/__fault' && req.method === 'DELETE') {
            rules = [];
            return reply(res, 200, '{"rules":0}');
        }
        if (u === '/__stats')
            return reply(res, 200, JSON.stringify(Object.assign({}, stats, { rules })));
        if (u === '/__reset' && req.method === 'POST') {
            stats.total = 0;
            stats.methods = {};
            stats.events = [];
            stats.sent = [];
            stats.dropped = [];
            return reply(res, 200, '{}');
        }
    } catch (e) {
        return reply(res, 400, JSON.stringify({ error: e.message }));
    }
    reply(res, 404, '{"error":"unknown admin endpoint"}');
}

const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (req.url.startsWith('/__'))
            return handleAdmin(req, res, body);
        handleRpc(req, res, body).catch((e) => {
            log(`error: ${e.stack}`);
            if (!res.headersSent)
                reply(res, 502, 'proxy error', { 'Content-Type': 'text/plain' });
        });
    });
});
server.keepAliveTimeout = 60000;

if (rulesFile)
    JSON.parse(fs.readFileSync(rulesFile, 'utf8')).forEach(addRule);

server.listen(listenPort, '127.0.0.1', () => {
    const port = server.address().port;
    log(`listening on 127.0.0.1:${port}, forwarding to ${target.href}`);
    if (portFile) {
        fs.writeFileSync(portFile + '.tmp', String(port));
        fs.renameSync(portFile + '.tmp', portFile);
    }
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
