// tests/vectors/eth/generate.mjs — regenerates every file of tests/vectors/eth
// with ethers (the version pinned in package.json / package-lock.json), an
// implementation independent of our C code:
//
//   scripts/setup.sh --npm . && node tests/vectors/eth/generate.mjs [OUTDIR]
//
// OUTDIR defaults to this script's folder. The output is a pure function of
// this script and the pinned ethers: every "random" byte comes from a seeded
// SHA-256 counter generator (one stream per file, so changing one file's recipe
// leaves the others alone); keystores use fixed salt, iv and uuid; signatures
// are RFC 6979 deterministic. tests/cli/vectors.sh checks that a fresh run
// reproduces the committed files byte for byte.
//
// The files (formats in tests/vectors/README.md):
//   keccak256.json     {input, keccak256}
//   rlp.json           {value, encoded}
//   transactions.json  signed legacy (EIP-155) and EIP-1559 transactions
//   selectors.json     {signature, keccak256, selector}
//   keystore-v3.json   {password, privateKey, address, keystore}
//   es6-numbers.txt    bits,Number#toString (10,000 lines)
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ethers } from "ethers";

const SEED = "credential-notary tests/vectors/eth v1";
const OUT = process.argv[2] ?? dirname(fileURLToPath(import.meta.url));

// ---- deterministic randomness ----------------------------------------------

// Bytes of SHA-256(SEED / label / counter) for counter = 0, 1, 2, ...
function stream(label) {
    let counter = 0;
    let pool = Buffer.alloc(0);
    const bytes = (n) => {
        while (pool.length < n) {
            const block = createHash("sha256").update(`${SEED}/${label}/${counter++}`).digest();
            pool = Buffer.concat([pool, block]);
        }
        const out = pool.subarray(0, n);
        pool = pool.subarray(n);
        return Uint8Array.from(out);
    };
    const u32 = () => Buffer.from(bytes(4)).readUInt32BE(0);
    // Uniform integer in [lo, hi] (hi - lo < 2^32; rejection sampling, no bias).
    const int = (lo, hi) => {
        const span = hi - lo + 1;
        const limit = Math.floor(0x100000000 / span) * span;
        for (;;) {
            const x = u32();
            if (x < limit) return lo + (x % span);
        }
    };
    const chance = (percent) => int(0, 99) < percent;
    const pick = (a) => a[int(0, a.length - 1)];
    const big = (nbytes) => (nbytes === 0 ? 0n : BigInt(ethers.hexlify(bytes(nbytes))));
    const hex = (n) => ethers.hexlify(bytes(n));
    return { bytes, u32, int, chance, pick, big, hex };
}

// JSON as the files have always been: one-space indent, no final newline.
function writeJson(name, value) {
    writeFileSync(join(OUT, name), JSON.stringify(value, null, 1));
}

// ---- keccak256.json ----------------------------------------------------------

// Lengths around every multiple of the 136-byte rate up to 5 blocks, the RLP
// and word sizes, then random lengths.
function keccakVectors() {
    const r = stream("keccak256");
    const lengths = [0, 1, 2, 3, 4, 8, 20, 31, 32, 33, 55, 56, 63, 64, 65, 127, 128, 129];
    for (let k = 1; k <= 5; k++) lengths.push(136 * k - 2, 136 * k - 1, 136 * k, 136 * k + 1);
    lengths.push(1000, 1088);
    const inputs = lengths.map((n) => r.bytes(n));
    // Fixed patterns: padding edge bytes (0x01 / 0x80 at the end of a block).
    inputs.push(new Uint8Array(135).fill(0x00), new Uint8Array(136).fill(0xff),
        Uint8Array.from([...new Uint8Array(134), 0x01]), Uint8Array.from([...new Uint8Array(135), 0x80]),
        ethers.toUtf8Bytes("abc"), ethers.toUtf8Bytes("The quick brown fox jumps over the lazy dog"));
    while (inputs.length < 216) inputs.push(r.bytes(r.int(0, 600)));
    return inputs.map((b) => ({ input: ethers.hexlify(b), keccak256: ethers.keccak256(b) }));
}

// ---- rlp.json ----------------------------------------------------------------

