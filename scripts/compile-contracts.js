#!/usr/bin/env node
// Compile contracts/*.sol with the pinned npm solc (package.json: solc 0.8.28)
// and write the committed artifacts the C tools embed, so they need no Node at
// run time:
//   contracts/build/<Name>.json  {contractName, abi, bytecode, deployedBytecode,
//                                 compiler: {version, evmVersion, optimizer}}
//   contracts/build/<Name>.bin   creation bytecode, one line of hex, no 0x
//
// Settings are fixed here, not taken from the environment: optimizer on with
// 200 runs and evmVersion "berlin" — no PUSH0 (Shanghai) and no BASEFEE
// (London), so the same bytecode runs on Besu/EBSI and on ganache's berlin
// profile. The compile is deterministic (solc appends a metadata hash of the
// sources and settings), so a fresh compile must reproduce the committed files.
//
//   node scripts/compile-contracts.js           compile and write the artifacts
//   node scripts/compile-contracts.js --check   compile in memory; exit 1 with a
//                                               summary if the artifacts differ
'use strict';

const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const SRC_DIR = path.join(ROOT, 'contracts');
const OUT_DIR = path.join(SRC_DIR, 'build');
const PINNED = '0.8.28';
const SETTINGS = {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: 'berlin',
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};

function loadSolc() {
    let solc;
    try {
        solc = require(path.join(ROOT, 'node_modules', 'solc'));
    } catch (e) {
        fail(`cannot load solc from ${ROOT}/node_modules (${e.message}); run: scripts/setup.sh --npm .`);
    }
    const v = solc.version();
    if (!v.startsWith(PINNED + '+')) fail(`solc ${v} is installed but ${PINNED} is pinned; run: scripts/setup.sh --npm .`);
    return solc;
}

function fail(msg) {
    console.error(`compile-contracts: ${msg}`);
    process.exit(2);
}

// Every contracts/*.sol, keyed "contracts/<file>" (the key is part of the
// metadata hash, so it must not depend on where the repository lives).
function sources() {
    const files = fs.readdirSync(SRC_DIR).filter((f) => f.endsWith('.sol')).sort();
    if (files.length === 0) fail(`no .sol files in ${SRC_DIR}`);
    const out = {};
    for (const f of files) out[`contracts/${f}`] = { content: fs.readFileSync(path.join(SRC_DIR, f), 'utf8') };
    return out;
}

// Compile; return a map of file name (relative to contracts/build) => content.
function compile(solc) {
    const input = { language: 'Solidity', sources: sources(), settings: SETTINGS };
    const output = JSON.parse(solc.compile(JSON.stringify(input)));
    const diags = output.errors || [];
    for (const d of diags) console.error(d.formattedMessage || d.message);
    if (diags.some((d) => d.severity === 'error')) fail('compilation failed');
    // Warnings are not tolerated either: they are how solc reports shadowing,
    // unreachable code and unused results in a contract that holds history.
    if (diags.length > 0) fail(`${diags.length} compiler warning(s); fix them`);

    const files = {};
    for (const [src, contracts] of Object.entries(output.contracts)) {
        for (const [name, c] of Object.entries(contracts)) {
            const bytecode = c.evm.bytecode.object;
            if (!bytecode) continue; // interfaces and abstract contracts
            if (files[`${name}.json`]) fail(`two contracts named ${name}`);
            const artifact = {
                contractName: name,
                sourceName: src,
                abi: c.abi,
                bytecode: '0x' + bytecode,
                deployedBytecode: '0x' + c.evm.deployedBytecode.object,
                compiler: {
                    version: solc.version(),
                    evmVersion: SETTINGS.evmVersion,
                    optimizer: SETTINGS.optimizer,
                },
            };
            files[`${name}.json`] = JSON.stringify(artifact, null, 2) + '\n';
            files[`${name}.bin`] = bytecode + '\n';
        }
    }
    return files;
}

// Where two texts first differ: line, column and 40 characters around it.
function firstDifference(a, b) {
    const la = a.split('\n');
    const lb = b.split('\n');
    for (let i = 0; i < Math.max(la.length, lb.length); i++) {
        if (la[i] === lb[i]) continue;
        const x = la[i] === undefined ? '' : la[i];
        const y = lb[i] === undefined ? '' : lb[i];
        let col = 0;
        while (col < x.length && col < y.length && x[col] === y[col]) col++;
        const from = Math.max(0, col - 20);
        const cut = (s, whole) => (whole === undefined ? '(end of file)'
            : (from > 0 ? '…' : '') + s.slice(from, col + 20) + (s.length > col + 20 ? '…' : ''));
        return `line ${i + 1}, column ${col + 1}:\n      committed: ${cut(x, la[i])}\n      fresh:     ${cut(y, lb[i])}`;
    }
    return 'identical';
}

function check(files) {
    const problems = [];
    for (const [name, content] of Object.entries(files)) {
        const p = path.join(OUT_DIR, name);
        if (!fs.existsSync(p)) {
            problems.push(`  missing: contracts/build/${name}`);
            continue;
        }
        const old = fs.readFileSync(p, 'utf8');
        if (old !== content) problems.push(`  differs: contracts/build/${name} at ${firstDifference(old, content)}`);
    }
    const stale = fs.existsSync(OUT_DIR)
        ? fs.readdirSync(OUT_DIR).filter((f) => /\.(json|bin)$/.test(f) && !(f in files))
        : [];
    for (const f of stale) problems.push(`  stale:   contracts/build/${f} (no such contract in contracts/*.sol)`);
    if (problems.length > 0) {
        console.error(`compile-contracts --check: committed artifacts do not match a fresh compile ` +
            `(solc ${PINNED}, evm berlin, optimizer 200 runs):`);
        for (const p of problems) console.error(p);
        console.error('run: node scripts/compile-contracts.js, then commit contracts/build/');
        process.exit(1);
    }
    const names = Object.keys(files).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
    console.log(`compile-contracts --check: ${names.join(', ')} match a fresh compile`);
}

function write(files) {
    fs.mkdirSync(OUT_DIR, { recursive: true });
    for (const [name, content] of Object.entries(files)) {
        const p = path.join(OUT_DIR, name);
        // Temp file + rename: a reader never sees half an artifact.
        const tmp = `${p}.tmp-${process.pid}`;
        fs.writeFileSync(tmp, content);
        fs.renameSync(tmp, p);
        console.log(`wrote contracts/build/${name}`);
    }
}

function main() {
    const args = process.argv.slice(2);
    const unknown = args.filter((a) => a !== '--check');
    if (unknown.length > 0) {
        console.error(`usage: node scripts/compile-contracts.js [--check] (unknown: ${unknown.join(' ')})`);
        process.exit(2);
    }
    const files = compile(loadSolc());
    if (args.includes('--check')) check(files);
    else write(files);
}

main();
