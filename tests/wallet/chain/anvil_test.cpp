#include "wallet/chain/anvil.hpp"
#include "wallet/chain/rpc_eth_client.hpp"

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>


namespace pt::chain {
namespace {

AnvilOptions optionsIn(const std::filesystem::path& dir)
{
    AnvilOptions o;
    o.binary = anvilBinaryIn(test::nodeToolsDir());
    o.dataDir = dir;
    o.stopWithParentThread = true; // a crashing test must not leave anvil behind
    return o;
}

// Running, and not a zombie (an orphan waits for whoever reaps it, which may be slow).
bool alive(pid_t pid)
{
    if (::kill(pid, 0) != 0) return false;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pidField, comm, state;
    stat >> pidField >> comm >> state;
    return state != "Z";
}

TEST(Anvil, StartsAnswersAndStops)
{
    test::TempDir dir("pt-anvil");
    auto anvil = AnvilProcess::start(optionsIn(dir.path()));
    ASSERT_TRUE(anvil) << anvil.error().describe();
    const pid_t pid = (*anvil)->pid();
    EXPECT_TRUE((*anvil)->running());
    EXPECT_TRUE(std::filesystem::exists(dir / "anvil.pid"));
    EXPECT_EQ((*anvil)->rpcUrl().rfind("http://127.0.0.1:", 0), 0u);

    auto rpc = RpcEthClient::connect((*anvil)->rpcUrl(), U256(anvil_default_chain_id));
    ASSERT_TRUE(rpc) << rpc.error().describe();
    EXPECT_TRUE((*rpc)->blockNumber());

    ASSERT_TRUE((*anvil)->stop());
    EXPECT_FALSE(alive(pid));
    EXPECT_FALSE((*anvil)->running());
    EXPECT_FALSE(std::filesystem::exists(dir / "anvil.pid"));
    EXPECT_TRUE(std::filesystem::exists(dir / "anvil-state.json")); // written on SIGTERM
    EXPECT_FALSE((*rpc)->blockNumber());
}

TEST(Anvil, DestructorStopsTheProcess)
{
    test::TempDir dir("pt-anvil");
    pid_t pid = -1;
    {
        auto anvil = AnvilProcess::start(optionsIn(dir.path()));
        ASSERT_TRUE(anvil) << anvil.error().describe();
        pid = (*anvil)->pid();
        ASSERT_TRUE(alive(pid));
    }
    EXPECT_FALSE(alive(pid));
}

TEST(Anvil, CrashOfTheStartingProcessTakesAnvilDown)
{
    test::TempDir dir("pt-anvil");
    int pipeFds[2];
    ASSERT_EQ(::pipe(pipeFds), 0);
    const pid_t node = ::fork();
    if (node == 0) {
        // A "node" that starts the chain and dies without stopping it.
        ::close(pipeFds[0]);
        auto anvil = AnvilProcess::start(optionsIn(dir.path()));
        const pid_t anvilPid = anvil ? (*anvil)->pid() : -1;
        (void)!::write(pipeFds[1], &anvilPid, sizeof anvilPid);
        ::_exit(0); // no destructors: as if it crashed
    }
    ::close(pipeFds[1]);
    pid_t anvilPid = -1;
    ASSERT_EQ(::read(pipeFds[0], &anvilPid, sizeof anvilPid), static_cast<ssize_t>(sizeof anvilPid));
    ::close(pipeFds[0]);
    int status = 0;
    ::waitpid(node, &status, 0);
    ASSERT_GT(anvilPid, 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (alive(anvilPid) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(alive(anvilPid));
    if (alive(anvilPid)) ::kill(anvilPid, SIGKILL);
}

TEST(Anvil, CustomChainId)
{
    test::TempDir dir("pt-anvil");
    AnvilOptions o = optionsIn(dir.path());
    o.chainId = 4242;
    o.persistState = false;
    auto anvil = AnvilProcess::start(o);
    ASSERT_TRUE(anvil) << anvil.error().describe();
    auto rpc = RpcEthClient::connect((*anvil)->rpcUrl(), U256(4242));
    EXPECT_TRUE(rpc);
}

TEST(Anvil, StaleProcessOnTheSameDataDirectoryIsStoppedFirst)
{
    test::TempDir dir("pt-anvil");
    auto first = AnvilProcess::start(optionsIn(dir.path()));
    ASSERT_TRUE(first) << first.error().describe();
    const pid_t firstPid = (*first)->pid();
    // A second start on the same directory (as after a crash that left the first running).
    auto second = AnvilProcess::start(optionsIn(dir.path()));
    ASSERT_TRUE(second) << second.error().describe();
    EXPECT_FALSE((*first)->running());
    EXPECT_TRUE((*second)->running());
    EXPECT_NE((*second)->pid(), firstPid);
}

TEST(Anvil, TwoChainsGetDistinctPorts)
{
    test::TempDir a("pt-anvil"), b("pt-anvil");
    auto x = AnvilProcess::start(optionsIn(a.path()));
    auto y = AnvilProcess::start(optionsIn(b.path()));
    ASSERT_TRUE(x && y);
    EXPECT_NE((*x)->port(), (*y)->port());
}

TEST(Anvil, FixedPortInUseIsAClearError)
{
    test::TempDir a("pt-anvil"), b("pt-anvil");
    auto x = AnvilProcess::start(optionsIn(a.path()));
    ASSERT_TRUE(x) << x.error().describe();
    AnvilOptions o = optionsIn(b.path());
    o.port = (*x)->port();
    auto y = AnvilProcess::start(o);
    ASSERT_FALSE(y);
    EXPECT_EQ(y.error().code, ChainError::process_failed);
    EXPECT_NE(y.error().message.find("Address already in use"), std::string::npos) << y.error().message;
    EXPECT_TRUE((*x)->running());
}

TEST(Anvil, MissingBinaryIsAClearError)
{
    test::TempDir dir("pt-anvil");
    AnvilOptions o = optionsIn(dir.path());
    o.binary = dir / "no-such-anvil";
    auto anvil = AnvilProcess::start(o);
    ASSERT_FALSE(anvil);
    EXPECT_EQ(anvil.error().code, ChainError::process_failed);
    EXPECT_NE(anvil.error().message.find("no-such-anvil"), std::string::npos);
}

TEST(Anvil, BadArgumentsReportAnvilsOwnMessage)
{
    test::TempDir dir("pt-anvil");
    AnvilOptions o = optionsIn(dir.path());
    o.extraArgs = {"--no-such-flag"};
    auto anvil = AnvilProcess::start(o);
    ASSERT_FALSE(anvil);
    EXPECT_EQ(anvil.error().code, ChainError::process_failed);
    EXPECT_NE(anvil.error().message.find("no-such-flag"), std::string::npos);
}

} // namespace
} // namespace pt::chain
