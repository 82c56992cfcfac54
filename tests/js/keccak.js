// Reads lines of hex from stdin, prints keccak256 of each (js-sha3, which ethers uses).
const { keccak256 } = require('js-sha3');
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter((l) => l.length > 0);
for (const line of lines) {
  const hex = line === '-' ? '' : line;
  console.log(keccak256(Buffer.from(hex, 'hex')));
}
