#include "wallet/keystore/keystore_file.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

namespace pt {
namespace {

constexpr ScryptParams fast{1024, 8, 1};

mode_t modeOf(const std::filesystem::path& p)
{
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 07777;
}

std::string slurp(const std::filesystem::path& p)
{
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::size_t entriesIn(const std::filesystem::path& dir)
{
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

// umask changes the process, so each test that sets one restores it.
class UmaskGuard {
public:
    explicit UmaskGuard(mode_t m) : old_(::umask(m)) {}
    ~UmaskGuard() { ::umask(old_); }

private:
    mode_t old_;
};

PrivateKey newKey()
{
    auto k = PrivateKey::generate();
    EXPECT_TRUE(k.ok());
    return *k;
}

TEST(KeystoreFile, SavesWithMode0600AndLoadsBack)
{
    test::TempDir dir;
    const auto path = dir / "key.json";
    const PrivateKey key = newKey();
    {
        UmaskGuard permissive(0); // the file must still be private
        ASSERT_TRUE(saveKeystore(path, key, "pw", fast).ok());
    }
    EXPECT_EQ(modeOf(path), 0600u);
    EXPECT_EQ(entriesIn(dir.path()), 1u) << "no temporary file is left behind";
    auto back = loadKeystore(path, "pw");
    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_EQ(back->secret(), key.secret());
    auto wrong = loadKeystore(path, "nope");
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().code, make_error_code(KeystoreError::wrong_password));
}

TEST(KeystoreFile, RefusesToReplaceAKeyUnlessAsked)
{
    test::TempDir dir;
    const auto path = dir / "key.json";
    ASSERT_TRUE(writeKeyFile(path, "first").ok());
    auto again = writeKeyFile(path, "second");
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, make_error_code(KeystoreError::already_exists));
    EXPECT_EQ(slurp(path), "first");
    EXPECT_EQ(entriesIn(dir.path()), 1u);

    ::chmod(path.c_str(), 0644);
    ASSERT_TRUE(writeKeyFile(path, "second", KeyFileOverwrite::replace).ok());
    EXPECT_EQ(slurp(path), "second");
    EXPECT_EQ(modeOf(path), 0600u) << "a replaced file gets the private mode too";
    EXPECT_EQ(entriesIn(dir.path()), 1u);
}

TEST(KeystoreFile, RefusesFilesOthersCanRead)
{
    test::TempDir dir;
    const auto path = dir / "key.json";
    ASSERT_TRUE(saveKeystore(path, newKey(), "pw", fast).ok());
    for (mode_t mode : {0640, 0604, 0620, 0602}) {
        ASSERT_EQ(::chmod(path.c_str(), mode), 0);
        auto r = loadKeystore(path, "pw");
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, make_error_code(KeystoreError::insecure_permissions));
        EXPECT_NE(r.error().message.find("chmod 600"), std::string::npos) << r.error().message;
    }
    ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
    EXPECT_TRUE(loadKeystore(path, "pw").ok()) << "owner-only read is fine";
}

TEST(KeystoreFile, ReportsIoProblems)
{
    test::TempDir dir;
    auto missing = readKeyFile(dir / "absent.json");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, make_error_code(KeystoreError::io_failed));

    auto directory = readKeyFile(dir.path());
    ASSERT_FALSE(directory.ok());
    EXPECT_EQ(directory.error().code, make_error_code(KeystoreError::io_failed));

    auto noDir = writeKeyFile(dir / "no" / "such" / "key.json", "x");
    ASSERT_FALSE(noDir.ok());
    EXPECT_EQ(noDir.error().code, make_error_code(KeystoreError::io_failed));

    const auto big = dir / "big.json";
    ASSERT_TRUE(writeKeyFile(big, std::string(max_keystore_bytes + 1, ' ')).ok());
    auto tooBig = readKeyFile(big);
    ASSERT_FALSE(tooBig.ok());
    EXPECT_EQ(tooBig.error().code, make_error_code(KeystoreError::too_large));
}

} // namespace
} // namespace pt
