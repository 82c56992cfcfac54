#include "src/torrent_session.hpp"

#include "support/files.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <thread>

using namespace paytorrent::core;
using pt::test::TempDir;
using pt::test::readFile;
using pt::test::waitFor;
using pt::test::writeRandomFile;

namespace {

SessionConfig loopbackConfig(const std::filesystem::path& resumeDir)
{
    SessionConfig c;
    c.listenInterfaces = "127.0.0.1:0";
    c.enableDht = c.enableLsd = c.enableUpnp = c.enableUtp = false;
    c.resumeDir = resumeDir;
    return c;
}

} // namespace

TEST(ParseHostPort, AcceptsV4V6AndRefusesJunk)
{
    EXPECT_EQ(parseHostPort("127.0.0.1:6881")->second, 6881);
    EXPECT_EQ(parseHostPort("[::1]:80")->first, "::1");
    EXPECT_FALSE(parseHostPort("127.0.0.1"));
    EXPECT_FALSE(parseHostPort("127.0.0.1:0"));
    EXPECT_FALSE(parseHostPort("127.0.0.1:70000"));
    EXPECT_FALSE(parseHostPort("127.0.0.1:12a"));
    EXPECT_FALSE(parseHostPort("[::1]80"));
}

TEST(TorrentSession, CreateRefusesMissingAndEmptyPaths)
{
    TempDir dir;
    EXPECT_EQ(TorrentSession::createTorrent(dir / "nope", {}).error().code, TorrentError::create_failed);
    std::ofstream(dir / "empty").close();
    EXPECT_FALSE(TorrentSession::createTorrent(dir / "empty", {}));
    // checkShareable refuses the same paths, without hashing anything, and accepts a file.
    EXPECT_EQ(TorrentSession::checkShareable(dir / "nope").error().code, TorrentError::create_failed);
    EXPECT_EQ(TorrentSession::checkShareable(dir / "empty").error().code, TorrentError::create_failed);
    std::ofstream(dir / "one") << "x";
    EXPECT_TRUE(TorrentSession::checkShareable(dir / "one"));
    EXPECT_TRUE(TorrentSession::createTorrent(dir / "one", {}));
}

TEST(TorrentSession, AddRefusesBadMagnetAndTorrent)
{
    TempDir dir;
    TorrentSession s(loopbackConfig({}));
    EXPECT_EQ(s.addMagnet("magnet:?xt=urn:btih:zz", dir.path()).error().code, TorrentError::invalid_magnet);
    EXPECT_EQ(s.addTorrentBuffer({'d', 'e'}, dir.path()).error().code, TorrentError::invalid_torrent);
    EXPECT_EQ(s.pause(std::string(40, '0')).error().code, TorrentError::not_found);
}

// checkSource parses as the add functions do, with no session: what it accepts they add.
TEST(TorrentSession, CheckSourceAcceptsWhatAddAcceptsWithoutASession)
{
    TempDir dir;
    writeRandomFile(dir / "file.bin", 40 * 1024, 2);
    auto created = TorrentSession::createTorrent(dir / "file.bin", {});
    ASSERT_TRUE(created) << created.error().describe();
    std::ofstream(dir / "good.torrent", std::ios::binary)
        .write(created->torrentFile.data(), static_cast<std::streamsize>(created->torrentFile.size()));
    std::ofstream(dir / "bad.torrent") << "de";

    EXPECT_TRUE(TorrentSession::checkSource(created->magnet)) << created->magnet;
    EXPECT_TRUE(TorrentSession::checkSource((dir / "good.torrent").string()));
    EXPECT_EQ(TorrentSession::checkSource("magnet:?xt=urn:btih:zz").error().code, TorrentError::invalid_magnet);
    EXPECT_EQ(TorrentSession::checkSource((dir / "bad.torrent").string()).error().code, TorrentError::invalid_torrent);
    EXPECT_EQ(TorrentSession::checkSource((dir / "missing.torrent").string()).error().code, TorrentError::invalid_torrent);

    TorrentSession s(loopbackConfig({}));
    auto added = s.addTorrentFile(dir / "good.torrent", dir.path());
    ASSERT_TRUE(added) << added.error().describe();
    EXPECT_EQ(*added, created->infoHash);
    EXPECT_EQ(s.addTorrentFile(dir / "bad.torrent", dir.path()).error().code, TorrentError::invalid_torrent);
}

// Two real sessions over TCP on loopback: a free torrent transfers, the files are equal,
// and a restarted leecher finds its torrent again from resume data.
TEST(TorrentSession, FreeTransferOnLoopbackAndResume)
{
    TempDir dir;
    std::filesystem::create_directories(dir / "seed");
    const std::string data = writeRandomFile(dir / "seed" / "file.bin", 3 * 1024 * 1024 + 123, 1);
    auto created = TorrentSession::createTorrent(dir / "seed" / "file.bin", {});
    ASSERT_TRUE(created) << created.error().describe();
    EXPECT_EQ(created->infoHash.size(), 40u);
    EXPECT_NE(created->magnet.find(created->infoHash), std::string::npos);

    TorrentSession seeder(loopbackConfig(dir / "seed-resume"));
    auto seeded = seeder.addTorrentBuffer(created->torrentFile, dir / "seed");
    ASSERT_TRUE(seeded);
    ASSERT_TRUE(waitFor([&] { auto s = seeder.status(*seeded); return s && s->isSeeding; }, std::chrono::seconds(20)));

    {
        TorrentSession leecher(loopbackConfig(dir / "leech-resume"));
        auto got = leecher.addMagnet(created->magnet, dir / "leech");
        ASSERT_TRUE(got);
        EXPECT_EQ(*got, created->infoHash);
        ASSERT_TRUE(leecher.connectPeer(*got, "127.0.0.1:" + std::to_string(seeder.listenPort())));
        ASSERT_TRUE(waitFor([&] { auto s = leecher.status(*got); return s && s->isSeeding; }, std::chrono::seconds(60)));
        EXPECT_EQ(readFile(dir / "leech" / "file.bin"), data);
    }
    // The leecher's resume data brings the torrent back in a new session.
    TorrentSession again(loopbackConfig(dir / "leech-resume"));
    ASSERT_TRUE(waitFor([&] { auto s = again.status(created->infoHash); return s && s->isSeeding; }, std::chrono::seconds(20)));
}
