// tests/js/contracts.test.js — the committed contract artifacts against a
// real local ledger, cross-checked with ethers (an implementation independent
// of ours). Run by tests/cli/contracts.sh once per ledger profile:
//
//   LEDGER_URL=http://127.0.0.1:PORT LEDGER_PROFILE=default|berlin \
//   DEV_KEY_0=0x... DEV_KEY_1=0x... node tests/js/contracts.test.js
//
// It deploys contracts/build/{NotaryRegistry,Timestamp}.json exactly as
// committed (the bytes the C notary embeds), exercises every rule of the
// registry (contiguous sequence per issuer and kind, no repeats, no gaps, no
// zero size, no unknown kind, first-write-wins timestamps), decodes events
// with ethers' Interface, measures gas per anchor, and ends with the line
// "N passed, N failed". Plain node + assert: no test framework.
'use strict';

const assert = require('assert');
const { ethers } = require('ethers');
const { env, provider: connect, artifact, expectRevert, revertOf, checkArtifact, signatures, runner } = require('./helpers');

const { url: URL, profile: PROFILE } = env('contracts.test.js');
const GAS_LIMIT_PER_ANCHOR = 60000n; // DESIGN target, including 21k base + calldata

const REG = artifact('NotaryRegistry');
const TS = artifact('Timestamp');
const regIface = new ethers.Interface(REG.abi);
const tsIface = new ethers.Interface(TS.abi);

const { test, run, setupFailed } = runner();

// A fixed but distinct 32-byte root per label.
const root = (label) => ethers.sha256(ethers.toUtf8Bytes(`root:${label}`));

