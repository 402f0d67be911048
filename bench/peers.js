#!/usr/bin/env node
/*
 * bench/peers.js — time one peer Merkle library at one N, for bench/run.sh.
 *
 *   node bench/peers.js PEER N
 *   PEER: merkletreejs | openzeppelin | open-attestation
 *
 * Prints one JSON line: {peer, n, build_s, proofs_s, proofs_timed, rss_mb,
 * rss_base_mb, entries_sha256, root, runs, node, note}. The N entries are the same 32-byte
 * values bench/merkle.c uses (same generator; entries_sha256 lets run.sh
 * check that both sides hashed identical bytes).
 *
 *   merkletreejs      new MerkleTree(entries, sha256, {hashLeaves: true}); it
 *                     has no RFC 6962/9162 mode (no 0x00/0x01 prefixes), so
 *                     this is its default SHA-256 tree. Proofs: getProof(leaf,
 *                     i) (with the index, so no linear search).
 *   openzeppelin      StandardMerkleTree.of(entries as [bytes32], ["bytes32"]):
 *                     ABI-encodes, double-keccaks and sorts the leaves — what
 *                     it does, measured as is. Proofs: getProof(i).
 *   open-attestation  v2 wrapDocuments over N small documents: salts and
 *                     digests every document, builds the tree and attaches
 *                     each document's proof (finding each leaf by a linear
 *                     search, so it is O(N^2)); build_s covers all of that,
 *                     proofs_s is null. Its own entries are the documents.
 *
 * proofs_s is the time for all N proofs; when proofs_timed < N it was timed
 * on proofs_timed leaves spread evenly and scaled to N (see PROOFS_MAX).
 *
 * Time is process.hrtime (monotonic). The best of 3 runs up to 10k leaves,
 * one run above (a 1M-leaf JS tree takes seconds); a small untimed warm-up
 * run first so the JIT has compiled the hot paths. rss_mb is the process's
 * peak RSS (process.resourceUsage().maxRSS), including Node itself
 * (rss_base_mb, measured before the entries exist).
 */
'use strict';

const crypto = require('crypto');

function fmix32(h) {
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
}

/* Entry i, word j (little-endian) = fmix32(8i + j + 0x9e3779b9 mod 2^32),
 * as make_entries() in bench/merkle.c. */
/* Up to `max` indices spread evenly over 0..n-1. */
function proofIndices(n, max) {
    const k = Math.min(n, max);
    const idx = new Array(k);
    for (let j = 0; j < k; j++) idx[j] = Math.floor((j * n) / k);
    return idx;
}

function makeEntries(n) {
    const all = Buffer.alloc(32 * n);
    for (let i = 0; i < n; i++)
        for (let j = 0; j < 8; j++)
            all.writeUInt32LE(fmix32((i * 8 + j + 0x9e3779b9) >>> 0), 32 * i + 4 * j);
    const entries = new Array(n);
    for (let i = 0; i < n; i++) entries[i] = all.subarray(32 * i, 32 * i + 32);
    return { all, entries };
}

/* Proofs are made for every leaf up to this many, else for this many leaves
 * spread evenly and scaled to N (each proof is independent of the others, so
 * the scaling is linear): OpenZeppelin re-hashes the leaf for every getProof
 * and needs ~0.25 ms each here, 4 minutes for a million. */
const PROOFS_MAX = { merkletreejs: 1 << 20, openzeppelin: 10000 };

const sha256 = (data) => crypto.createHash('sha256').update(data).digest();
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

const PEERS = {
    merkletreejs(entries) {
        const { MerkleTree } = require('merkletreejs');
        let t0 = process.hrtime.bigint();
        const tree = new MerkleTree(entries, sha256, { hashLeaves: true });
        const build = seconds(t0);
        const idx = proofIndices(entries.length, PROOFS_MAX.merkletreejs);
        t0 = process.hrtime.bigint();
        let acc = 0;
        for (const i of idx) acc += tree.getProof(entries[i], i).length;
        const proofs = (seconds(t0) * entries.length) / idx.length;
        if (acc === 0) throw new Error('merkletreejs made empty proofs');
        return { build, proofs, proofsTimed: idx.length, root: tree.getRoot().toString('hex') };
    },
    openzeppelin(entries) {
        const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');
        const values = entries.map((e) => ['0x' + e.toString('hex')]); // input format, untimed
        let t0 = process.hrtime.bigint();
        const tree = StandardMerkleTree.of(values, ['bytes32']);
        const build = seconds(t0);
        const idx = proofIndices(values.length, PROOFS_MAX.openzeppelin);
        t0 = process.hrtime.bigint();
        let acc = 0;
        for (const i of idx) acc += tree.getProof(i).length;
        const proofs = (seconds(t0) * values.length) / idx.length;
        if (acc === 0) throw new Error('openzeppelin made empty proofs');
        return { build, proofs, proofsTimed: idx.length, root: tree.root.replace(/^0x/, '') };
    },
    'open-attestation'(entries) {
        const { wrapDocuments } = require('@govtechsg/open-attestation');
        // A minimal valid v2 document per entry, carrying the entry as its id.
        const docs = entries.map((e) => ({
            id: e.toString('hex'),
            name: 'Bench credential',
            issuers: [{
                name: 'Bench University',
                documentStore: '0x9178F546D3FF57D7A6352bD61B80cCCD46199C2d',
                identityProof: { type: 'DNS-TXT', location: 'example.com' },
            }],
            recipient: { name: 'Recipient' },
        }));
        const t0 = process.hrtime.bigint();
        const wrapped = wrapDocuments(docs);
        const build = seconds(t0);
        if (wrapped.length !== entries.length) throw new Error('wrapDocuments lost documents');
        return { build, proofs: null, proofsTimed: 0, root: wrapped[0].signature.merkleRoot };
    },
};

function main() {
    const [peer, nArg] = process.argv.slice(2);
    const n = Number(nArg);
    if (!PEERS[peer] || !Number.isInteger(n) || n < 2 || n > 1 << 26) {
        console.error(`usage: node bench/peers.js (${Object.keys(PEERS).join(' | ')}) N   (N in 2..${1 << 26})`);
        process.exit(2);
    }
    const rssBase = process.resourceUsage().maxRSS / 1024;
    PEERS[peer](makeEntries(Math.min(n, 1000)).entries); // warm-up, untimed
    const { all, entries } = makeEntries(n);
    const runs = n <= 10000 ? 3 : 1;
    const best = { build: Infinity, proofs: null, proofsTimed: 0, root: null };
    for (let k = 0; k < runs; k++) {
        const r = PEERS[peer](entries);
        best.build = Math.min(best.build, r.build);
        if (r.proofs !== null) best.proofs = Math.min(best.proofs ?? Infinity, r.proofs);
        best.root = r.root;
        best.proofsTimed = r.proofsTimed;
    }
    const out = {
        peer,
        n,
        build_s: +best.build.toFixed(6),
        proofs_s: best.proofs === null ? null : +best.proofs.toFixed(6),
        proofs_timed: best.proofsTimed,
        rss_mb: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
        rss_base_mb: +rssBase.toFixed(1),
        entries_sha256: sha256(all).toString('hex'),
        root: best.root,
        runs,
        node: process.version,
    };
    if (peer === 'open-attestation') out.note = 'build_s includes salting, digesting and attaching every proof';
    process.stdout.write(JSON.stringify(out) + '\n');
}

main();
