#include "wallet/keystore/keystore.hpp"

#include "wallet/common/bytes.hpp"
#include "wallet/crypto/keccak.hpp"
#include "wallet/crypto/secure.hpp"

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <memory>
#include <optional>
#include <span>

namespace pt {
namespace {

using nlohmann::json;

// The V3 format fixes these: AES-128 takes derivedKey[0..16], the MAC derivedKey[16..32].
constexpr std::size_t derived_key_bytes = 32;
constexpr std::size_t aes_key_bytes = 16;
constexpr std::size_t iv_bytes = 16;
constexpr std::size_t secret_bytes = 32;
constexpr std::size_t salt_bytes = 32; // what we write

// A fixed-size buffer for secrets, wiped when it goes out of scope.
template <std::size_t N>
struct SecretArray {
    std::array<std::uint8_t, N> bytes{};
    SecretArray() = default;
    SecretArray(const SecretArray&) = delete;
    SecretArray& operator=(const SecretArray&) = delete;
    ~SecretArray() { secureWipe(bytes.data(), bytes.size()); }
    std::uint8_t* data() noexcept { return bytes.data(); }
    const std::uint8_t* data() const noexcept { return bytes.data(); }
};

Error malformed(std::string what) { return makeError(KeystoreError::malformed, "malformed keystore: " + what); }

Status randomBytes(std::uint8_t* out, std::size_t n)
{
    if (RAND_bytes(out, static_cast<int>(n)) != 1)
        return makeError(KeystoreError::crypto_failed, "the random source failed");
    return {};
}

Status checkScrypt(std::uint64_t n, std::uint64_t r, std::uint64_t p)
{
    if (n < 2 || !std::has_single_bit(n))
        return makeError(KeystoreError::invalid_kdf_params, "scrypt n must be a power of two above 1");
    if (r == 0 || p == 0 || p > max_scrypt_p)
        return makeError(KeystoreError::invalid_kdf_params,
                         "scrypt r must be positive and p between 1 and " + std::to_string(max_scrypt_p));
    // RFC 7914 requires n < 2^(128 * r / 8), and OpenSSL enforces it. Only r = 1 or 2 with a
    // large n breaks it (the old spec's r = 1 test vector does); every wallet writes r = 8.
    if (r < 4 && n >= (std::uint64_t{1} << (16 * r)))
        return makeError(KeystoreError::invalid_kdf_params,
                         "scrypt n must be below 2^(16 * r) (RFC 7914); n = " + std::to_string(n) +
                             " with r = " + std::to_string(r) + " is not supported");
    // 128 * r * n bytes, checked without overflow.
    if (r > max_scrypt_memory_bytes / 128 || n > max_scrypt_memory_bytes / (128 * r))
        return makeError(KeystoreError::invalid_kdf_params, "scrypt parameters need more than 1 GiB of memory");
    return {};
}

Status scrypt(std::string_view password, ByteView salt, std::uint64_t n, std::uint64_t r, std::uint64_t p,
              SecretArray<derived_key_bytes>& out)
{
    // OpenSSL's own memory cap defaults to 32 MiB; ours was checked above. Its accounting
    // adds the p blocks and a little more, hence the slack.
    const std::uint64_t maxmem = max_scrypt_memory_bytes + 128 * r * (p + 2) + (1 << 20);
    if (EVP_PBE_scrypt(password.data(), password.size(), salt.data(), salt.size(), n, r, p, maxmem,
                       out.data(), derived_key_bytes) != 1)
        return makeError(KeystoreError::crypto_failed, "scrypt failed (out of memory?)");
    return {};
}

// AES-128-CTR; encryption and decryption are the same operation.
Status aes128Ctr(const std::uint8_t* key, ByteView iv, ByteView in, std::uint8_t* out)
{
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    int len = 0, tail = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ctr(), nullptr, key, iv.data()) != 1 ||
        EVP_EncryptUpdate(ctx.get(), out, &len, in.data(), static_cast<int>(in.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), out + len, &tail) != 1 ||
        static_cast<std::size_t>(len + tail) != in.size())
        return makeError(KeystoreError::crypto_failed, "AES-128-CTR failed");
    return {};
}

Hash32 computeMac(const SecretArray<derived_key_bytes>& dk, ByteView ciphertext)
{
    Keccak256 h;
    h.update(ByteView(dk.data() + aes_key_bytes, derived_key_bytes - aes_key_bytes));
    h.update(ciphertext);
    return h.finalize();
}

std::string uuidV4(std::array<std::uint8_t, 16> b)
{
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40); // version 4
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80); // RFC 4122 variant
    const std::string h = toHex(b, false);
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

// --- reading JSON fields ------------------------------------------------------------------

bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// Member lookup ignoring case: geth once wrote "Crypto", and ethers reads keys case-blind.
const json* member(const json& object, std::string_view name)
{
    if (!object.is_object()) return nullptr;
    for (auto it = object.begin(); it != object.end(); ++it)
        if (equalsIgnoreCase(it.key(), name)) return &it.value();
    return nullptr;
}

Result<const json*> requireObject(const json& parent, std::string_view name)
{
    const json* v = member(parent, name);
    if (!v || !v->is_object()) return malformed("\"" + std::string(name) + "\" must be an object");
    return v;
}

Result<std::string> requireString(const json& parent, std::string_view name)
{
    const json* v = member(parent, name);
    if (!v || !v->is_string()) return malformed("\"" + std::string(name) + "\" must be a string");
    return v->get<std::string>();
}

// A non-negative integer as a JSON number or a decimal string (ethers reads both).
Result<std::uint64_t> requireUint(const json& parent, std::string_view name)
{
    const json* v = member(parent, name);
    const Error bad = malformed("\"" + std::string(name) + "\" must be a non-negative integer");
    if (!v) return bad;
    if (v->is_number_unsigned()) return v->get<std::uint64_t>();
    if (v->is_number_integer()) {
        const auto i = v->get<std::int64_t>();
        if (i < 0) return bad;
        return static_cast<std::uint64_t>(i);
    }
    if (v->is_string()) {
        const auto& s = v->get_ref<const std::string&>();
        std::uint64_t out = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return bad;
        return out;
    }
    return bad;
}

// Hex with or without "0x"; exact size when `size` is non-zero, else 1..max_kdf_salt_bytes.
Result<Bytes> requireHex(const json& parent, std::string_view name, std::size_t size)
{
    auto text = requireString(parent, name);
    if (!text) return text.error();
    auto raw = fromHex(*text);
    if (!raw) return malformed("\"" + std::string(name) + "\" is not hex");
    if (size != 0 && raw->size() != size)
        return malformed("\"" + std::string(name) + "\" must be " + std::to_string(size) + " bytes");
    if (size == 0 && (raw->empty() || raw->size() > max_kdf_salt_bytes))
        return malformed("\"" + std::string(name) + "\" must be 1 to " + std::to_string(max_kdf_salt_bytes) + " bytes");
    return raw;
}

Status checkVersion(const json& root)
{
    const json* v = member(root, "version");
    if (!v) return malformed("no \"version\"");
    const bool three = (v->is_number_integer() && v->get<std::int64_t>() == 3) ||
                       (v->is_string() && v->get_ref<const std::string&>() == "3");
    if (!three) return makeError(KeystoreError::unsupported_version, "only version 3 keystores are supported");
    return {};
}

Status deriveKey(const json& crypto, std::string_view password, SecretArray<derived_key_bytes>& dk)
{
    auto kdf = requireString(crypto, "kdf");
    if (!kdf) return kdf.error();
    auto params = requireObject(crypto, "kdfparams");
    if (!params) return params.error();
    const json& kp = **params;

    auto dklen = requireUint(kp, "dklen");
    if (!dklen) return dklen.error();
    if (*dklen != derived_key_bytes)
        return makeError(KeystoreError::invalid_kdf_params, "kdfparams.dklen must be 32");
    auto salt = requireHex(kp, "salt", 0);
    if (!salt) return salt.error();

    if (equalsIgnoreCase(*kdf, "scrypt")) {
        auto n = requireUint(kp, "n");
        if (!n) return n.error();
        auto r = requireUint(kp, "r");
        if (!r) return r.error();
        auto p = requireUint(kp, "p");
        if (!p) return p.error();
        if (auto ok = checkScrypt(*n, *r, *p); !ok) return ok.error();
        return scrypt(password, *salt, *n, *r, *p, dk);
    }
    if (equalsIgnoreCase(*kdf, "pbkdf2")) {
        auto prf = requireString(kp, "prf");
        if (!prf) return prf.error();
        const EVP_MD* md = *prf == "hmac-sha256" ? EVP_sha256() : *prf == "hmac-sha512" ? EVP_sha512() : nullptr;
        if (!md) return makeError(KeystoreError::unsupported_kdf, "unsupported pbkdf2 prf \"" + *prf + "\"");
        auto c = requireUint(kp, "c");
        if (!c) return c.error();
        if (*c == 0 || *c > max_pbkdf2_iterations)
            return makeError(KeystoreError::invalid_kdf_params,
                             "pbkdf2 iterations must be 1 to " + std::to_string(max_pbkdf2_iterations));
        if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt->data(),
                              static_cast<int>(salt->size()), static_cast<int>(*c), md,
                              static_cast<int>(derived_key_bytes), dk.data()) != 1)
            return makeError(KeystoreError::crypto_failed, "pbkdf2 failed");
        return {};
    }
    return makeError(KeystoreError::unsupported_kdf, "unsupported key derivation function \"" + *kdf + "\"");
}

} // namespace

