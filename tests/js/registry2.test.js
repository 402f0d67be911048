// tests/js/registry2.test.js — contracts/build/NotaryRegistry2.json (issuer
// identity and anchoring keys) against a real local ledger, cross-checked with
// ethers. Run by tests/cli/contracts.sh once per ledger profile, like
// contracts.test.js:
//
//   LEDGER_URL=http://127.0.0.1:PORT LEDGER_PROFILE=default|berlin \
//   DEV_KEY_0=0x... DEV_KEY_1=0x... node tests/js/registry2.test.js
//
// Key changes are signed with ethers' signTypedData by an identity that holds
// no ether and never sends a transaction; others submit them. Covers every
// rule in docs/registry-v2.md: EIP-712 domain and types byte for byte, nonce
// replay, wrong chain / contract / signer / fields, malleable s and bad v,
// access control, rotation, retirement, compromise at block boundaries,
// identity compromise, NotaryRegistry's sequence rules per identity and kind,
// an issuer that never rotates, events decoded with ethers and the whole key
// history rebuilt from logs alone. Prints the gas of every call.
'use strict';

const assert = require('assert');
const { ethers } = require('ethers');
const { env, provider: connect, artifact, expectRevert, checkArtifact, signatures, runner } = require('./helpers');

const { url: URL, profile: PROFILE } = env('registry2.test.js');
const REG = artifact('NotaryRegistry2');
const iface = new ethers.Interface(REG.abi);
const NEVER = 2n ** 64n - 1n;
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const GAS_LIMIT_PER_ANCHOR = 60000n; // NotaryRegistry's budget, kept for anchors by the identity itself

const { test, run, setupFailed } = runner();
const root = (label) => ethers.sha256(ethers.toUtf8Bytes(`root2:${label}`));

// The EIP-712 types of docs/registry-v2.md.
const TYPES = {
    AuthorizeKey: [
        { name: 'identity', type: 'address' }, { name: 'key', type: 'address' }, { name: 'nonce', type: 'uint256' }],
    RetireKey: [
        { name: 'identity', type: 'address' }, { name: 'key', type: 'address' }, { name: 'nonce', type: 'uint256' }],
    DeclareCompromised: [
        { name: 'identity', type: 'address' }, { name: 'key', type: 'address' }, { name: 'since', type: 'uint64' },
        { name: 'nonce', type: 'uint256' }],
};

