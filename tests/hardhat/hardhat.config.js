// tests/hardhat/hardhat.config.js — the hardhat network for tests that need
// a transaction to stay pending while blocks are mined (tests/cli/stuck.sh):
// ganache cannot do that (with its miner stopped no block passes; with it
// running it mines every transaction that pays the base fee).
//
// Automine and interval mining are off: a block is mined only when a test
// asks (evm_mine), with the base fee it sets first
// (hardhat_setNextBlockBaseFeePerGas). Chain id 1337 as for every local
// ledger here. The one funded account is the first account of ganache's
// --wallet.deterministic mnemonic (tests/lib/ledger.sh DEV_KEY_0): a PUBLIC,
// well-known development key, never to be used outside a local test ledger.
// Nothing is compiled, so no Solidity compiler is ever downloaded.
module.exports = {
    networks: {
        hardhat: {
            chainId: 1337,
            mining: { auto: false, interval: 0 },
            accounts: [
                {
                    privateKey: '0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d',
                    balance: '1000000000000000000000',
                },
            ],
        },
    },
};