async function main() {
    const provider = connect(URL);
    const net = await provider.getNetwork();
    assert.strictEqual(net.chainId, 1337n, 'chain id');
    const issuer0 = new ethers.Wallet(process.env.DEV_KEY_0, provider);
    const issuer1 = new ethers.Wallet(process.env.DEV_KEY_1, provider);
    const addr0 = await issuer0.getAddress();
    const addr1 = await issuer1.getAddress();
    const balance0 = await provider.getBalance(addr0);

    let registry; // contract connected to issuer0
    let registryAt;
    const gas = { first: 0n, steady: [], firstCheckpoint: 0n };
    const receipts = {};

    test('artifacts contain no PUSH0 (berlin) and match their .bin files', async () => {
        for (const a of [REG, TS]) checkArtifact(a);
    });

    test('ABI: functions, event and errors have the agreed signatures', async () => {
        assert.deepStrictEqual(signatures(regIface, 'Function'),
            ['anchor(bytes32,uint64,uint64,uint8)', 'anchoredAt(address,bytes32)', 'nextSeq(address,uint8)']);
        assert.deepStrictEqual(signatures(regIface, 'Event'), ['Anchored(address,bytes32,uint64,uint64,uint8)']);
        assert.deepStrictEqual(signatures(regIface, 'Error'), ['AlreadyAnchored(bytes32)', 'BadKind(uint8)',
            'BadSequence(uint64,uint64)', 'ZeroRoot()', 'ZeroSize()']);
        assert.strictEqual(regIface.getFunction('anchor').selector, '0x18523823');
        const ev = regIface.getEvent('Anchored');
        assert.deepStrictEqual(ev.inputs.map((p) => [p.name, p.indexed]),
            [['issuer', true], ['root', true], ['size', false], ['seq', false], ['kind', false]]);
        // EBSI conformance: every function and event of our Timestamp stand-in
        // has the signature (hence selector / topic) of EBSI's timestamp-v4
        // contract as published (TimestampDetailed.sol, HashAlgoDetailed.sol,
        // Timestamp.sol; docs/ebsi.md). Written out here, not derived from our
        // ABI, so a drift of either side fails.
        const EBSI_FUNCTIONS = {
            'timestampHashes(uint256[],bytes[],bytes[])': '0x04bb4722',
            'getTimestamp(bytes)': null, 'getTimestampById(bytes32)': null, 'getTimestamps(uint256,uint256)': null,
            'insertHashAlgorithm(uint256,string,string,uint8,string)': null,
            'updateHashAlgorithm(uint256,uint256,string,string,uint8,string)': null,
            'getHashAlgorithmById(uint256)': null, 'getHashAlgorithms(uint256,uint256)': null, 'version()': null,
        };
        for (const sig of signatures(tsIface, 'Function')) {
            assert.ok(sig in EBSI_FUNCTIONS, `${sig} is not a function of EBSI's Timestamp contract`);
            assert.strictEqual(tsIface.getFunction(sig).selector, ethers.id(sig).slice(0, 10));
        }
        assert.strictEqual(tsIface.getFunction('timestampHashes').selector, '0x04bb4722');
        const evTs = tsIface.getEvent('TimestampedHashes');
        assert.strictEqual(evTs.topicHash, ethers.id('TimestampedHashes(bytes32[],uint256[],bytes[],bytes[])'));
        assert.strictEqual(evTs.topicHash, '0x306c2544c45d1ccf2ebbd744e9396906704a33212d781f5ba3f92dd7cc8b4d5b');
        assert.deepStrictEqual(evTs.inputs.map((p) => [p.name, p.indexed]),
            [['timestampIds', false], ['hashAlgorithmIds', false], ['hashValues', false], ['timestampData', false]]);
        for (const sig of signatures(tsIface, 'Event'))
            assert.ok(['TimestampedHashes(bytes32[],uint256[],bytes[],bytes[])',
                'AddNewHashAlgo(uint256,string,uint256,string,uint8,string)',
                'UpdateHashAlgo(uint256,string,string,uint256,string,uint8,string)'].includes(sig), `${sig} is not EBSI's`);
        // getTimestamp's return shape: ((uint256,bytes) hash, address, uint256, bytes)
        assert.deepStrictEqual(tsIface.getFunction('getTimestamp').outputs.map((o) => o.format('sighash')),
            ['(uint256,bytes)', 'address', 'uint256', 'bytes']);
        assert.deepStrictEqual(tsIface.getFunction('getTimestampById').outputs.map((o) => o.format('sighash')),
            ['(uint256,bytes)', 'address', 'uint256', 'bytes']);
    });

    test('deploy NotaryRegistry: the code on chain is the committed deployedBytecode', async () => {
        const factory = new ethers.ContractFactory(REG.abi, REG.bytecode, issuer0);
        const c = await factory.deploy();
        const rcpt = await c.deploymentTransaction().wait();
        assert.strictEqual(rcpt.status, 1);
        registryAt = await c.getAddress();
        registry = c;
        assert.strictEqual(await provider.getCode(registryAt), REG.deployedBytecode);
        console.log(`# ${PROFILE}: NotaryRegistry deployed at ${registryAt}, gas ${rcpt.gasUsed}`);
    });

    test('a fresh issuer: nextSeq 0 for both kinds, 0 for an unknown kind, anchoredAt all zeros', async () => {
        assert.strictEqual(await registry.nextSeq(addr0, 0), 0n);
        assert.strictEqual(await registry.nextSeq(addr0, 1), 0n);
        assert.strictEqual(await registry.nextSeq(addr0, 7), 0n);
        assert.deepStrictEqual([...(await registry.anchoredAt(addr0, root('b0')))], [0n, 0n, 0n, 0n, 0n]);
    });

    test('anchor kind 0 seq 0, 1, 2: mined, gas within budget', async () => {
        for (let seq = 0; seq < 3; seq++) {
            const tx = await registry.anchor(root(`b${seq}`), 1000 + seq, seq, 0);
            const rcpt = await tx.wait();
            assert.strictEqual(rcpt.status, 1, `seq ${seq} status`);
            receipts[`b${seq}`] = rcpt;
            if (seq === 0) gas.first = rcpt.gasUsed;
            else gas.steady.push(rcpt.gasUsed);
            if (PROFILE === 'berlin') {
                const t = await provider.getTransaction(rcpt.hash);
                assert.strictEqual(t.gasPrice, 0n, 'berlin profile: gasPrice 0');
            }
        }
        console.log(`# ${PROFILE}: gas per anchor: first ${gas.first}, then ${gas.steady.join(', ')}`);
        for (const g of gas.steady) assert.ok(g <= GAS_LIMIT_PER_ANCHOR, `steady-state anchor used ${g} gas > ${GAS_LIMIT_PER_ANCHOR}`);
        assert.strictEqual(await registry.nextSeq(addr0, 0), 3n);
        assert.strictEqual(await registry.nextSeq(addr0, 1), 0n, 'kind 1 untouched');
    });

    test('Anchored event decodes with ethers Interface to the anchored fields', async () => {
        const rcpt = receipts.b1;
        assert.strictEqual(rcpt.logs.length, 1);
        const log = rcpt.logs[0];
        assert.strictEqual(log.address, registryAt);
        assert.strictEqual(log.topics[0], ethers.id('Anchored(address,bytes32,uint64,uint64,uint8)'));
        assert.strictEqual(log.topics[1], ethers.zeroPadValue(addr0.toLowerCase(), 32));
        assert.strictEqual(log.topics[2], root('b1'));
        const ev = regIface.parseLog(log);
        assert.strictEqual(ev.name, 'Anchored');
        assert.strictEqual(ev.args.issuer, addr0);
        assert.strictEqual(ev.args.root, root('b1'));
        assert.strictEqual(ev.args.size, 1001n);
        assert.strictEqual(ev.args.seq, 1n);
        assert.strictEqual(ev.args.kind, 0n);
    });

    test('anchoredAt returns the block, its timestamp, size, seq and kind', async () => {
        for (let seq = 0; seq < 3; seq++) {
            const rcpt = receipts[`b${seq}`];
            const block = await provider.getBlock(rcpt.blockNumber);
            const r = await registry.anchoredAt(addr0, root(`b${seq}`));
            assert.deepStrictEqual([...r], [BigInt(rcpt.blockNumber), BigInt(block.timestamp), BigInt(1000 + seq), BigInt(seq), 0n]);
            assert.strictEqual(r.blockNumber, BigInt(rcpt.blockNumber));
        }
    });

    test('eth_getLogs by issuer and root topics finds exactly that anchor', async () => {
        const logs = await provider.getLogs({
            address: registryAt, fromBlock: 0, toBlock: 'latest',
            topics: [regIface.getEvent('Anchored').topicHash, ethers.zeroPadValue(addr0, 32), root('b2')],
        });
        assert.strictEqual(logs.length, 1);
        assert.strictEqual(logs[0].transactionHash, receipts.b2.hash);
    });

    test('repeat of the last seq reverts BadSequence(3, 2)', async () => {
        await expectRevert(registry.anchor.staticCall(root('x'), 5, 2, 0), 'BadSequence', [3n, 2n]);
    });
    test('repeat of seq 0 reverts BadSequence(3, 0)', async () => {
        await expectRevert(registry.anchor.staticCall(root('x'), 5, 0, 0), 'BadSequence', [3n, 0n]);
    });
    test('gap (seq 4 when 3 is next) reverts BadSequence(3, 4)', async () => {
        await expectRevert(registry.anchor.staticCall(root('x'), 5, 4, 0), 'BadSequence', [3n, 4n]);
    });
    test('far gap (seq 2^64-1) reverts BadSequence', async () => {
        await expectRevert(registry.anchor.staticCall(root('x'), 5, 2n ** 64n - 1n, 0), 'BadSequence', [3n, 2n ** 64n - 1n]);
    });
    test('size 0 reverts ZeroSize', async () => {
        await expectRevert(registry.anchor.staticCall(root('x'), 0, 3, 0), 'ZeroSize', []);
    });
    test('kind 2 reverts BadKind(2)', async () => {
        await expectRevert(registry.anchor.staticCall(root('x'), 5, 0, 2), 'BadKind', [2n]);
    });
    test('kind 255 reverts BadKind(255)', async () => {
        await expectRevert(registry.anchor.staticCall(root('x'), 5, 0, 255), 'BadKind', [255n]);
    });
    test('the all-zero root reverts ZeroRoot', async () => {
        await expectRevert(registry.anchor.staticCall(ethers.ZeroHash, 5, 3, 0), 'ZeroRoot', []);
    });
    test('the same root again with the right seq reverts AlreadyAnchored', async () => {
        await expectRevert(registry.anchor.staticCall(root('b1'), 5, 3, 0), 'AlreadyAnchored', [root('b1')]);
    });
    test('an already anchored batch root cannot come back as a checkpoint', async () => {
        await expectRevert(registry.anchor.staticCall(root('b1'), 5, 0, 1), 'AlreadyAnchored', [root('b1')]);
    });

    test('a mined reverting anchor (status 0) changes nothing', async () => {
        const before = await provider.getBlockNumber();
        let err;
        try {
            const tx = await registry.anchor(root('x'), 5, 7, 0, { gasLimit: 100000 });
            await tx.wait();
        } catch (e) {
            err = e;
        }
        assert.ok(err, 'the transaction should fail');
        assert.strictEqual(err.code, 'CALL_EXCEPTION', err.message);
        if (err.receipt) assert.strictEqual(err.receipt.status, 0);
        assert.ok((await provider.getBlockNumber()) >= before);
        assert.strictEqual(await registry.nextSeq(addr0, 0), 3n);
        assert.deepStrictEqual([...(await registry.anchoredAt(addr0, root('x')))], [0n, 0n, 0n, 0n, 0n]);
    });

    test('kind 1 (revocation checkpoints) has its own sequence', async () => {
        await expectRevert(registry.anchor.staticCall(root('c1'), 4, 1, 1), 'BadSequence', [0n, 1n]);
        await expectRevert(registry.anchor.staticCall(root('c0'), 4, 3, 1), 'BadSequence', [0n, 3n]);
        let rcpt = await (await registry.anchor(root('c0'), 4, 0, 1)).wait();
        gas.firstCheckpoint = rcpt.gasUsed;
        const ev = regIface.parseLog(rcpt.logs[0]);
        assert.deepStrictEqual([ev.args.size, ev.args.seq, ev.args.kind], [4n, 0n, 1n]);
        rcpt = await (await registry.anchor(root('c1'), 9, 1, 1)).wait();
        assert.strictEqual(rcpt.status, 1);
        assert.strictEqual(await registry.nextSeq(addr0, 1), 2n);
        assert.strictEqual(await registry.nextSeq(addr0, 0), 3n, 'kind 0 untouched');
        await expectRevert(registry.anchor.staticCall(root('c9'), 4, 0, 1), 'BadSequence', [2n, 0n]);
        const r = await registry.anchoredAt(addr0, root('c1'));
        assert.deepStrictEqual([r.size, r.seq, r.kind], [9n, 1n, 1n]);
        console.log(`# ${PROFILE}: gas for the first checkpoint (counter slot shared with batches): ${gas.firstCheckpoint}`);
        assert.ok(gas.firstCheckpoint <= GAS_LIMIT_PER_ANCHOR, `first checkpoint used ${gas.firstCheckpoint}`);
    });

    test('a second issuer has its own sequence and its own records', async () => {
        const reg1 = registry.connect(issuer1);
        assert.strictEqual(await reg1.nextSeq(addr1, 0), 0n);
        await expectRevert(reg1.anchor.staticCall(root('b0'), 1, 3, 0), 'BadSequence', [0n, 3n]);
        // The same root as issuer 0's first batch: records are per issuer.
        const rcpt = await (await reg1.anchor(root('b0'), 77, 0, 0)).wait();
        assert.strictEqual(rcpt.status, 1);
        const ev = regIface.parseLog(rcpt.logs[0]);
        assert.strictEqual(ev.args.issuer, addr1);
        const mine = await registry.anchoredAt(addr1, root('b0'));
        const theirs = await registry.anchoredAt(addr0, root('b0'));
        assert.strictEqual(mine.size, 77n);
        assert.strictEqual(theirs.size, 1000n);
        assert.notStrictEqual(mine.blockNumber, theirs.blockNumber);
        assert.strictEqual(await registry.nextSeq(addr1, 0), 1n);
        assert.strictEqual(await registry.nextSeq(addr0, 0), 3n);
        assert.deepStrictEqual([...(await registry.anchoredAt(addr1, root('b1')))], [0n, 0n, 0n, 0n, 0n],
            'issuer 1 never anchored b1');
    });

    // --- Timestamp -----------------------------------------------------------
    let ts;
    let tsAt;
    const h = (label) => ethers.sha256(ethers.toUtf8Bytes(`hash:${label}`));
    const d = (s) => ethers.hexlify(ethers.toUtf8Bytes(s));

    test('deploy Timestamp: the code on chain is the committed deployedBytecode', async () => {
        const c = await new ethers.ContractFactory(TS.abi, TS.bytecode, issuer0).deploy();
        await c.deploymentTransaction().wait();
        ts = c;
        tsAt = await c.getAddress();
        assert.strictEqual(await provider.getCode(tsAt), TS.deployedBytecode);
    });

    const unknown = async (p) => {
        const r = await revertOf(p);
        assert.deepStrictEqual([r.name, r.args], ['Error', ['timestamp unknown']]);
    };

    test('getTimestamp and getTimestampById of an unknown hash revert "timestamp unknown"', async () => {
        await unknown(ts.getTimestamp(h('none')));
        await unknown(ts.getTimestampById(ethers.sha256(h('none'))));
    });

    test('algorithm 0 is sha2-256, active', async () => {
        const a = await ts.getHashAlgorithmById(0);
        assert.deepStrictEqual([a.outputLength, a.status, a.multiHash], [256n, 1n, 'sha2-256']);
        const r = await revertOf(ts.getHashAlgorithmById(7));
        assert.deepStrictEqual(r.args, ['hashAlgo unknown']);
    });

    test('timestampHashes records each hash (id sha256(value)) with sender, block, algorithm and data', async () => {
        await (await ts.insertHashAlgorithm(512, 'sha-512', '2.16.840.1.101.3.4.2.3', 1, 'sha2-512')).wait();
        const tx = await ts.timestampHashes([0, 1], [h('a'), h('b')], [d('{"batch":1}'), '0x']);
        const rcpt = await tx.wait();
        assert.strictEqual(rcpt.status, 1);
        console.log(`# ${PROFILE}: gas for timestampHashes of 2 hashes: ${rcpt.gasUsed}`);
        assert.strictEqual(rcpt.logs.length, 1, 'one event per call');
        assert.strictEqual(rcpt.logs[0].topics.length, 1, 'nothing indexed');
        const ev = tsIface.parseLog(rcpt.logs[0]);
        assert.strictEqual(ev.name, 'TimestampedHashes');
        assert.deepStrictEqual([[...ev.args.timestampIds], [...ev.args.hashAlgorithmIds], [...ev.args.hashValues],
            [...ev.args.timestampData]], [[ethers.sha256(h('a')), ethers.sha256(h('b'))], [0n, 1n], [h('a'), h('b')],
            [d('{"batch":1}'), '0x']]);
        const a = await ts.getTimestamp(h('a'));
        assert.deepStrictEqual([a.hash.algorithm, a.hash.value, a.timestampedBy, a.blockNumber, a.data],
            [0n, h('a'), addr0, BigInt(rcpt.blockNumber), d('{"batch":1}')]);
        assert.deepStrictEqual([...(await ts.getTimestampById(ethers.sha256(h('a'))))].map(String), [...a].map(String));
        const b = await ts.getTimestamp(h('b'));
        assert.deepStrictEqual([b.timestampedBy, b.hash.algorithm, b.data], [addr0, 1n, '0x']);
    });

    test('first write wins: a hash timestamped again keeps its first record; the event lists it anyway', async () => {
        const first = await ts.getTimestamp(h('a'));
        const rcpt = await (await ts.connect(issuer1).timestampHashes([0, 0], [h('a'), h('c')], [d('other'), d('c')])).wait();
        assert.strictEqual(rcpt.status, 1);
        const ev = tsIface.parseLog(rcpt.logs[0]);
        assert.deepStrictEqual([...ev.args.hashValues], [h('a'), h('c')], 'the repeat is in the event too');
        assert.deepStrictEqual([...(await ts.getTimestamp(h('a')))].map(String), [...first].map(String));
        assert.strictEqual((await ts.getTimestamp(h('c'))).timestampedBy, addr1);
    });

    test('a repeat with another algorithm reverts', async () => {
        const r = await revertOf(ts.timestampHashes.staticCall([1], [h('a')], ['0x']));
        assert.deepStrictEqual(r.args, ['timestamp with different hashAlgo']);
    });

    test('four hashes revert; mismatched counts revert; an empty hash reverts; unknown algorithm reverts', async () => {
        assert.deepStrictEqual((await revertOf(ts.timestampHashes.staticCall([0, 0, 0, 0], [h(1), h(2), h(3), h(4)], []))).args, ['hashAlgorithmIds>3']);
        assert.deepStrictEqual((await revertOf(ts.timestampHashes.staticCall([0], [h(1), h(2)], []))).args, ['hashvalue/algo count mismatch']);
        assert.deepStrictEqual((await revertOf(ts.timestampHashes.staticCall([0], ['0x'], []))).args, ['hashValue empty']);
        assert.deepStrictEqual((await revertOf(ts.timestampHashes.staticCall([9], [h(1)], []))).args, ['hashAlgo unknown']);
    });

    test('a revoked algorithm is refused; only the admin administers algorithms', async () => {
        await (await ts.updateHashAlgorithm(1, 512, 'sha-512', '2.16.840.1.101.3.4.2.3', 2, 'sha2-512')).wait();
        assert.deepStrictEqual((await revertOf(ts.timestampHashes.staticCall([1], [h('z')], []))).args, ['hashAlgo not active']);
        const r = await revertOf(ts.connect(issuer1).insertHashAlgorithm.staticCall(256, 'x', '', 1, 'x'));
        assert.strictEqual(r.name, 'Error');
    });

    test('a rejected call records none of its hashes', async () => {
        let err;
        try {
            await (await ts.timestampHashes([0, 0], [h('e'), '0x'], [], { gasLimit: 300000 })).wait();
        } catch (e) {
            err = e;
        }
        assert.ok(err && err.code === 'CALL_EXCEPTION', `expected a failed transaction, got ${err && err.message}`);
        await unknown(ts.getTimestamp(h('e')));
    });

    if (PROFILE === 'berlin') {
        test('berlin profile: gasPrice 0 transactions cost the sender nothing', async () => {
            assert.strictEqual(await provider.getBalance(addr0), balance0);
        });
    }

    await run(provider);
}

main().catch(setupFailed);