async function main() {
    const provider = connect(URL);
    const chainId = (await provider.getNetwork()).chainId;
    assert.strictEqual(chainId, 1337n, 'chain id');
    const dev0 = new ethers.Wallet(process.env.DEV_KEY_0, provider);
    const dev1 = new ethers.Wallet(process.env.DEV_KEY_1, provider);

    // The offline identity: a key that is never funded and never sends.
    const identity = new ethers.Wallet(ethers.id('registry2 test: offline identity'));
    const I = identity.address;
    // Anchoring keys and others, funded by dev0 when needed.
    const wallet = (label) => new ethers.Wallet(ethers.id(`registry2 test: ${label}`), provider);
    const k1 = wallet('anchoring key 1');
    const k2 = wallet('anchoring key 2');
    const k3 = wallet('anchoring key 3');
    const attacker = wallet('attacker');
    const direct = wallet('identity with funds'); // an identity that calls directly
    const dk = wallet('key of the direct identity');
    const selfIssuer = dev1; // never rotates: identity = anchoring key

    let reg; // connected to dev0
    let at; // its address
    const gas = {};
    const blocks = {};
    const by = (w) => reg.connect(w);
    const domain = () => ({ name: 'NotaryRegistry', version: '2', chainId, verifyingContract: at });
    const nonceOf = async (id) => reg.nonces(id);
    const mined = async (txPromise) => {
        const rcpt = await (await txPromise).wait();
        assert.strictEqual(rcpt.status, 1);
        return rcpt;
    };
    const events = (rcpt) => rcpt.logs.filter((l) => l.address === at).map((l) => iface.parseLog(l));
    const status = async (id, key) => [...(await reg.keyStatus(id, key))];

    // Signed change: {v, r, s} of the identity's signature over `type` with `fields`.
    async function sign(type, fields, signer = identity, dom = domain()) {
        const sig = await signer.signTypedData(dom, { [type]: TYPES[type] }, fields);
        const { v, r, s } = ethers.Signature.from(sig);
        return { v, r, s };
    }
    async function authorizeBySig(key, submitter = dev1, nonce) {
        nonce = nonce === undefined ? await nonceOf(I) : nonce;
        const { v, r, s } = await sign('AuthorizeKey', { identity: I, key, nonce });
        return by(submitter).authorizeKeyBySig(I, key, nonce, v, r, s);
    }
    async function retireBySig(key, submitter = dev1) {
        const nonce = await nonceOf(I);
        const { v, r, s } = await sign('RetireKey', { identity: I, key, nonce });
        return by(submitter).retireKeyBySig(I, key, nonce, v, r, s);
    }
    async function compromisedBySig(key, since, submitter = dev1) {
        const nonce = await nonceOf(I);
        const { v, r, s } = await sign('DeclareCompromised', { identity: I, key, since, nonce });
        return by(submitter).declareCompromisedBySig(I, key, since, nonce, v, r, s);
    }
    // Anchor the next root of `kind` for `id` from key wallet `w`.
    async function anchorNext(w, id, label, kind = 0) {
        const seq = await reg.nextSeq(id, kind);
        return mined(by(w).anchor(id, root(label), 10n + seq, seq, kind));
    }

    test('artifact: pinned compiler, berlin opcodes only, matches its .bin', async () => {
        checkArtifact(REG);
    });

    test('ABI: functions, events and errors are the documented ones', async () => {
        assert.deepStrictEqual(signatures(iface, 'Function'), [
            'anchor(address,bytes32,uint64,uint64,uint8)', 'anchoredAt(address,bytes32)',
            'authorizeKey(address)', 'authorizeKeyBySig(address,address,uint256,uint8,bytes32,bytes32)',
            'authorizeKeyDigest(address,address,uint256)', 'declareCompromised(address,uint64)',
            'declareCompromisedBySig(address,address,uint64,uint256,uint8,bytes32,bytes32)',
            'declareCompromisedDigest(address,address,uint64,uint256)', 'domainSeparator()',
            'keyAt(address,uint256)', 'keyCount(address)', 'keyCountsAt(address,address,uint64)',
            'keyStatus(address,address)', 'nextSeq(address,uint8)', 'nonces(address)', 'retireKey(address)',
            'retireKeyBySig(address,address,uint256,uint8,bytes32,bytes32)', 'retireKeyDigest(address,address,uint256)']);
        assert.deepStrictEqual(signatures(iface, 'Event'), [
            'Anchored(address,bytes32,uint64,uint64,uint8,address)', 'KeyAuthorized(address,address,uint64,uint32)',
            'KeyCompromised(address,address,uint64)', 'KeyRetired(address,address,uint64)']);
        assert.deepStrictEqual(signatures(iface, 'Error'), [
            'AlreadyAnchored(bytes32)', 'AlreadyCompromised(address,address,uint64)', 'BadKind(uint8)',
            'BadNonce(address,uint256,uint256)', 'BadSequence(uint64,uint64)', 'BadSignatureV(uint8)',
            'IdentityIsCompromised(address,uint64)', 'KeyAlreadyAuthorized(address,address)',
            'KeyIsCompromised(address,address,uint64)', 'KeyIsRetired(address,address,uint64)',
            'MalleableSignature(bytes32)', 'NotAuthorized(address,address)', 'SinceBeforeAuthorization(uint64,uint64)',
            'SinceInFuture(uint64,uint64)', 'TooManyKeys(address)', 'WrongSigner(address,address)', 'ZeroKey()',
            'ZeroRoot()', 'ZeroSize()']);
        const indexed = (name) => iface.getEvent(name).inputs.map((p) => [p.name, p.indexed]);
        assert.deepStrictEqual(indexed('Anchored'), [['identity', true], ['root', true], ['size', false],
            ['seq', false], ['kind', false], ['key', false]]);
        assert.deepStrictEqual(indexed('KeyAuthorized'),
            [['identity', true], ['key', true], ['authorizedFrom', false], ['index', false]]);
        assert.deepStrictEqual(indexed('KeyRetired'), [['identity', true], ['key', true], ['retiredAt', false]]);
        assert.deepStrictEqual(indexed('KeyCompromised'), [['identity', true], ['key', true], ['since', false]]);
        // The selectors and topics docs/registry-v2.md lists.
        const sel = {};
        iface.forEachFunction((f) => { sel[f.name] = f.selector; });
        console.log(`# selectors: ${Object.entries(sel).map(([n, s]) => `${n} ${s}`).join(', ')}`);
        iface.forEachEvent((e) => console.log(`# topic ${e.name}: ${e.topicHash}`));
    });

    test('deploy: the code on chain is the committed deployedBytecode', async () => {
        const c = await new ethers.ContractFactory(REG.abi, REG.bytecode, dev0).deploy();
        const rcpt = await c.deploymentTransaction().wait();
        assert.strictEqual(rcpt.status, 1);
        reg = c;
        at = await c.getAddress();
        assert.strictEqual(await provider.getCode(at), REG.deployedBytecode);
        gas.deploy = rcpt.gasUsed;
    });

    test('fund the test keys from dev0 (the identity stays at 0 wei)', async () => {
        for (const w of [k1, k2, k3, attacker, direct, dk]) {
            await mined(dev0.sendTransaction({ to: w.address, value: ethers.parseEther('1') }));
        }
        assert.strictEqual(await provider.getBalance(I), 0n);
    });

    test('EIP-712: domain separator and digests equal ethers\' TypedDataEncoder (chainId, contract, types)', async () => {
        assert.strictEqual(await reg.domainSeparator(), ethers.TypedDataEncoder.hashDomain(domain()));
        const f = { identity: I, key: k1.address, nonce: 7n };
        const h = (type, v) => ethers.TypedDataEncoder.hash(domain(), { [type]: TYPES[type] }, v);
        assert.strictEqual(await reg.authorizeKeyDigest(I, k1.address, 7), h('AuthorizeKey', f));
        assert.strictEqual(await reg.retireKeyDigest(I, k1.address, 7), h('RetireKey', f));
        assert.strictEqual(await reg.declareCompromisedDigest(I, k1.address, 5, 7),
            h('DeclareCompromised', { ...f, since: 5n }));
        // The type strings, byte for byte as documented.
        const enc = (type) => ethers.TypedDataEncoder.from({ [type]: TYPES[type] }).encodeType(type);
        assert.strictEqual(enc('AuthorizeKey'), 'AuthorizeKey(address identity,address key,uint256 nonce)');
        assert.strictEqual(enc('RetireKey'), 'RetireKey(address identity,address key,uint256 nonce)');
        assert.strictEqual(enc('DeclareCompromised'),
            'DeclareCompromised(address identity,address key,uint64 since,uint256 nonce)');
        // The worked example of docs/registry-v2.md ("A test vector"), so the
        // document cannot drift from what ethers computes.
        const vDom = { name: 'NotaryRegistry', version: '2', chainId: 1337n,
            verifyingContract: '0xe78A0F7E598Cc8b0Bb87894B0F60dD2a88d6a8Ab' };
        const vFields = { identity: dev0.address, key: dev1.address, nonce: 0n };
        assert.strictEqual(ethers.TypedDataEncoder.hashDomain(vDom),
            '0x32b7655c49f9ec8305dfcd773ad4da1f71e811807fce9900046fae2a4377b1fa');
        assert.strictEqual(ethers.TypedDataEncoder.hashStruct('AuthorizeKey', { AuthorizeKey: TYPES.AuthorizeKey }, vFields),
            '0xfa6d86e8f39c976400d178a3aff1753a37c1a129b269906269b3e573535c172d');
        assert.strictEqual(ethers.TypedDataEncoder.hash(vDom, { AuthorizeKey: TYPES.AuthorizeKey }, vFields),
            '0x572f3db9da8a68396ecd651aee2ba0ce7e2c65fcd2109c75ac10010beaf9c244');
        const vSig = ethers.Signature.from(await dev0.signTypedData(vDom, { AuthorizeKey: TYPES.AuthorizeKey }, vFields));
        assert.deepStrictEqual([vSig.r, vSig.s, vSig.v], ['0x0e35373066e92a2ea7477ee1e89ffcdf0d9a2687af86844b55530d273a1baa49',
            '0x7aaa90e612680b299f8acd0a2841a2e01de71471ad48afcbab5d5cf3853dc4c7', 27]);
        // A different chain id or contract gives a different digest.
        assert.notStrictEqual(ethers.TypedDataEncoder.hashDomain({ ...domain(), chainId: 1n }), await reg.domainSeparator());
    });

    // --- an issuer that never rotates (identity = anchoring key) -------------

    test('never rotating: the identity is its own key from block 0, nothing else authorized', async () => {
        const S = selfIssuer.address;
        assert.deepStrictEqual(await status(S, S), [0n, NEVER, NEVER, NEVER]);
        assert.strictEqual(await reg.keyCountsAt(S, S, 1), true);
        assert.strictEqual(await reg.keyCount(S), 0n);
        assert.strictEqual(await reg.keyAt(S, 0), S);
        assert.strictEqual(await reg.keyAt(S, 1), ethers.ZeroAddress);
        assert.strictEqual(await reg.nonces(S), 0n);
        assert.strictEqual(await reg.nextSeq(S, 0), 0n);
        assert.strictEqual(await reg.nextSeq(S, 1), 0n);
        assert.strictEqual(await reg.nextSeq(S, 9), 0n);
        assert.deepStrictEqual([...(await reg.anchoredAt(S, root('s0')))], [0n, 0n, 0n, 0n, 0n, ethers.ZeroAddress]);
        assert.deepStrictEqual(await status(S, k1.address), [NEVER, NEVER, NEVER, NEVER]);
    });

    test('never rotating: anchors kind 0 seq 0..2; event and anchoredAt name the key; gas within budget', async () => {
        const S = selfIssuer.address;
        const used = [];
        for (let seq = 0; seq < 3; seq++) {
            const rcpt = await mined(by(selfIssuer).anchor(S, root(`s${seq}`), 100 + seq, seq, 0));
            used.push(rcpt.gasUsed);
            const evs = events(rcpt);
            assert.strictEqual(evs.length, 1);
            const e = evs[0];
            assert.strictEqual(e.name, 'Anchored');
            assert.deepStrictEqual([e.args.identity, e.args.root, e.args.size, e.args.seq, e.args.kind, e.args.key],
                [S, root(`s${seq}`), BigInt(100 + seq), BigInt(seq), 0n, S]);
            assert.strictEqual(rcpt.logs[0].topics[1], ethers.zeroPadValue(S.toLowerCase(), 32));
            assert.strictEqual(rcpt.logs[0].topics[2], root(`s${seq}`));
            const block = await provider.getBlock(rcpt.blockNumber);
            assert.deepStrictEqual([...(await reg.anchoredAt(S, root(`s${seq}`)))],
                [BigInt(rcpt.blockNumber), BigInt(block.timestamp), BigInt(100 + seq), BigInt(seq), 0n, S]);
            blocks[`s${seq}`] = rcpt.blockNumber;
        }
        gas.selfFirst = used[0];
        gas.selfNext = used[2];
        for (const g of used.slice(1)) assert.ok(g <= GAS_LIMIT_PER_ANCHOR, `anchor used ${g} gas`);
        assert.strictEqual(await reg.nextSeq(S, 0), 3n);
        assert.strictEqual(await reg.nextSeq(S, 1), 0n);
    });

    test('sequence rules as in NotaryRegistry: repeat, gap, far gap, size 0, kind 2/255, zero root, same root', async () => {
        const S = selfIssuer.address;
        const r = by(selfIssuer).anchor;
        await expectRevert(r.staticCall(S, root('x'), 5, 2, 0), 'BadSequence', [3n, 2n]);
        await expectRevert(r.staticCall(S, root('x'), 5, 0, 0), 'BadSequence', [3n, 0n]);
        await expectRevert(r.staticCall(S, root('x'), 5, 4, 0), 'BadSequence', [3n, 4n]);
        await expectRevert(r.staticCall(S, root('x'), 5, NEVER, 0), 'BadSequence', [3n, NEVER]);
        await expectRevert(r.staticCall(S, root('x'), 0, 3, 0), 'ZeroSize', []);
        await expectRevert(r.staticCall(S, root('x'), 5, 0, 2), 'BadKind', [2n]);
        await expectRevert(r.staticCall(S, root('x'), 5, 0, 255), 'BadKind', [255n]);
        await expectRevert(r.staticCall(S, ethers.ZeroHash, 5, 3, 0), 'ZeroRoot', []);
        await expectRevert(r.staticCall(S, root('s1'), 5, 3, 0), 'AlreadyAnchored', [root('s1')]);
        await expectRevert(r.staticCall(S, root('s1'), 5, 0, 1), 'AlreadyAnchored', [root('s1')]);
    });

    test('kind 1 has its own sequence; a mined reverting anchor changes nothing', async () => {
        const S = selfIssuer.address;
        await expectRevert(by(selfIssuer).anchor.staticCall(S, root('c0'), 4, 1, 1), 'BadSequence', [0n, 1n]);
        const rcpt = await mined(by(selfIssuer).anchor(S, root('c0'), 4, 0, 1));
        gas.selfFirstCheckpoint = rcpt.gasUsed;
        assert.strictEqual(await reg.nextSeq(S, 1), 1n);
        assert.strictEqual(await reg.nextSeq(S, 0), 3n);
        let err;
        try {
            await (await by(selfIssuer).anchor(S, root('x'), 5, 7, 0, { gasLimit: 100000 })).wait();
        } catch (e) {
            err = e;
        }
        assert.ok(err && err.code === 'CALL_EXCEPTION', `expected a failed transaction, got ${err && err.message}`);
        assert.strictEqual(await reg.nextSeq(S, 0), 3n);
        assert.deepStrictEqual([...(await reg.anchoredAt(S, root('x')))], [0n, 0n, 0n, 0n, 0n, ethers.ZeroAddress]);
    });

    // --- the offline identity authorizes a key by signature -------------------

    test('an unauthorized key cannot anchor for the identity', async () => {
        await expectRevert(by(k1).anchor.staticCall(I, root('i0'), 1, 0, 0), 'NotAuthorized', [I, k1.address]);
        await expectRevert(by(attacker).anchor.staticCall(I, root('i0'), 1, 0, 0), 'NotAuthorized', [I, attacker.address]);
    });

    test('authorizeKeyBySig: signed offline, submitted by another account; event, status, nonce, index', async () => {
        const rcpt = await mined(authorizeBySig(k1.address));
        gas.authorizeBySig = rcpt.gasUsed;
        const [e] = events(rcpt);
        assert.strictEqual(e.name, 'KeyAuthorized');
        assert.deepStrictEqual([e.args.identity, e.args.key, e.args.authorizedFrom, e.args.index],
            [I, k1.address, BigInt(rcpt.blockNumber), 1n]);
        blocks.k1From = rcpt.blockNumber;
        assert.deepStrictEqual(await status(I, k1.address), [BigInt(rcpt.blockNumber), NEVER, NEVER, NEVER]);
        assert.strictEqual(await reg.nonces(I), 1n);
        assert.strictEqual(await reg.keyCount(I), 1n);
        assert.strictEqual(await reg.keyAt(I, 1), k1.address);
        assert.strictEqual(await reg.keyCountsAt(I, k1.address, rcpt.blockNumber - 1), false, 'before authorization');
        assert.strictEqual(await reg.keyCountsAt(I, k1.address, rcpt.blockNumber), true, 'from the authorizing block');
    });

    test('replay: the same signature again reverts BadNonce(I, 1, 0); a future nonce too', async () => {
        const { v, r, s } = await sign('AuthorizeKey', { identity: I, key: k1.address, nonce: 0n });
        await expectRevert(by(dev1).authorizeKeyBySig.staticCall(I, k1.address, 0, v, r, s), 'BadNonce', [I, 1n, 0n]);
        const f = await sign('AuthorizeKey', { identity: I, key: k2.address, nonce: 5n });
        await expectRevert(by(dev1).authorizeKeyBySig.staticCall(I, k2.address, 5, f.v, f.r, f.s), 'BadNonce', [I, 1n, 5n]);
    });

    test('a signature for another chain, contract, name or version recovers to someone else: WrongSigner', async () => {
        const fields = { identity: I, key: k2.address, nonce: 1n };
        for (const dom of [{ ...domain(), chainId: 1n }, { ...domain(), verifyingContract: ethers.ZeroAddress.slice(0, -1) + '1' },
            { ...domain(), name: 'NotaryRegistry2' }, { ...domain(), version: '1' }]) {
            const { v, r, s } = await sign('AuthorizeKey', fields, identity, dom);
            const got = await (async () => {
                try {
                    await by(dev1).authorizeKeyBySig.staticCall(I, k2.address, 1, v, r, s);
                } catch (e) {
                    return e.revert;
                }
                return null;
            })();
            assert.ok(got, `domain ${JSON.stringify(dom, (k, x) => (typeof x === 'bigint' ? x.toString() : x))} accepted`);
            assert.strictEqual(got.name, 'WrongSigner');
            assert.strictEqual(got.args[0], I);
            assert.notStrictEqual(got.args[1], I);
        }
    });

    test('a signature over other fields, by another key, or of another type: WrongSigner', async () => {
        const good = await sign('AuthorizeKey', { identity: I, key: k2.address, nonce: 1n });
        await expectRevert(by(dev1).authorizeKeyBySig.staticCall(I, attacker.address, 1, good.v, good.r, good.s),
            'WrongSigner');
        const other = await sign('AuthorizeKey', { identity: I, key: attacker.address, nonce: 1n }, attacker);
        await expectRevert(by(attacker).authorizeKeyBySig.staticCall(I, attacker.address, 1, other.v, other.r, other.s),
            'WrongSigner', [I, attacker.address]);
        const retire = await sign('RetireKey', { identity: I, key: k2.address, nonce: 1n });
        await expectRevert(by(dev1).authorizeKeyBySig.staticCall(I, k2.address, 1, retire.v, retire.r, retire.s),
            'WrongSigner');
        // The identity's signature that the attacker replays for his own key
        // with an identity field of his own recovers to the identity, not him.
        await expectRevert(by(attacker).authorizeKeyBySig.staticCall(attacker.address, k2.address, 0, good.v, good.r, good.s),
            'WrongSigner');
    });

    test('v other than 27/28 reverts BadSignatureV; the high-s twin MalleableSignature; r = 0 WrongSigner(I, 0)', async () => {
        const g = await sign('AuthorizeKey', { identity: I, key: k2.address, nonce: 1n });
        for (const v of [0, 1, 29, 255]) {
            await expectRevert(by(dev1).authorizeKeyBySig.staticCall(I, k2.address, 1, v, g.r, g.s), 'BadSignatureV', [BigInt(v)]);
        }
        const highS = ethers.toBeHex(SECP256K1_N - BigInt(g.s), 32);
        // The twin recovers to the same signer (so only the s check stops it).
        const digest = await reg.authorizeKeyDigest(I, k2.address, 1);
        assert.strictEqual(ethers.recoverAddress(digest, { r: g.r, s: g.s, v: g.v }), I);
        await expectRevert(by(dev1).authorizeKeyBySig.staticCall(I, k2.address, 1, 55 - g.v, g.r, highS),
            'MalleableSignature', [highS]);
        await expectRevert(by(dev1).authorizeKeyBySig.staticCall(I, k2.address, 1, g.v, ethers.ZeroHash, g.s),
            'WrongSigner', [I, ethers.ZeroAddress]);
    });

    test('key-change refusals: zero key, the identity itself, a key twice; retire or compromise an unknown key', async () => {
        const n = await nonceOf(I);
        const sig = async (key) => sign('AuthorizeKey', { identity: I, key, nonce: n });
        let g = await sig(ethers.ZeroAddress);
        await expectRevert(by(dev1).authorizeKeyBySig.staticCall(I, ethers.ZeroAddress, n, g.v, g.r, g.s), 'ZeroKey', []);
        g = await sig(I);
        await expectRevert(by(dev1).authorizeKeyBySig.staticCall(I, I, n, g.v, g.r, g.s), 'KeyAlreadyAuthorized', [I, I]);
        g = await sig(k1.address);
        await expectRevert(by(dev1).authorizeKeyBySig.staticCall(I, k1.address, n, g.v, g.r, g.s),
            'KeyAlreadyAuthorized', [I, k1.address]);
        const rt = await sign('RetireKey', { identity: I, key: attacker.address, nonce: n });
        await expectRevert(by(dev1).retireKeyBySig.staticCall(I, attacker.address, n, rt.v, rt.r, rt.s),
            'NotAuthorized', [I, attacker.address]);
        const cp = await sign('DeclareCompromised', { identity: I, key: attacker.address, since: 1n, nonce: n });
        await expectRevert(by(dev1).declareCompromisedBySig.staticCall(I, attacker.address, 1, n, cp.v, cp.r, cp.s),
            'NotAuthorized', [I, attacker.address]);
    });

    test('access control: only the identity changes its keys; a direct call changes the caller\'s own keys only', async () => {
        // The attacker calling directly acts as an identity of his own.
        const rcpt = await mined(by(attacker).authorizeKey(k2.address));
        assert.deepStrictEqual(events(rcpt).map((e) => [e.name, e.args.identity]), [['KeyAuthorized', attacker.address]]);
        assert.deepStrictEqual(await status(I, k2.address), [NEVER, NEVER, NEVER, NEVER], 'I did not authorize k2');
        await expectRevert(by(k2).anchor.staticCall(I, root('i0'), 1, 0, 0), 'NotAuthorized', [I, k2.address]);
        // He cannot retire or compromise the identity's key by calling directly:
        // for him k1 is an unknown key.
        await expectRevert(by(attacker).retireKey.staticCall(k1.address), 'NotAuthorized', [attacker.address, k1.address]);
        await expectRevert(by(attacker).declareCompromised.staticCall(k1.address, 1), 'NotAuthorized',
            [attacker.address, k1.address]);
        // Nor with a signature of his own.
        const n = await nonceOf(I);
        const rt = await sign('RetireKey', { identity: I, key: k1.address, nonce: n }, attacker);
        await expectRevert(by(attacker).retireKeyBySig.staticCall(I, k1.address, n, rt.v, rt.r, rt.s), 'WrongSigner',
            [I, attacker.address]);
        const cp = await sign('DeclareCompromised', { identity: I, key: k1.address, since: 1n, nonce: n }, attacker);
        await expectRevert(by(attacker).declareCompromisedBySig.staticCall(I, k1.address, 1, n, cp.v, cp.r, cp.s),
            'WrongSigner', [I, attacker.address]);
        assert.deepStrictEqual(await status(I, k1.address), [BigInt(blocks.k1From), NEVER, NEVER, NEVER]);
    });

    test('the authorized key anchors for the identity: own sequence per identity and kind, key in event and record', async () => {
        let rcpt = await anchorNext(k1, I, 'i0');
        gas.keyFirst = rcpt.gasUsed;
        const [e] = events(rcpt);
        assert.deepStrictEqual([e.args.identity, e.args.root, e.args.seq, e.args.kind, e.args.key],
            [I, root('i0'), 0n, 0n, k1.address]);
        blocks.i0 = rcpt.blockNumber;
        rcpt = await anchorNext(k1, I, 'i1');
        gas.keyNext = rcpt.gasUsed;
        blocks.i1 = rcpt.blockNumber;
        rcpt = await anchorNext(k1, I, 'ic0', 1);
        gas.keyFirstCheckpoint = rcpt.gasUsed;
        assert.strictEqual(await reg.nextSeq(I, 0), 2n);
        assert.strictEqual(await reg.nextSeq(I, 1), 1n);
        assert.strictEqual(await reg.nextSeq(k1.address, 0), 0n, 'k1 as an identity of its own has anchored nothing');
        const rec = await reg.anchoredAt(I, root('i1'));
        assert.deepStrictEqual([rec.blockNumber, rec.seq, rec.kind, rec.key], [BigInt(blocks.i1), 1n, 0n, k1.address]);
        // The same root for another identity is a separate record.
        assert.deepStrictEqual([...(await reg.anchoredAt(selfIssuer.address, root('i1')))],
            [0n, 0n, 0n, 0n, 0n, ethers.ZeroAddress]);
        await expectRevert(by(k1).anchor.staticCall(I, root('i1'), 3, 2, 0), 'AlreadyAnchored', [root('i1')]);
        await expectRevert(by(k1).anchor.staticCall(I, root('i9'), 3, 1, 0), 'BadSequence', [2n, 1n]);
        await expectRevert(by(k1).anchor.staticCall(I, root('i9'), 3, 3, 0), 'BadSequence', [2n, 3n]);
        // The identity itself (implicitly authorized) would continue the same sequence.
        await expectRevert(reg.connect(identity.connect(provider)).anchor.staticCall(I, root('i9'), 3, 0, 0),
            'BadSequence', [2n, 0n]);
    });

    // --- rotation ------------------------------------------------------------

    test('rotation: authorize k2, retire k1; k1 refused from then on, its earlier anchors still count', async () => {
        await mined(authorizeBySig(k2.address));
        blocks.k2From = await provider.getBlockNumber();
        assert.strictEqual(await reg.keyAt(I, 2), k2.address);
        const rcpt = await mined(retireBySig(k1.address));
        gas.retireBySig = rcpt.gasUsed;
        const [e] = events(rcpt);
        const retiredAt = BigInt(rcpt.blockNumber) + 1n;
        assert.deepStrictEqual([e.name, e.args.identity, e.args.key, e.args.retiredAt],
            ['KeyRetired', I, k1.address, retiredAt]);
        assert.deepStrictEqual(await status(I, k1.address), [BigInt(blocks.k1From), retiredAt, NEVER, NEVER]);
        await expectRevert(by(k1).anchor.staticCall(I, root('i2'), 1, 2, 0), 'KeyIsRetired', [I, k1.address, retiredAt]);
        assert.strictEqual(await reg.keyCountsAt(I, k1.address, blocks.i0), true);
        assert.strictEqual(await reg.keyCountsAt(I, k1.address, rcpt.blockNumber), true, 'up to the retiring block');
        assert.strictEqual(await reg.keyCountsAt(I, k1.address, retiredAt), false);
        // The new key continues the identity's sequence.
        const a = await anchorNext(k2, I, 'i2');
        assert.strictEqual(events(a)[0].args.seq, 2n);
        assert.strictEqual(events(a)[0].args.key, k2.address);
        blocks.i2 = a.blockNumber;
        assert.strictEqual(await reg.keyCountsAt(I, k2.address, blocks.i2), true);
    });

    test('a retired key is never authorized again, nor retired twice', async () => {
        const n = await nonceOf(I);
        const g = await sign('AuthorizeKey', { identity: I, key: k1.address, nonce: n });
        await expectRevert(by(dev1).authorizeKeyBySig.staticCall(I, k1.address, n, g.v, g.r, g.s),
            'KeyAlreadyAuthorized', [I, k1.address]);
        const rt = await sign('RetireKey', { identity: I, key: k1.address, nonce: n });
        await expectRevert(by(dev1).retireKeyBySig.staticCall(I, k1.address, n, rt.v, rt.r, rt.s), 'KeyIsRetired');
    });

    // --- compromise at block boundaries --------------------------------------

    test('compromised since B: k2\'s anchors before B count, at and after B do not; k2 refused', async () => {
        const b = [];
        for (let i = 0; i < 3; i++) b.push((await anchorNext(k2, I, `j${i}`)).blockNumber);
        const since = BigInt(b[1]);
        const rcpt = await mined(compromisedBySig(k2.address, since));
        gas.compromisedBySig = rcpt.gasUsed;
        const [e] = events(rcpt);
        assert.deepStrictEqual([e.name, e.args.identity, e.args.key, e.args.since], ['KeyCompromised', I, k2.address, since]);
        assert.deepStrictEqual(await status(I, k2.address), [BigInt(blocks.k2From), NEVER, since, NEVER]);
        assert.strictEqual(await reg.keyCountsAt(I, k2.address, b[0]), true);
        assert.strictEqual(await reg.keyCountsAt(I, k2.address, b[1] - 1), true, 'the block before since');
        assert.strictEqual(await reg.keyCountsAt(I, k2.address, b[1]), false, 'the since block itself');
        assert.strictEqual(await reg.keyCountsAt(I, k2.address, b[2]), false);
        await expectRevert(by(k2).anchor.staticCall(I, root('j9'), 1, await reg.nextSeq(I, 0), 0), 'KeyIsCompromised',
            [I, k2.address, since]);
        blocks.j = b;
    });

    test('compromise: a later or equal since is refused, an earlier one moves it back; never before authorization', async () => {
        const b = blocks.j;
        const n = await nonceOf(I);
        const cp = async (since) => {
            const g = await sign('DeclareCompromised', { identity: I, key: k2.address, since, nonce: n });
            return by(dev1).declareCompromisedBySig.staticCall(I, k2.address, since, n, g.v, g.r, g.s);
        };
        await expectRevert(cp(BigInt(b[2])), 'AlreadyCompromised', [I, k2.address, BigInt(b[1])]);
        await expectRevert(cp(BigInt(b[1])), 'AlreadyCompromised', [I, k2.address, BigInt(b[1])]);
        await expectRevert(cp(BigInt(blocks.k2From) - 1n), 'SinceBeforeAuthorization',
            [BigInt(blocks.k2From) - 1n, BigInt(blocks.k2From)]);
        await mined(compromisedBySig(k2.address, BigInt(b[0])));
        assert.strictEqual(await reg.keyCountsAt(I, k2.address, b[0]), false);
        assert.strictEqual(await reg.keyCountsAt(I, k2.address, b[0] - 1), true);
        assert.strictEqual(await reg.keyCountsAt(I, k2.address, blocks.i2), true, 'before the new since');
        // Since == authorizedFrom is allowed: every anchor of the key is void.
        await mined(compromisedBySig(k2.address, BigInt(blocks.k2From)));
        assert.strictEqual(await reg.keyCountsAt(I, k2.address, blocks.i2), false);
        assert.strictEqual(await reg.keyCountsAt(I, k2.address, blocks.k2From - 1), false, 'not yet authorized then');
    });

    test('compromise: since in the future is refused, the current block is accepted', async () => {
        await mined(authorizeBySig(k3.address));
        const from = await provider.getBlockNumber();
        const next = BigInt(await provider.getBlockNumber()) + 1n; // the block the next transaction is mined in
        const n = await nonceOf(I);
        const far = next + 1n;
        const g = await sign('DeclareCompromised', { identity: I, key: k3.address, since: far, nonce: n });
        let err;
        try {
            await (await by(dev1).declareCompromisedBySig(I, k3.address, far, n, g.v, g.r, g.s, { gasLimit: 200000 })).wait();
        } catch (e) {
            err = e;
        }
        assert.ok(err && err.code === 'CALL_EXCEPTION', 'since = next block + 1 must fail');
        await expectRevert(by(dev1).declareCompromisedBySig.staticCall(I, k3.address, next + 5n, n,
            ...Object.values(await sign('DeclareCompromised', { identity: I, key: k3.address, since: next + 5n, nonce: n }))),
        'SinceInFuture');
        const rcpt = await mined(compromisedBySig(k3.address, BigInt(await provider.getBlockNumber()) + 1n));
        assert.strictEqual(events(rcpt)[0].args.since, BigInt(rcpt.blockNumber), 'since = the declaring block');
        assert.strictEqual(await reg.keyCountsAt(I, k3.address, from), true);
        assert.strictEqual(await reg.keyCountsAt(I, k3.address, rcpt.blockNumber), false);
    });

    test('a compromised key cannot be retired or authorized again; a retired key can still be declared compromised', async () => {
        const n = await nonceOf(I);
        const rt = await sign('RetireKey', { identity: I, key: k2.address, nonce: n });
        await expectRevert(by(dev1).retireKeyBySig.staticCall(I, k2.address, n, rt.v, rt.r, rt.s), 'KeyIsCompromised');
        const g = await sign('AuthorizeKey', { identity: I, key: k2.address, nonce: n });
        await expectRevert(by(dev1).authorizeKeyBySig.staticCall(I, k2.address, n, g.v, g.r, g.s),
            'KeyAlreadyAuthorized', [I, k2.address]);
        // k1 was retired after anchoring i0 and i1; a compromise found later
        // since i1's block voids i1 only.
        await mined(compromisedBySig(k1.address, BigInt(blocks.i1)));
        assert.strictEqual(await reg.keyCountsAt(I, k1.address, blocks.i0), true);
        assert.strictEqual(await reg.keyCountsAt(I, k1.address, blocks.i1), false);
        const st = await status(I, k1.address);
        assert.strictEqual(st[2], BigInt(blocks.i1));
        assert.notStrictEqual(st[1], NEVER, 'still retired');
    });

    // Mine the transactions that `send` sends into one block, in the order of
    // their gas prices (ganache orders a block by price); returns the
    // settled results ({receipt} or {error}) in sending order.
    async function oneBlock(send) {
        await provider.send('miner_stop', []);
        let txs;
        try {
            txs = await send();
            await provider.send('evm_mine', []);
        } finally {
            await provider.send('miner_start', []);
        }
        const out = [];
        for (const t of txs) {
            try {
                out.push({ receipt: await t.wait() });
            } catch (e) {
                out.push({ error: e, receipt: e.receipt });
            }
        }
        return out;
    }

    test('retirement at a block boundary: an anchor mined before the retirement in its block counts, one after is refused', async () => {
        const id2 = new ethers.Wallet(ethers.id('registry2 test: second offline identity'));
        const I2 = id2.address;
        const ka = wallet('same-block key a');
        const kb = wallet('same-block key b');
        for (const w of [ka, kb]) await mined(dev0.sendTransaction({ to: w.address, value: ethers.parseEther('1') }));
        const signed = async (type, key) => {
            const nonce = await reg.nonces(I2);
            const g = await sign(type, { identity: I2, key, nonce }, id2);
            return [I2, key, nonce, g.v, g.r, g.s];
        };
        await mined(by(dev1).authorizeKeyBySig(...(await signed('AuthorizeKey', ka.address))));
        await mined(by(dev1).authorizeKeyBySig(...(await signed('AuthorizeKey', kb.address))));
        const high = { type: 0, gasPrice: ethers.parseUnits('20', 'gwei'), gasLimit: 300000 };
        const low = { type: 0, gasPrice: ethers.parseUnits('10', 'gwei'), gasLimit: 300000 };
        // ka anchors first (higher price), then ka is retired, in one block.
        const retireA = await signed('RetireKey', ka.address);
        let [anchor, retire] = await oneBlock(async () => [
            await by(ka).anchor(I2, root('sa'), 1, 0, 0, high),
            await by(dev1).retireKeyBySig(...retireA, low)]);
        assert.strictEqual(anchor.receipt.status, 1, 'anchor before the retirement');
        assert.strictEqual(retire.receipt.status, 1);
        const R = anchor.receipt.blockNumber;
        assert.strictEqual(retire.receipt.blockNumber, R, 'one block');
        assert.ok(anchor.receipt.index < retire.receipt.index, 'anchor first in the block');
        assert.strictEqual((await status(I2, ka.address))[1], BigInt(R) + 1n, 'retiredAt = the next block');
        assert.strictEqual(await reg.keyCountsAt(I2, ka.address, R), true, 'what the contract accepted counts');
        // kb is retired first, then tries to anchor, in one block.
        const retireB = await signed('RetireKey', kb.address);
        [retire, anchor] = await oneBlock(async () => [
            await by(dev1).retireKeyBySig(...retireB, high),
            await by(kb).anchor(I2, root('sb'), 1, 1, 0, low)]);
        assert.strictEqual(retire.receipt.status, 1);
        assert.ok(anchor.error, 'the anchor after the retirement must fail');
        assert.strictEqual(anchor.receipt.status, 0);
        assert.strictEqual(anchor.receipt.blockNumber, retire.receipt.blockNumber, 'one block');
        assert.deepStrictEqual([...(await reg.anchoredAt(I2, root('sb')))], [0n, 0n, 0n, 0n, 0n, ethers.ZeroAddress]);
        assert.strictEqual(await reg.nextSeq(I2, 0), 1n);
    });

    // --- direct calls by an identity with funds ------------------------------

    test('direct calls: authorizeKey, retireKey, declareCompromised by the identity; they advance its nonce', async () => {
        const D = direct.address;
        const stale = await sign('AuthorizeKey', { identity: D, key: dk.address, nonce: 0n }, direct);
        let rcpt = await mined(by(direct).authorizeKey(dk.address));
        gas.authorizeDirect = rcpt.gasUsed;
        assert.strictEqual(await reg.nonces(D), 1n);
        await expectRevert(by(dev1).authorizeKeyBySig.staticCall(D, dk.address, 0, stale.v, stale.r, stale.s), 'BadNonce',
            [D, 1n, 0n]);
        const a = await anchorNext(dk, D, 'd0');
        rcpt = await mined(by(direct).retireKey(dk.address));
        gas.retireDirect = rcpt.gasUsed;
        rcpt = await mined(by(direct).declareCompromised(dk.address, a.blockNumber));
        gas.compromisedDirect = rcpt.gasUsed;
        assert.strictEqual(await reg.nonces(D), 3n);
        assert.strictEqual(await reg.keyCountsAt(D, dk.address, a.blockNumber), false);
    });

    test('the identity retires itself as an anchoring key (moving to the split); earlier self anchors still count', async () => {
        const D = direct.address;
        const own = await anchorNext(direct, D, 'd1');
        const rcpt = await mined(by(direct).retireKey(D));
        const retiredAt = BigInt(rcpt.blockNumber) + 1n;
        assert.deepStrictEqual(await status(D, D), [0n, retiredAt, NEVER, NEVER]);
        await expectRevert(by(direct).anchor.staticCall(D, root('d9'), 1, await reg.nextSeq(D, 0), 0), 'KeyIsRetired',
            [D, D, retiredAt]);
        assert.strictEqual(await reg.keyCountsAt(D, D, own.blockNumber), true);
        await expectRevert(by(direct).retireKey.staticCall(D), 'KeyIsRetired', [D, D, retiredAt]);
        // It still authorizes a fresh key, which continues the sequence.
        const fresh = wallet('fresh key of the direct identity');
        await mined(dev0.sendTransaction({ to: fresh.address, value: ethers.parseEther('1') }));
        await mined(by(direct).authorizeKey(fresh.address));
        const a = await anchorNext(fresh, D, 'd2');
        assert.strictEqual(events(a)[0].args.seq, 2n);
        blocks.d2 = a.blockNumber;
        blocks.dFresh = fresh.address;
    });

    test('identity compromised since B: nothing for it counts from B on, no more anchors or key changes', async () => {
        const D = direct.address;
        const fresh = blocks.dFresh;
        const freshW = wallet('fresh key of the direct identity');
        const from = (await status(D, fresh))[0];
        const b = [];
        for (let i = 0; i < 2; i++) b.push((await anchorNext(freshW, D, `e${i}`)).blockNumber);
        const rcpt = await mined(by(direct).declareCompromised(D, b[1]));
        assert.deepStrictEqual(events(rcpt).map((e) => [e.name, e.args.key, e.args.since]), [['KeyCompromised', D, BigInt(b[1])]]);
        assert.deepStrictEqual(await status(D, fresh), [from, NEVER, NEVER, BigInt(b[1])]);
        assert.strictEqual(await reg.keyCountsAt(D, fresh, b[0]), true);
        assert.strictEqual(await reg.keyCountsAt(D, fresh, b[1]), false);
        assert.strictEqual(await reg.keyCountsAt(D, D, b[0]), false, 'the identity\'s own key was retired before');
        await expectRevert(by(freshW).anchor.staticCall(D, root('e9'), 1, await reg.nextSeq(D, 0), 0),
            'IdentityIsCompromised', [D, BigInt(b[1])]);
        await expectRevert(by(direct).authorizeKey.staticCall(k3.address), 'IdentityIsCompromised', [D, BigInt(b[1])]);
        await expectRevert(by(direct).retireKey.staticCall(fresh), 'IdentityIsCompromised', [D, BigInt(b[1])]);
        await expectRevert(by(direct).declareCompromised.staticCall(fresh, b[0]), 'IdentityIsCompromised', [D, BigInt(b[1])]);
        await expectRevert(by(direct).declareCompromised.staticCall(D, b[1]), 'AlreadyCompromised', [D, D, BigInt(b[1])]);
        await mined(by(direct).declareCompromised(D, b[0]));
        assert.strictEqual(await reg.keyCountsAt(D, fresh, b[0]), false);
        assert.strictEqual(await reg.keyCountsAt(D, fresh, blocks.d2), true);
    });

    test('never rotating, compromised: the self issuer\'s anchors before B count, from B on not', async () => {
        const S = selfIssuer.address;
        const a = await mined(by(selfIssuer).anchor(S, root('s3'), 9, 3, 0));
        await mined(by(selfIssuer).declareCompromised(S, a.blockNumber));
        assert.strictEqual(await reg.keyCountsAt(S, S, blocks.s2), true);
        assert.strictEqual(await reg.keyCountsAt(S, S, a.blockNumber), false);
        await expectRevert(by(selfIssuer).anchor.staticCall(S, root('s4'), 9, 4, 0), 'IdentityIsCompromised',
            [S, BigInt(a.blockNumber)]);
    });

    // --- from the ledger alone -----------------------------------------------

    test('the key history rebuilt from the events alone equals keyStatus, and the rule equals keyCountsAt', async () => {
        const logs = await provider.getLogs({ address: at, fromBlock: 0, toBlock: 'latest' });
        const hist = new Map(); // identity => key => [from, retired, compromised]
        const get = (id, key) => {
            if (!hist.has(id)) hist.set(id, new Map());
            const m = hist.get(id);
            if (!m.has(key)) m.set(key, id === key ? [0n, NEVER, NEVER] : [NEVER, NEVER, NEVER]);
            return m.get(key);
        };
        const anchors = [];
        for (const l of logs) {
            const e = iface.parseLog(l);
            if (e.name === 'KeyAuthorized') get(e.args.identity, e.args.key)[0] = e.args.authorizedFrom;
            else if (e.name === 'KeyRetired') get(e.args.identity, e.args.key)[1] = e.args.retiredAt;
            else if (e.name === 'KeyCompromised') get(e.args.identity, e.args.key)[2] = e.args.since;
            else if (e.name === 'Anchored') anchors.push({ id: e.args.identity, key: e.args.key, block: BigInt(l.blockNumber), root: e.args.root });
        }
        const ids = [I, direct.address, selfIssuer.address, attacker.address];
        let checked = 0;
        const head = BigInt(await provider.getBlockNumber());
        for (const id of ids) {
            const idSince = get(id, id)[2];
            const keys = [id, ...hist.get(id).keys(), k1.address, k2.address, k3.address];
            for (const key of new Set(keys)) {
                const [from, retired, comp] = get(id, key);
                const want = [from, retired, key === id ? idSince : comp, idSince];
                assert.deepStrictEqual(await status(id, key), want, `keyStatus(${id}, ${key})`);
                for (let b = 0n; b <= head; b += 1n) {
                    const rule = from <= b && b < retired && b < want[2] && b < idSince;
                    if (rule !== (await reg.keyCountsAt(id, key, b))) assert.fail(`rule and keyCountsAt differ at ${id} ${key} ${b}`);
                    checked++;
                }
            }
        }
        // Every anchor event matches its record, and the verdict of each is as the tests above expect.
        for (const x of anchors) {
            const r = await reg.anchoredAt(x.id, x.root);
            assert.deepStrictEqual([r.blockNumber, r.key], [x.block, x.key]);
        }
        const verdict = async (id, label) => {
            const r = await reg.anchoredAt(id, root(label));
            return reg.keyCountsAt(id, r.key, r.blockNumber);
        };
        assert.deepStrictEqual(await Promise.all(['i0', 'i1', 'i2', 'j0', 'j1'].map((l) => verdict(I, l))),
            [true, false, false, false, false]);
        console.log(`# ${PROFILE}: ${anchors.length} anchors, ${checked} (identity, key, block) verdicts checked from logs`);
    });

    test('the identity never held ether and never sent a transaction', async () => {
        assert.strictEqual(await provider.getBalance(I), 0n);
        assert.strictEqual(await provider.getTransactionCount(I), 0);
        assert.strictEqual(await reg.nonces(I), 9n, 'nine signed changes');
    });

    test('gas of every call (printed; anchors by the identity itself within NotaryRegistry\'s budget)', async () => {
        for (const k of ['selfFirst', 'selfNext', 'keyFirst', 'keyNext', 'authorizeBySig', 'retireBySig',
            'compromisedBySig', 'authorizeDirect', 'retireDirect', 'compromisedDirect']) {
            assert.ok(gas[k] > 21000n, `gas of ${k} measured`);
        }
        console.log(`# ${PROFILE}: gas: deploy ${gas.deploy}; anchor by the identity itself first ${gas.selfFirst}, ` +
            `next ${gas.selfNext}, first checkpoint ${gas.selfFirstCheckpoint}; anchor by an authorized key first ` +
            `${gas.keyFirst}, next ${gas.keyNext}, first checkpoint ${gas.keyFirstCheckpoint}; authorizeKeyBySig ` +
            `${gas.authorizeBySig}, retireKeyBySig ${gas.retireBySig}, declareCompromisedBySig ${gas.compromisedBySig}; ` +
            `authorizeKey ${gas.authorizeDirect}, retireKey ${gas.retireDirect}, declareCompromised ${gas.compromisedDirect}`);
        assert.ok(gas.selfNext <= GAS_LIMIT_PER_ANCHOR);
    });

    await run(provider);
}

main().catch(setupFailed);