function rlpVectors() {
    const r = stream("rlp");
    const str = (n) => r.hex(n);
    // A random string length: mostly short, sometimes around 55/56, sometimes long.
    const anyLen = () => {
        const k = r.int(0, 9);
        if (k < 3) return r.int(0, 1);
        if (k < 6) return r.int(2, 54);
        if (k < 8) return r.int(55, 57);
        return r.int(58, 200);
    };
    // Leaves of nested lists: mostly short, sometimes across the 55/56 boundary.
    const leafLen = () => (r.chance(85) ? r.int(0, 33) : r.int(54, 120));
    const tree = (depth) => {
        if (depth === 0 || r.chance(50)) return str(leafLen());
        const n = r.int(0, 4);
        return Array.from({ length: n }, () => tree(depth - 1));
    };
    const values = [
        "0x", "0x00", "0x01", "0x7f", "0x80", "0x81", "0xff", "0x0000", "0x0400",
        str(2), str(54), str(55), str(56), str(57), str(255), str(256), str(257), str(1024),
        [], [[]], [[], [[]], [[], [[]]]], ["0x"], ["0x00"], ["0x80"], [[], "0x"],
        [str(53)], [str(54)], [str(55)], // list payload 54, 55 (short form), 56 (long form)
        ["0x01", "0x02", str(52)], // payload 55 from several items
        [str(300), str(300)], Array.from({ length: 60 }, () => "0x"), // 0xf8 vs 0xf9 list lengths
        [[[[["0x42"]]]]],
    ];
    while (values.length < 150) values.push(str(anyLen()));
    while (values.length < 200) {
        const n = r.int(1, 5);
        values.push(Array.from({ length: n }, () => tree(3)));
    }
    return values.map((value) => ({ value, encoded: ethers.encodeRlp(value) }));
}

// ---- transactions.json -------------------------------------------------------

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const GWEI = 1000000000n;

function txVectors() {
    const r = stream("transactions");
    const chainIds = [1n, 5n, 10n, 137n, 1337n, 2018n, 6179n, 31337n, 11155111n, 4294967295n,
        1099511627776n];
    const key = () => {
        for (;;) {
            const k = r.hex(32);
            if (BigInt(k) !== 0n && BigInt(k) < SECP256K1_N) return k;
        }
    };
    const amount = () => {
        const k = r.int(0, 9);
        if (k < 3) return 0n;
        if (k < 5) return r.pick([1n, 1000000000000000n, 2000000000000000n, 10n ** 18n]);
        if (k < 9) return r.big(r.int(1, 16));
        return r.chance(50) ? 2n ** 256n - 1n : r.big(32);
    };
    const dataLen = () => {
        const k = r.int(0, 19);
        if (k < 3) return 0;
        if (k < 5) return r.pick([1, 4, 36, 68, 132]);
        if (k < 19) return r.int(1, 200);
        return r.int(500, 1100);
    };
    const gwei = (lo, hi) => BigInt(r.int(lo, hi)) * GWEI;
    const out = [];
    for (let i = 0; i < 200; i++) {
        const type = i % 2 === 0 ? 0 : 2;
        // The first key is the one the unit tests' EIP-55 examples name (0x94EA43e9…).
        const privateKey = i === 0 ? "0x06b2bdd622be612e49d7b53df738f02335f84fa2f613a6408b103f900fbcddf7" : key();
        const signer = new ethers.SigningKey(privateKey);
        const chainId = r.pick(chainIds);
        const nonce = r.pick([0, r.int(1, 255), r.int(0, 1000000), r.u32(), Number.MAX_SAFE_INTEGER]);
        const gasLimit = BigInt(r.pick([21000, r.int(21000, 1000000), r.int(21000, 30000000)]));
        const creation = r.int(0, 19) === 0;
        const to = creation ? null : ethers.getAddress(r.hex(20));
        const value = amount();
        const data = r.hex(dataLen());
        const fields = { type, chainId, nonce, gasLimit, to, value, data };
        if (type === 0) {
            fields.gasPrice = r.pick([0n, gwei(1, 100), r.big(r.int(1, 12))]);
        } else {
            fields.maxPriorityFeePerGas = r.pick([0n, GWEI, 2n * GWEI, r.big(r.int(1, 8))]);
            fields.maxFeePerGas = fields.maxPriorityFeePerGas + r.pick([0n, gwei(1, 200), r.big(r.int(1, 10))]);
        }
        const tx = ethers.Transaction.from(fields);
        const unsignedSerialized = tx.unsignedSerialized;
        const signingHash = tx.unsignedHash;
        tx.signature = signer.sign(signingHash);
        const sig = tx.signature;
        const v = type === 0 ? 35n + 2n * chainId + BigInt(sig.yParity) : BigInt(sig.yParity);
        const entry = {
            privateKey,
            address: ethers.computeAddress(signer.publicKey),
            type,
            chainId: chainId.toString(),
            nonce,
            gasLimit: gasLimit.toString(),
            to: to ?? "", // "" = contract creation
            value: value.toString(),
            data,
            unsignedSerialized,
            signingHash,
            r: sig.r,
            s: sig.s,
            yParity: sig.yParity,
            v: v.toString(),
            signedSerialized: tx.serialized,
            txHash: tx.hash,
        };
        if (type === 0) {
            entry.gasPrice = fields.gasPrice.toString();
        } else {
            entry.maxPriorityFeePerGas = fields.maxPriorityFeePerGas.toString();
            entry.maxFeePerGas = fields.maxFeePerGas.toString();
        }
        // Cross-check: the signed bytes parse back to the signer.
        if (ethers.Transaction.from(entry.signedSerialized).from !== entry.address)
            throw new Error(`transaction ${i}: signed bytes do not recover the signer`);
        out.push(entry);
    }
    return out;
}

