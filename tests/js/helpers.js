// tests/js/helpers.js — what the contract tests (contracts.test.js,
// registry2.test.js) share: the environment they need, the committed
// artifacts, decoding a custom-error revert with ethers, the opcode walk that
// keeps artifacts berlin-compatible, and a tiny runner that ends with the
// line "N passed, N failed" (tests/cli/contracts.sh sums those lines).
'use strict';

const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { ethers } = require('ethers');

const ROOT = path.resolve(__dirname, '..', '..');

// LEDGER_URL, DEV_KEY_0 and DEV_KEY_1 come from tests/lib/ledger.sh; exits 2
// (usage) naming the script when one is missing.
function env(script) {
    if (!process.env.LEDGER_URL || !process.env.DEV_KEY_0 || !process.env.DEV_KEY_1) {
        console.error(`${script}: set LEDGER_URL, DEV_KEY_0 and DEV_KEY_1 (source tests/lib/ledger.sh)`);
        process.exit(2);
    }
    return { url: process.env.LEDGER_URL, profile: process.env.LEDGER_PROFILE || 'default' };
}

// A provider that never answers from its cache: ethers otherwise reuses an
// identical request's answer for 250 ms, e.g. a stale pending nonce right
// after a mined transaction.
function provider(url) {
    return new ethers.JsonRpcProvider(url, undefined,
        { staticNetwork: true, polling: true, pollingInterval: 50, cacheTimeout: -1 });
}

// contracts/build/<name>.json exactly as committed.
const artifact = (name) => require(path.join(ROOT, 'contracts', 'build', `${name}.json`));

// The custom error a call reverts with, decoded by ethers from the revert
// data: {name, args}. Throws if the call does not revert.
async function revertOf(promise) {
    try {
        await promise;
    } catch (e) {
        if (e.revert) return { name: e.revert.name, args: [...e.revert.args] };
        throw new Error(`reverted without a decodable custom error: ${e.shortMessage || e.message}`);
    }
    throw new Error('call succeeded but was expected to revert');
}

async function expectRevert(promise, name, args) {
    const r = await revertOf(promise);
    assert.strictEqual(r.name, name, `reverted with ${r.name}(${r.args}) instead of ${name}`);
    if (args) assert.deepStrictEqual(r.args, args, `${name} arguments`);
}

// Walk EVM bytecode (skipping PUSH data) and list the opcodes used.
function opcodes(hex) {
    const code = ethers.getBytes(hex);
    const ops = new Set();
    for (let i = 0; i < code.length; i++) {
        const op = code[i];
        if (op === 0xfe) break; // INVALID: what follows is the CBOR metadata / data
        ops.add(op);
        if (op >= 0x60 && op <= 0x7f) i += op - 0x5f;
    }
    return ops;
}

// An artifact was built with the pinned settings, matches its .bin file and
// uses no opcode newer than berlin (PUSH0, BASEFEE).
function checkArtifact(a) {
    assert.strictEqual(a.compiler.evmVersion, 'berlin');
    assert.ok(a.compiler.version.startsWith('0.8.28+'), a.compiler.version);
    assert.deepStrictEqual(a.compiler.optimizer, { enabled: true, runs: 200 });
    const bin = fs.readFileSync(path.join(ROOT, 'contracts', 'build', `${a.contractName}.bin`), 'utf8');
    assert.strictEqual('0x' + bin.trim(), a.bytecode, `${a.contractName}.bin matches .json`);
    assert.match(bin, /^[0-9a-f]+\n$/, `${a.contractName}.bin is one line of lowercase hex`);
    for (const code of [a.bytecode, a.deployedBytecode]) {
        assert.ok(!opcodes(code).has(0x5f), `${a.contractName} uses PUSH0 (Shanghai)`);
        assert.ok(!opcodes(code).has(0x48), `${a.contractName} uses BASEFEE (London)`);
    }
}

// The sorted signatures of an Interface's functions, events or errors
// (kind: 'Function' | 'Event' | 'Error').
function signatures(iface, kind) {
    const out = [];
    iface[`forEach${kind}`]((f) => out.push(f.format('sighash')));
    return out.sort();
}

// Tests run in order, each to the end; a failing one does not stop the rest.
function runner() {
    const tests = [];
    return {
        test: (name, fn) => tests.push({ name, fn }),
        // Run them all, print "ok"/"FAIL" lines and the summary, exit 0/1.
        async run(prov) {
            let passed = 0;
            let failed = 0;
            for (const t of tests) {
                try {
                    await t.fn();
                    passed++;
                    console.log(`ok   ${t.name}`);
                } catch (e) {
                    failed++;
                    console.log(`FAIL ${t.name}: ${e.message}`);
                }
            }
            if (prov) prov.destroy();
            console.log(`${passed} passed, ${failed} failed`);
            process.exit(failed ? 1 : 0);
        },
        // A failure before any test ran (deploy, network) still ends with a summary.
        setupFailed(e) {
            console.log(`FAIL setup: ${e.stack || e.message}`);
            console.log(`0 passed, ${tests.length + 1} failed`);
            process.exit(1);
        },
    };
}

module.exports = { ROOT, env, provider, artifact, revertOf, expectRevert, opcodes, checkArtifact, signatures, runner };
