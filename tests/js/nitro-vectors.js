// Generates random Nitro states with the reference library (@statechannels/nitro-protocol
// 0.17.3 and its ethers 5.0.12) and prints, as one JSON array, each state in the library's
// JSON shape together with what the library computes for it: channel id, app part hash,
// outcome hash, state hash, encoded outcome, the state signature and the challenge
// signature. The C++ test compares every value byte for byte.
//
// usage: node nitro-vectors.js <count> <seed>
const nitro = require('@statechannels/nitro-protocol');
const { ethers } = require('ethers');

const count = parseInt(process.argv[2] || '200', 10);
let seed = BigInt.asUintN(64, BigInt(process.argv[3] || '1'));

// xorshift64*: a seeded generator, so a failing run can be reproduced from its seed.
function next64() {
  seed ^= seed >> 12n;
  seed ^= BigInt.asUintN(64, seed << 25n);
  seed ^= seed >> 27n;
  return BigInt.asUintN(64, seed * 0x2545f4914f6cdd1dn);
}
function below(n) {
  return Number(next64() % BigInt(n));
}
function randomBytes(n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Number(next64() & 0xffn);
  return out;
}
function randomBits(bits) {
  let v = 0n;
  for (let i = 0; i < Math.ceil(bits / 64); i++) v = (v << 64n) | next64();
  return BigInt.asUintN(bits, v);
}
const MAX_UINT256 = (1n << 256n) - 1n;
const MAX_UINT48 = (1n << 48n) - 1n;

function randomKey() {
  for (;;) {
    const key = ethers.utils.hexlify(randomBytes(32));
    try {
      return new ethers.Wallet(key);
    } catch (e) {
      // zero or not below the curve order: draw again
    }
  }
}

// A 256-bit amount: edge values, small, or of a random bit length.
function randomAmount() {
  switch (below(6)) {
    case 0: return 0n;
    case 1: return MAX_UINT256;
    case 2: return BigInt(below(1000000));
    default: return randomBits(1 + below(256));
  }
}
// Amounts in both accepted spellings.
function amountText(v) {
  return below(2) ? ethers.BigNumber.from(v.toString()).toHexString() : v.toString();
}
// uint48 fields: edge values or random widths; as a JSON number (safe below 2^53) or a string.
function randomUint48() {
  switch (below(5)) {
    case 0: return 0n;
    case 1: return MAX_UINT48;
    default: return randomBits(1 + below(48));
  }
}
function uintJson(v) {
  return below(2) ? Number(v) : v.toString();
}
function addressText(address) {
  return below(3) === 0 ? address.toLowerCase() : address; // checksummed or lowercase
}

const vectors = [];
for (let i = 0; i < count; i++) {
  const nParticipants = 1 + below(4);
  const wallets = [];
  for (let p = 0; p < nParticipants; p++) wallets.push(randomKey());
  const signer = wallets[below(nParticipants)];

  let chainId;
  switch (below(4)) {
    case 0: chainId = 1n; break;
    case 1: chainId = 31337n; break;
    case 2: chainId = randomBits(64); break;
    default: chainId = randomBits(1 + below(256));
  }

  const outcome = [];
  const nAssets = 1 + below(3);
  for (let a = 0; a < nAssets; a++) {
    const asset = below(3) === 0 ? ethers.constants.AddressZero : ethers.utils.getAddress(ethers.utils.hexlify(randomBytes(20)));
    const allocationItems = [];
    const nItems = below(5);
    for (let k = 0; k < nItems; k++) {
      const destination = below(2)
        ? ethers.utils.hexZeroPad(wallets[below(nParticipants)].address, 32).toLowerCase()
        : ethers.utils.hexlify(randomBytes(32));
      allocationItems.push({ destination, amount: amountText(randomAmount()) });
    }
    outcome.push({ asset: addressText(asset), allocationItems });
  }

  const state = {
    channel: {
      chainId: below(4) === 0 && chainId < (1n << 53n) ? Number(chainId) : chainId.toString(),
      participants: wallets.map((w) => w.address),
      channelNonce: uintJson(randomUint48()),
    },
    turnNum: uintJson(randomUint48()),
    isFinal: below(2) === 1,
    challengeDuration: uintJson(randomUint48()),
    appDefinition: addressText(ethers.utils.getAddress(ethers.utils.hexlify(randomBytes(20)))),
    appData: ethers.utils.hexlify(randomBytes(below(4) === 0 ? 0 : below(100))),
    outcome,
  };

  // getChannelId refuses ids that look like external destinations (probability 2^-96).
  const channelId = nitro.getChannelId(state.channel);
  const signed = nitro.signState(state, signer.privateKey);
  const challengeSignature = nitro.signChallengeMessage([signed], signer.privateKey);
  vectors.push({
    state,
    signerKey: signer.privateKey,
    signerAddress: signer.address,
    expected: {
      channelId,
      appPartHash: nitro.hashAppPart(state),
      outcomeHash: nitro.hashOutcome(state.outcome),
      stateHash: nitro.hashState(state),
      outcomeBytes: nitro.encodeOutcome(state.outcome),
      signature: { v: signed.signature.v, r: signed.signature.r, s: signed.signature.s },
      challengeSignature: { v: challengeSignature.v, r: challengeSignature.r, s: challengeSignature.s },
    },
  });
}
process.stdout.write(JSON.stringify(vectors));