// ---- selectors.json ----------------------------------------------------------

// The first eight are the historical set; then every function, event and error
// of contracts/*.sol and every signature anchor/ hashes (registry.c, ebsi.h).
const SIGNATURES = [
    "anchor(bytes32,uint64,uint64)",
    "anchoredAt(bytes32)",
    "transfer(address,uint256)",
    "issue(bytes32)",
    "revoke(bytes32)",
    "isIssued(bytes32)",
    "isRevoked(bytes32)",
    "Anchored(bytes32,address,uint64,uint64)",
    // contracts/NotaryRegistry.sol, anchor/registry.c
    "anchor(bytes32,uint64,uint64,uint8)",
    "nextSeq(address,uint8)",
    "anchoredAt(address,bytes32)",
    "Anchored(address,bytes32,uint64,uint64,uint8)",
    "BadSequence(uint64,uint64)",
    "AlreadyAnchored(bytes32)",
    "BadKind(uint8)",
    "ZeroSize()",
    "ZeroRoot()",
    // contracts/Timestamp.sol, anchor/ebsi.h
    "timestampHashes(uint256[],bytes[],bytes[])",
    "getTimestamp(bytes)",
    "HashTimestamped(bytes,uint256,address,uint256,bytes)",
    "BadHashCount(uint256,uint256,uint256)",
    "BadHashValue(uint256,uint256)",
    "DataTooLong(uint256,uint256)",
    // Solidity's built-in revert reasons
    "Error(string)",
    "Panic(uint256)",
];

function selectorVectors() {
    return SIGNATURES.map((signature) => {
        const h = ethers.id(signature);
        return { signature, keccak256: h, selector: ethers.dataSlice(h, 0, 4) };
    });
}

// ---- keystore-v3.json --------------------------------------------------------

// Fixed inputs: the unit tests mutate vector 0 field by field and name vector
// 1's address and password, so these keep their historical values exactly.
const KEYSTORES = [
    ["0x8def3cace0f9df0d4ab95bb1f94134ba1242a49cf7af75e3d7931ca474b62f83",
        "4ee7d68beed5b593571b4dfa530734721a09b2590baaad112951e35f91454bca",
        "bf02d94987dcc0f16edd92fdfd0b0743", "4fdf2a6e5b7c41afbcb8c849d85af32a"],
    ["0x77d84f6cb2cb6f4a1b97b7133ba4aa2d7de233f1d5f104f6ca4391467d4cef22",
        "892d1776088d9ab3bae0431160e397e9f580181a981a3dd7265fc5147fb7c8b6",
        "77cb47176abd97c1b00eff09408c19b7", "60bff30c9e2449bb9ae90ec95194f627"],
];

function keystoreVectors() {
    const r = stream("keystore");
    const params = [...KEYSTORES];
    while (params.length < 4) params.push([r.hex(32), r.hex(32).slice(2), r.hex(16).slice(2), r.hex(16).slice(2)]);
    return params.map(([privateKey, salt, iv, uuid], i) => {
        const password = `pw-public-${i}`;
        const address = ethers.computeAddress(privateKey);
        const json = ethers.encryptKeystoreJsonSync({ address, privateKey }, password, {
            salt: "0x" + salt, iv: "0x" + iv, uuid: "0x" + uuid, scrypt: { N: 4096, r: 8, p: 1 },
        });
        const keystore = JSON.parse(json);
        if (ethers.decryptKeystoreJsonSync(json, password).privateKey !== privateKey)
            throw new Error(`keystore ${i} does not decrypt to its key`);
        return { password, privateKey, address, keystore };
    });
}