Result<std::string> encryptKeystore(const PrivateKey& key, std::string_view password, const ScryptParams& params)
{
    if (auto ok = checkScrypt(params.n, params.r, params.p); !ok) return ok.error();

    std::array<std::uint8_t, salt_bytes> salt{};
    std::array<std::uint8_t, iv_bytes> iv{};
    std::array<std::uint8_t, 16> uuid{};
    for (auto buf : {std::span<std::uint8_t>(salt), std::span<std::uint8_t>(iv), std::span<std::uint8_t>(uuid)})
        if (auto ok = randomBytes(buf.data(), buf.size()); !ok) return ok.error();

    SecretArray<derived_key_bytes> dk;
    if (auto ok = scrypt(password, salt, params.n, params.r, params.p, dk); !ok) return ok.error();

    std::array<std::uint8_t, secret_bytes> ciphertext{};
    if (auto ok = aes128Ctr(dk.data(), iv, key.secret().view(), ciphertext.data()); !ok) return ok.error();
    const Hash32 mac = computeMac(dk, ciphertext);

    const json doc = {
        {"address", key.address().hex(false)},
        {"crypto",
         {{"cipher", "aes-128-ctr"},
          {"cipherparams", {{"iv", toHex(iv, false)}}},
          {"ciphertext", toHex(ciphertext, false)},
          {"kdf", "scrypt"},
          {"kdfparams",
           {{"dklen", derived_key_bytes}, {"n", params.n}, {"p", params.p}, {"r", params.r}, {"salt", toHex(salt, false)}}},
          {"mac", mac.hex(false)}}},
        {"id", uuidV4(uuid)},
        {"version", 3},
    };
    return doc.dump();
}

Result<PrivateKey> decryptKeystore(std::string_view text, std::string_view password)
{
    if (text.size() > max_keystore_bytes)
        return makeError(KeystoreError::too_large, "a keystore is at most " + std::to_string(max_keystore_bytes) + " bytes");
    const json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (root.is_discarded()) return malformed("not valid JSON");
    if (!root.is_object()) return malformed("not a JSON object");
    if (auto ok = checkVersion(root); !ok) return ok.error();

    auto cryptoObj = requireObject(root, "crypto");
    if (!cryptoObj) return cryptoObj.error();
    const json& crypto = **cryptoObj;

    auto cipher = requireString(crypto, "cipher");
    if (!cipher) return cipher.error();
    if (!equalsIgnoreCase(*cipher, "aes-128-ctr"))
        return makeError(KeystoreError::unsupported_cipher, "unsupported cipher \"" + *cipher + "\"");
    auto cipherParams = requireObject(crypto, "cipherparams");
    if (!cipherParams) return cipherParams.error();
    auto iv = requireHex(**cipherParams, "iv", iv_bytes);
    if (!iv) return iv.error();
    auto ciphertext = requireHex(crypto, "ciphertext", secret_bytes);
    if (!ciphertext) return ciphertext.error();
    auto mac = requireHex(crypto, "mac", Hash32::size());
    if (!mac) return mac.error();

    // The address is optional in the format, but when present it must be well formed; it is
    // compared with the key only after the MAC proves the password right.
    std::optional<Address> claimed;
    if (const json* a = member(root, "address"); a && !a->is_null()) {
        if (!a->is_string()) return malformed("\"address\" must be a string");
        auto parsed = Address::fromHex(a->get<std::string>());
        if (!parsed) return malformed("\"address\" is not an address");
        claimed = *parsed;
    }

    SecretArray<derived_key_bytes> dk;
    if (auto ok = deriveKey(crypto, password, dk); !ok) return ok.error();

    const Hash32 expected = computeMac(dk, *ciphertext);
    if (CRYPTO_memcmp(expected.data(), mac->data(), Hash32::size()) != 0)
        return makeError(KeystoreError::wrong_password, "wrong password for this keystore");

    SecretArray<secret_bytes> plain;
    if (auto ok = aes128Ctr(dk.data(), *iv, *ciphertext, plain.data()); !ok) return ok.error();
    auto key = PrivateKey::fromBytes(plain.bytes);
    if (!key) return makeError(KeystoreError::invalid_key, "the keystore decrypts to an invalid private key");
    if (claimed && *claimed != key->address())
        return makeError(KeystoreError::address_mismatch,
                         "the keystore's address " + claimed->toChecksum() + " is not that of its key " +
                             key->address().toChecksum());
    return key;
}

} // namespace pt
