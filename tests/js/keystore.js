// Keystore cross-checks with ethers (the reference library pinned by nitro-protocol).
// Reads one JSON request on stdin, prints one JSON answer on stdout:
//   {"op": "decrypt", "keystore": "<json text>", "password": "..."}
//       -> {"address": "0x<checksummed>", "privateKey": "0x..."}
//   {"op": "encrypt", "privateKey": "0x...", "password": "...", "n": 1024}
//       -> {"keystore": "<json text written by ethers>"}
//   {"op": "encrypt-pbkdf2", "privateKey": "0x...", "password": "...", "c": 1000, "prf": "hmac-sha256"}
//       -> {"keystore": "<json text>"}: ethers cannot write pbkdf2 keystores, so this one is
//          built from node's crypto and ethers' keccak256, and checked by decrypting it with
//          ethers before it is printed.
'use strict';
const crypto = require('crypto');
const ethers = require('ethers');

function readStdin() {
  return new Promise((resolve) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => { data += chunk; });
    process.stdin.on('end', () => resolve(data));
  });
}

function strip0x(hex) { return hex.startsWith('0x') ? hex.slice(2) : hex; }

async function encryptPbkdf2(req) {
  const key = Buffer.from(strip0x(req.privateKey), 'hex');
  const salt = crypto.randomBytes(32);
  const iv = crypto.randomBytes(16);
  const digest = req.prf === 'hmac-sha512' ? 'sha512' : 'sha256';
  const dk = crypto.pbkdf2Sync(Buffer.from(req.password, 'utf8'), salt, req.c, 32, digest);
  const cipher = crypto.createCipheriv('aes-128-ctr', dk.subarray(0, 16), iv);
  const ciphertext = Buffer.concat([cipher.update(key), cipher.final()]);
  const mac = ethers.utils.keccak256(Buffer.concat([dk.subarray(16, 32), ciphertext]));
  const wallet = new ethers.Wallet(req.privateKey);
  const keystore = JSON.stringify({
    address: strip0x(wallet.address).toLowerCase(),
    crypto: {
      cipher: 'aes-128-ctr',
      cipherparams: { iv: iv.toString('hex') },
      ciphertext: ciphertext.toString('hex'),
      kdf: 'pbkdf2',
      kdfparams: { c: req.c, dklen: 32, prf: req.prf, salt: salt.toString('hex') },
      mac: strip0x(mac),
    },
    id: '3198bc9c-6672-4ab3-9995-4942343ae5b6',
    version: 3,
  });
  const check = await ethers.Wallet.fromEncryptedJson(keystore, req.password);
  if (check.address !== wallet.address) throw new Error('ethers does not read the pbkdf2 keystore back');
  return { keystore };
}

async function main() {
  const req = JSON.parse(await readStdin());
  let out;
  if (req.op === 'decrypt') {
    const wallet = await ethers.Wallet.fromEncryptedJson(req.keystore, req.password);
    out = { address: wallet.address, privateKey: wallet.privateKey };
  } else if (req.op === 'encrypt') {
    const wallet = new ethers.Wallet(req.privateKey);
    out = { keystore: await wallet.encrypt(req.password, { scrypt: { N: req.n } }) };
  } else if (req.op === 'encrypt-pbkdf2') {
    out = await encryptPbkdf2(req);
  } else {
    throw new Error('unknown op ' + req.op);
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e && e.message ? e.message : e) + '\n');
  process.exit(1);
});