// ---- es6-numbers.txt -----------------------------------------------------------

const view = new DataView(new ArrayBuffer(8));
const fromBits = (b) => (view.setBigUint64(0, b), view.getFloat64(0));
const toBits = (d) => (view.setFloat64(0, d), view.getBigUint64(0));
const next = (d, k = 1n) => fromBits(toBits(d) + k); // for d > 0: k ulps up (k < 0: down)

function es6Numbers() {
    const r = stream("es6-numbers");
    const seen = new Set();
    const lines = [];
    const add = (d) => {
        if (!Number.isFinite(d)) return;
        const b = toBits(d);
        if (seen.has(b) || lines.length >= 10000) return;
        seen.add(b);
        lines.push(`${b.toString(16).padStart(16, "0")},${String(d)}`);
    };
    const both = (d) => (add(d), add(-d));
    const around = (d, k = 2) => {
        for (let i = -k; i <= k; i++) both(next(d, BigInt(i)));
    };
    // Zeros, small integers and the classic decimal cases.
    [0, 1, 0.1, 0.2, 0.3, 0.1 + 0.2, 0.5, 1.5, 2, 3, 4.35, 100, 123.456, 333333333.3333333, 1e23,
        123456789012345680000, 1 / 3, 2 / 3, Math.PI, Math.E, 0.000001].forEach(both);
    add(fromBits(0x8000000000000000n)); // -0 serializes as "0"
    // Subnormals: the smallest, the largest, powers of two and random ones.
    around(Number.MIN_VALUE, 3);
    around(fromBits(0x000fffffffffffffn), 3);
    around(fromBits(0x0010000000000000n), 3); // smallest normal
    for (let e = 0n; e < 52n; e++) both(fromBits(1n << e));
    for (let i = 0; i < 60; i++) both(fromBits(r.big(7) & 0x000fffffffffffffn));
    // The largest finite double and its neighbours.
    around(Number.MAX_VALUE, 3);
    // Where ECMAScript switches to exponent notation: 1e21 and 1e-7.
    for (const d of [1e21, 1e-7, 1e-6, 1e20, 1e22]) around(d, 4);
    [999999999999999900000, 1.0000000000000001e21, 9.999999999999999e-8, 1.0000000000000001e-7,
        1.5e-7, 1.234567e-7, 1.234567e20, 1.234567e21, 0.0000012345, 1.2345e-6].forEach(both);
    // Integers near 2^53 (the end of exact integers), and near 2^31, 2^32, 2^63, 2^64.
    for (let k = -8; k <= 8; k++) both(2 ** 53 + k);
    for (const p of [31, 32, 63, 64, 1023]) around(2 ** p, 2);
    around(Number.MAX_SAFE_INTEGER, 3);
    // Every power of ten that is a double, and every normal power of two (the
    // rounding interval is lopsided there: the shortest digits that read back
    // can lie above the nearest 16-digit rounding, as for 2^-24 = 5.960464477539063e-8).
    for (let e = -323; e <= 308; e++) add(Number(`1e${e}`));
    for (let e = -1022; e <= 1023; e++) add(2 ** e);
    // Decimals of 1 to 17 significant digits over the whole exponent range.
    for (let i = 0; i < 2000; i++) {
        const digits = r.int(1, 17);
        let m = String(r.int(1, 9));
        for (let j = 1; j < digits; j++) m += String(r.int(0, 9));
        const e = r.chance(50) ? r.int(-30, 30) : r.int(-340, 310);
        const d = Number(`${m}e${e}`);
        if (d !== 0) (r.chance(50) ? add(d) : add(-d));
    }
    // Random integers of every size up to 2^64.
    for (let i = 0; i < 250; i++) both(Number(r.big(r.int(1, 8)) >> BigInt(r.int(0, 7))));
    // The rest: random bit patterns (NaN and the infinities have no JSON form).
    while (lines.length < 10000) {
        const b = r.big(8);
        if (((b >> 52n) & 0x7ffn) !== 0x7ffn) add(fromBits(b));
    }
    return lines.join("\n") + "\n";
}

// ---- write -------------------------------------------------------------------

mkdirSync(OUT, { recursive: true });
writeJson("keccak256.json", keccakVectors());
writeJson("rlp.json", rlpVectors());
writeJson("transactions.json", txVectors());
writeJson("selectors.json", selectorVectors());
writeJson("keystore-v3.json", keystoreVectors());
writeFileSync(join(OUT, "es6-numbers.txt"), es6Numbers());
