#include "wallet/keystore/keystore_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace pt {
namespace {

constexpr mode_t private_mode = 0600;

Error ioError(const std::string& what, const std::filesystem::path& path, int err)
{
    return makeError(KeystoreError::io_failed, what + " " + path.string() + ": " + std::strerror(err));
}

// Closes a descriptor once, on every path out of a function.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { close(); }
    [[nodiscard]] int get() const noexcept { return fd_; }
    int close() noexcept
    {
        const int rc = fd_ >= 0 ? ::close(fd_) : 0;
        fd_ = -1;
        return rc;
    }

private:
    int fd_;
};

Status writeAll(int fd, std::string_view data, const std::filesystem::path& path)
{
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return ioError("cannot write", path, errno);
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

// The rename / link is durable only once the directory entry is on disk.
Status syncDirectory(const std::filesystem::path& dir)
{
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) return ioError("cannot open directory", dir, errno);
    if (::fsync(fd.get()) != 0) return ioError("cannot sync directory", dir, errno);
    return {};
}

} // namespace

Status writeKeyFile(const std::filesystem::path& path, std::string_view contents, KeyFileOverwrite overwrite)
{
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    std::string tmpl = path.string() + ".tmp-XXXXXX";
    std::vector<char> name(tmpl.begin(), tmpl.end());
    name.push_back('\0');
    // mkstemp creates the file with O_EXCL and mode 0600, so the secret is never visible to
    // others, not even briefly; fchmod below makes the mode independent of the libc.
    Fd fd(::mkostemp(name.data(), O_CLOEXEC));
    if (fd.get() < 0) return ioError("cannot create a temporary file next to", path, errno);
    const std::filesystem::path tmp(name.data());

    auto fail = [&](Error e) {
        fd.close();
        ::unlink(tmp.c_str());
        return e;
    };
    if (::fchmod(fd.get(), private_mode) != 0) return fail(ioError("cannot set the mode of", tmp, errno));
    if (auto ok = writeAll(fd.get(), contents, tmp); !ok) return fail(ok.error());
    if (::fsync(fd.get()) != 0) return fail(ioError("cannot sync", tmp, errno));
    if (fd.close() != 0) return fail(ioError("cannot close", tmp, errno));

    if (overwrite == KeyFileOverwrite::replace) {
        if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(ioError("cannot move the new key file to", path, errno));
    } else {
        // link(2) fails with EEXIST instead of replacing: no check-then-write race.
        if (::link(tmp.c_str(), path.c_str()) != 0) {
            const int err = errno;
            if (err == EEXIST)
                return fail(makeError(KeystoreError::already_exists,
                                      "a key file already exists at " + path.string() + "; not replacing it"));
            return fail(ioError("cannot create", path, err));
        }
        ::unlink(tmp.c_str());
    }
    return syncDirectory(dir);
}

Result<std::string> readKeyFile(const std::filesystem::path& path)
{
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return ioError("cannot open", path, errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return ioError("cannot stat", path, errno);
    if (!S_ISREG(st.st_mode))
        return makeError(KeystoreError::io_failed, path.string() + " is not a regular file");
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return makeError(KeystoreError::insecure_permissions,
                         "key file " + path.string() + " has mode " + mode +
                             ", so other users may read it; run: chmod 600 '" + path.string() + "'");
    }
    if (static_cast<std::uint64_t>(st.st_size) > max_keystore_bytes)
        return makeError(KeystoreError::too_large, path.string() + " is larger than a keystore can be (" +
                                                       std::to_string(max_keystore_bytes) + " bytes)");
    std::string out;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return ioError("cannot read", path, errno);
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
        // The file may grow after fstat; the limit holds for what is actually read.
        if (out.size() > max_keystore_bytes)
            return makeError(KeystoreError::too_large, path.string() + " is larger than a keystore can be");
    }
    return out;
}

Status saveKeystore(const std::filesystem::path& path, const PrivateKey& key, std::string_view password,
                    const ScryptParams& params, KeyFileOverwrite overwrite)
{
    auto json = encryptKeystore(key, password, params);
    if (!json) return json.error();
    return writeKeyFile(path, *json, overwrite);
}

Result<PrivateKey> loadKeystore(const std::filesystem::path& path, std::string_view password)
{
    auto json = readKeyFile(path);
    if (!json) return json.error();
    return decryptKeystore(*json, password);
}

} // namespace pt
