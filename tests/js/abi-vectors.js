// Random ABI types and values encoded by ethers 5.0.12's defaultAbiCoder (the encoder the
// reference library uses), printed as one JSON array of {types, values, encoded}. Values
// are JSON: integers as decimal strings, bytes and addresses as 0x-hex, arrays and tuples
// as arrays. The C++ test encodes the same values and decodes ethers' bytes.
//
// usage: node abi-vectors.js <count> <seed>
const { ethers } = require('ethers');

const count = parseInt(process.argv[2] || '300', 10);
let seed = BigInt.asUintN(64, BigInt(process.argv[3] || '1'));
function next64() { // xorshift64*
  seed ^= seed >> 12n;
  seed ^= BigInt.asUintN(64, seed << 25n);
  seed ^= seed >> 27n;
  return BigInt.asUintN(64, seed * 0x2545f4914f6cdd1dn);
}
function below(n) { return Number(next64() % BigInt(n)); }
function randomBits(bits) {
  let v = 0n;
  for (let i = 0; i < Math.ceil(bits / 64); i++) v = (v << 64n) | next64();
  return BigInt.asUintN(bits, v);
}
function randomHex(n) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Number(next64() & 0xffn);
  return ethers.utils.hexlify(b);
}

// A type as {text, make()} where make() returns [ethersValue, jsonValue].
function randomType(depth) {
  const kinds = depth > 0 ? 10 : 7;
  switch (below(kinds)) {
    case 0: {
      const bits = 8 * (1 + below(32));
      return { text: `uint${bits}`, make: () => { const v = below(4) === 0 ? BigInt(below(3)) : randomBits(bits); return [v.toString(), v.toString()]; } };
    }
    case 1: {
      const bits = 8 * (1 + below(32));
      return { text: `int${bits}`, make: () => {
        let v = randomBits(bits - 1);
        if (below(2)) v = -v - 1n;
        return [v.toString(), v.toString()];
      } };
    }
    case 2: return { text: 'bool', make: () => { const b = below(2) === 1; return [b, b]; } };
    case 3: return { text: 'address', make: () => { const a = randomHex(20); return [a, a]; } };
    case 4: {
      const n = 1 + below(32);
      return { text: `bytes${n}`, make: () => { const h = randomHex(n); return [h, h]; } };
    }
    case 5: return { text: 'bytes', make: () => { const h = randomHex(below(70)); return [h, h]; } };
    case 6: return { text: 'string', make: () => {
      const alphabet = 'abcXYZ 019-_\u00e9\u4e2d\u{1f600}';
      const chars = Array.from(alphabet);
      let s = '';
      const n = below(20);
      for (let i = 0; i < n; i++) s += chars[below(chars.length)];
      return [s, s];
    } };
    case 7: {
      const el = randomType(depth - 1);
      return { text: `${el.text}[]`, make: () => {
        const n = below(4), e = [], j = [];
        for (let i = 0; i < n; i++) { const [a, b] = el.make(); e.push(a); j.push(b); }
        return [e, j];
      } };
    }
    case 8: {
      const el = randomType(depth - 1);
      const k = 1 + below(3);
      return { text: `${el.text}[${k}]`, make: () => {
        const e = [], j = [];
        for (let i = 0; i < k; i++) { const [a, b] = el.make(); e.push(a); j.push(b); }
        return [e, j];
      } };
    }
    default: {
      const comps = [];
      const n = 1 + below(4);
      for (let i = 0; i < n; i++) comps.push(randomType(depth - 1));
      return { text: `(${comps.map((c) => c.text).join(',')})`, make: () => {
        const e = [], j = [];
        for (const c of comps) { const [a, b] = c.make(); e.push(a); j.push(b); }
        return [e, j];
      } };
    }
  }
}

const vectors = [];
for (let i = 0; i < count; i++) {
  const n = 1 + below(4);
  const types = [];
  for (let k = 0; k < n; k++) types.push(randomType(4));
  const made = types.map((t) => t.make());
  const texts = types.map((t) => t.text);
  const encoded = ethers.utils.defaultAbiCoder.encode(texts.map((t) => (t.startsWith('(') ? `tuple${t}` : t)), made.map((m) => m[0]));
  vectors.push({ types: texts, values: made.map((m) => m[1]), encoded });
}
process.stdout.write(JSON.stringify(vectors));
