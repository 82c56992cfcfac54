// The chain commands as a user runs them: the built paytorrent-cli as real processes against
// a chain started by `paytorrent-cli chain up` (anvil with the real NitroAdjudicator).
//   chain up, wallet address, wallet balance, channels, challenge, withdraw, bench chain;
//   and the failures: an unreachable endpoint, malformed RPC answers, channels of another
//   chain (wrong chain id), insufficient funds, a challenge of a finalized channel, a bad
//   channel id, no password. Each with its exit code and a clear message.
// Channels are set up by the test with the wallet itself (a buyer key of its own, payments
// signed with the payment channel functions, written into the node's store).
#include "support/child_process.hpp"
#include "support/paid_channel.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "wallet/chain/fake_http_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

using namespace std::chrono_literals;
using nlohmann::json;
using pt::Wei;
using pt::test::milliEther;
using pt::test::must;
namespace chain = pt::chain;
namespace store = pt::store;

namespace {

constexpr std::uint64_t kWindow = 60;
const std::string kPassword = "cli chain test";

std::string cli() { return pt::test::binaryPath("app/paytorrent-cli"); }

// The last non-empty line of a command's standard output, as JSON.
json lastJsonLine(const std::string& out)
{
    std::string line;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) line = l;
    return json::parse(line); // throws (fails the test) on anything but JSON
}

struct ChainUp {
    std::unique_ptr<pt::test::ChildProcess> process;
    std::string rpc;
    std::uint64_t chainId = 0;
    std::string adjudicator;
};

// Starts `paytorrent-cli chain up` and reads the JSON line it prints.
ChainUp startChainUp(const std::filesystem::path& dir, const std::vector<std::string>& extra = {})
{
    std::vector<std::string> argv{cli(), "chain", "up", "--json", "--data-dir", (dir / "chain").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    pt::test::ChildOptions o;
    o.outputFile = dir / "chain-up.out";
    ChainUp up;
    up.process = std::make_unique<pt::test::ChildProcess>(argv, o);
    if (!up.process->waitForOutput("adjudicator", 30s))
        throw std::runtime_error("chain up printed nothing: " + up.process->output());
    const json j = lastJsonLine(up.process->output());
    up.rpc = j.at("rpc").get<std::string>();
    up.chainId = j.at("chainId").get<std::uint64_t>();
    up.adjudicator = j.at("adjudicator").get<std::string>();
    return up;
}

class ChainCommandsTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        dir_ = std::make_unique<pt::test::TempDir>("pt-cli-chain");
        up_ = std::make_unique<ChainUp>(startChainUp(dir_->path()));
        rpc_ = must(chain::RpcEthClient::connect(up_->rpc, pt::U256(up_->chainId)), "connect");
        faucet_ = std::make_shared<chain::TransactionSender>(rpc_, chain::anvilDevKey(), pt::U256(up_->chainId));
    }
    static void TearDownTestSuite()
    {
        faucet_.reset();
        rpc_.reset();
        if (up_ && up_->process) up_->process->stop(10s);
        up_.reset();
        dir_.reset();
    }

    void SetUp() override
    {
        ASSERT_TRUE(up_) << "chain up did not start";
        home_ = std::make_unique<pt::test::TempDir>("pt-cli-node");
        dataDir_ = home_->path() / "node";
        passwordFile_ = home_->path() / "password";
        std::ofstream(passwordFile_) << kPassword << "\n";
        nodeKey_ = pt::test::writeTestKeystore(dataDir_ / "key.json", kPassword);
    }

    // Runs paytorrent-cli with the node options of this test's node.
    pt::test::ProcessResult run(std::vector<std::string> args, const std::string& rpc = {}) const
    {
        std::vector<std::string> argv{cli()};
        argv.insert(argv.end(), args.begin(), args.end());
        for (const std::string& a : {std::string("--data-dir"), dataDir_.string(), std::string("--password-file"),
                                     passwordFile_.string(), std::string("--chain-rpc"), rpc.empty() ? up_->rpc : rpc,
                                     std::string("--adjudicator"), up_->adjudicator, std::string("--listen"),
                                     std::string("127.0.0.1:0"), std::string("--local")})
            argv.push_back(a);
        return pt::test::runProcess(argv, {}, 60s);
    }

    static chain::Adjudicator adjudicator()
    {
        return chain::Adjudicator(rpc_, must(pt::Address::fromHex(up_->adjudicator), "adjudicator address"));
    }
    static Wei balanceOf(const pt::Address& who) { return must(rpc_->getBalance(who, chain::BlockTag::latest()), "balance"); }
    static pt::PrivateKey fundedKey(const Wei& amount)
    {
        auto key = must(pt::PrivateKey::generate(), "key");
        must(faucet_->send(chain::TxRequest{key.address(), amount, {}, std::nullopt}), "fund");
        return key;
    }

    // A channel [node (seller), buyer], funded by the buyer, paid twice, stored in the node.
    pt::test::PaidChannel storedChannel(const pt::PrivateKey& buyer)
    {
        pt::test::PaidChannel ch(pt::U256(up_->chainId), *nodeKey_, buyer, nextNonce_++, kWindow, milliEther(1000));
        auto sender = std::make_shared<chain::TransactionSender>(rpc_, buyer, pt::U256(up_->chainId));
        must(adjudicator().deposit(*sender, ch.id(), Wei(), milliEther(1000)), "deposit");
        ch.pay(milliEther(125));
        ch.pay(milliEther(250));
        ch.store(dataDir_ / "paytorrent.db", store::ChannelRole::beneficiary, store::ChannelStatus::open);
        return ch;
    }

    std::unique_ptr<pt::test::TempDir> home_;
    std::filesystem::path dataDir_;
    std::filesystem::path passwordFile_;
    std::optional<pt::PrivateKey> nodeKey_;

    static inline std::unique_ptr<pt::test::TempDir> dir_;
    static inline std::unique_ptr<ChainUp> up_;
    static inline std::shared_ptr<chain::RpcEthClient> rpc_;
    static inline std::shared_ptr<chain::TransactionSender> faucet_;
    static inline std::uint64_t nextNonce_ = 1;
};

TEST(ChainUpCommand, PrintsItsJsonServesTheAdjudicatorAndStopsOnSigterm)
{
    pt::test::TempDir dir("pt-cli-chain-up");
    ChainUp up = startChainUp(dir.path(), {"--chain-id", "4242"});
    EXPECT_EQ(up.chainId, 4242u);
    EXPECT_EQ(up.rpc.rfind("http://127.0.0.1:", 0), 0u) << up.rpc;
    // The endpoint serves that chain, with the adjudicator's code at the printed address.
    auto rpc = chain::RpcEthClient::connect(up.rpc, pt::U256(4242));
    ASSERT_TRUE(rpc) << rpc.error().describe();
    auto code = (*rpc)->getCode(must(pt::Address::fromHex(up.adjudicator), "address"), chain::BlockTag::latest());
    ASSERT_TRUE(code) << code.error().describe();
    EXPECT_GT(code->size(), 1000u);

    up.process->stop(10s); // SIGTERM: the command stops anvil, which writes its state
    ASSERT_TRUE(up.process->exitCode().has_value()) << "killed by signal " << up.process->termSignal();
    EXPECT_EQ(*up.process->exitCode(), 0) << up.process->output();
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "chain" / "anvil-state.json"));
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "chain" / "anvil.pid")) << "anvil was not stopped";
    auto gone = chain::RpcEthClient::connect(up.rpc, pt::U256(4242));
    EXPECT_FALSE(gone) << "anvil still answers after chain up stopped";

    // A data directory that cannot be created is a clear failure, not a crash.
    std::ofstream(dir.path() / "file") << "x";
    auto bad = pt::test::runProcess({cli(), "chain", "up", "--data-dir", (dir.path() / "file" / "chain").string()}, {}, 30s);
    EXPECT_EQ(bad.exitCode, 1);
    EXPECT_NE(bad.err.find("cannot create"), std::string::npos) << bad.err;
}

TEST_F(ChainCommandsTest, WalletAddressAndBalance)
{
    auto address = run({"wallet", "address", "--json"});
    ASSERT_EQ(address.exitCode, 0) << address.err;
    EXPECT_EQ(lastJsonLine(address.out).at("address").get<std::string>(), nodeKey_->address().toChecksum());
    auto plain = run({"wallet", "address"});
    ASSERT_EQ(plain.exitCode, 0) << plain.err;
    EXPECT_EQ(plain.out, nodeKey_->address().toChecksum() + "\n");

    auto balance = run({"wallet", "balance", "--json"});
    ASSERT_EQ(balance.exitCode, 0) << balance.err;
    const json b = lastJsonLine(balance.out);
    EXPECT_EQ(b.at("address").get<std::string>(), nodeKey_->address().toChecksum());
    EXPECT_EQ(b.at("chainId").get<std::string>(), std::to_string(up_->chainId));
    // The node funded itself from the development account on first start.
    EXPECT_EQ(b.at("balance_wei").get<std::string>(), balanceOf(nodeKey_->address()).toDecimal());
    EXPECT_EQ(balanceOf(nodeKey_->address()), milliEther(100'000));
    auto human = run({"wallet", "balance"});
    ASSERT_EQ(human.exitCode, 0) << human.err;
    EXPECT_NE(human.out.find("100 ETH"), std::string::npos) << human.out;
}

TEST_F(ChainCommandsTest, ChannelsChallengeAndWithdraw)
{
    const auto buyer = fundedKey(milliEther(5000));
    auto ch = storedChannel(buyer);
    const std::string id = ch.id().hex();

    auto listed = run({"channels", "--json"});
    ASSERT_EQ(listed.exitCode, 0) << listed.err;
    const json channels = lastJsonLine(listed.out).at("channels");
    ASSERT_EQ(channels.size(), 1u) << listed.out;
    EXPECT_EQ(channels[0].at("id"), id);
    EXPECT_EQ(channels[0].at("role"), "seller");
    EXPECT_EQ(channels[0].at("status"), "open");
    EXPECT_EQ(channels[0].at("paid_wei"), milliEther(375).toDecimal());
    EXPECT_EQ(channels[0].at("deposit_wei"), milliEther(1000).toDecimal());

    const Wei before = balanceOf(nodeKey_->address());
    const Wei buyerBefore = balanceOf(buyer.address());
    auto tooEarly = run({"withdraw", id});
    EXPECT_EQ(tooEarly.exitCode, 1);
    EXPECT_NE(tooEarly.err.find("open on chain"), std::string::npos) << tooEarly.err;

    auto challenged = run({"challenge", id, "--json"});
    ASSERT_EQ(challenged.exitCode, 0) << challenged.err;
    const json c = lastJsonLine(challenged.out);
    EXPECT_EQ(c.at("channel"), id);
    EXPECT_EQ(c.at("turnNum").get<int>(), 2);
    const auto block = must(rpc_->getBlock(chain::BlockTag::number(c.at("transaction").at("block").get<std::uint64_t>())), "block");
    EXPECT_EQ(c.at("finalizesAt").get<std::uint64_t>(), block.timestamp + kWindow);
    const Wei challengeFee = must(Wei::parse(c.at("transaction").at("fee_wei").get<std::string>()), "fee");
    EXPECT_EQ(must(adjudicator().mode(ch.id()), "mode"), chain::ChannelMode::challenge);

    auto twice = run({"challenge", id});
    EXPECT_EQ(twice.exitCode, 1);
    EXPECT_NE(twice.err.find("already challenged"), std::string::npos) << twice.err;
    auto inWindow = run({"withdraw", id});
    EXPECT_EQ(inWindow.exitCode, 1);
    EXPECT_NE(inWindow.err.find("can be withdrawn from after"), std::string::npos) << inWindow.err;

    must(rpc_->increaseTime(kWindow + 1), "evm_increaseTime");
    must(rpc_->mine(), "evm_mine");
    auto withdrawn = run({"withdraw", id, "--json"});
    ASSERT_EQ(withdrawn.exitCode, 0) << withdrawn.err;
    const json w = lastJsonLine(withdrawn.out);
    EXPECT_EQ(w.at("action"), "transferred");
    EXPECT_EQ(w.at("amount_wei"), milliEther(375).toDecimal());
    const Wei transferFee = must(Wei::parse(w.at("transaction").at("fee_wei").get<std::string>()), "fee");
    EXPECT_EQ(balanceOf(nodeKey_->address()), before - challengeFee - transferFee + milliEther(375));
    EXPECT_EQ(balanceOf(buyer.address()), buyerBefore + milliEther(625));

    // Finalized and paid out: a challenge is refused, a withdraw has nothing left to do.
    auto late = run({"challenge", id});
    EXPECT_EQ(late.exitCode, 1);
    EXPECT_NE(late.err.find("already finalized"), std::string::npos) << late.err;
    auto again = run({"withdraw", id, "--json"});
    ASSERT_EQ(again.exitCode, 0) << again.err;
    EXPECT_EQ(lastJsonLine(again.out).at("action"), "already_paid_out");
    EXPECT_TRUE(lastJsonLine(again.out).at("transaction").is_null());
    auto closed = run({"channels", "--json"});
    ASSERT_EQ(closed.exitCode, 0) << closed.err;
    EXPECT_EQ(lastJsonLine(closed.out).at("channels").at(0).at("status"), "closed");
}

TEST_F(ChainCommandsTest, FailuresExitNonZeroWithAClearMessage)
{
    // An endpoint nobody listens on.
    const std::string dead = "http://127.0.0.1:" + std::to_string(pt::test::freeLoopbackPort());
    auto unreachable = run({"wallet", "balance"}, dead);
    EXPECT_EQ(unreachable.exitCode, 1);
    EXPECT_NE(unreachable.err.find(dead), std::string::npos) << unreachable.err;
    EXPECT_NE(unreachable.err.find("refused"), std::string::npos) << unreachable.err;

    // An endpoint that answers JSON-RPC with garbage.
    pt::test::FakeHttpServer garbage([](const std::string& body) {
        return pt::test::FakeReply{200,
                                   json{{"jsonrpc", "2.0"}, {"id", pt::test::requestId(body)}, {"result", "0xnot-hex"}}.dump()};
    });
    auto malformed = run({"wallet", "balance"}, garbage.url());
    EXPECT_EQ(malformed.exitCode, 1);
    EXPECT_NE(malformed.err.find("eth_chainId"), std::string::npos) << malformed.err;

    // A bad channel id is a usage error (2), before any node starts.
    auto badId = run({"challenge", "0x1234"});
    EXPECT_EQ(badId.exitCode, 2);
    EXPECT_NE(badId.err.find("not a channel id"), std::string::npos) << badId.err;
    // An unknown channel is a failure (1).
    auto unknown = run({"withdraw", pt::Bytes32{}.hex()});
    EXPECT_EQ(unknown.exitCode, 1);
    EXPECT_NE(unknown.err.find("not in this node's store"), std::string::npos) << unknown.err;

    // No password: neither a file nor PAYTORRENT_PASSWORD, and no terminal to ask on.
    ::unsetenv("PAYTORRENT_PASSWORD");
    auto noPassword = pt::test::runProcess({cli(), "wallet", "address", "--data-dir", dataDir_.string()}, {}, 30s);
    EXPECT_EQ(noPassword.exitCode, 1);
    EXPECT_NE(noPassword.err.find("password"), std::string::npos) << noPassword.err;
}

TEST_F(ChainCommandsTest, ChannelsOfAnotherChainAreAWrongChainIdError)
{
    // The node's store holds an open channel of chain 999; the endpoint is another chain.
    pt::test::PaidChannel elsewhere(pt::U256(999), *nodeKey_, fundedKey(milliEther(1)), 1, kWindow, milliEther(1));
    elsewhere.store(dataDir_ / "paytorrent.db", store::ChannelRole::beneficiary, store::ChannelStatus::open);
    auto r = run({"channels"});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("wrong chain id"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("chain 999"), std::string::npos) << r.err;
}

TEST_F(ChainCommandsTest, InsufficientFundsIsReported)
{
    // Nobody can fund the node: the development account is empty (restored afterwards).
    const pt::Address dev = chain::anvilDevKey().address();
    const Wei devBalance = balanceOf(dev);
    must(rpc_->setBalance(dev, Wei()), "anvil_setBalance");
    auto r = run({"wallet", "balance"});
    must(rpc_->setBalance(dev, devBalance), "anvil_setBalance");
    EXPECT_EQ(r.exitCode, 1);
    std::string lower = r.err;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_NE(lower.find("insufficient funds"), std::string::npos) << r.err;
    EXPECT_EQ(balanceOf(nodeKey_->address()), Wei());
}

TEST(BenchChainCommand, ReportsGasOfEachOperationAndTheChallengeToFundsTime)
{
    pt::test::TempDir dir("pt-cli-bench-chain");
    auto r = pt::test::runProcess(
        {cli(), "bench", "chain", "--json", "--rounds", "1", "--poll-ms", "50", "--dir", dir.path().string()}, {}, 120s);
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const json j = json::parse(r.out).at("chain");
    const json& gas = j.at("gas");
    for (const char* op : {"deposit", "cooperative_close", "challenge", "checkpoint", "transfer"}) {
        SCOPED_TRACE(op);
        const auto g = gas.at(op).at("gas").get<std::uint64_t>();
        EXPECT_GT(g, 21'000u) << "more than a plain transfer";
        EXPECT_LT(g, 1'000'000u);
        EXPECT_GT(gas.at(op).at("nitro_authors").get<std::uint64_t>(), 0u);
    }
    EXPECT_EQ(gas.at("forced_exit").at("gas").get<std::uint64_t>(),
              gas.at("challenge").at("gas").get<std::uint64_t>() + gas.at("transfer").at("gas").get<std::uint64_t>());
    EXPECT_EQ(gas.at("forced_exit").at("nitro_authors").get<std::uint64_t>(), 195'000u);
    const json& t = j.at("challenge_to_funds");
    EXPECT_EQ(t.at("window_seconds_excluded").get<int>(), 60);
    EXPECT_GT(t.at("challenge_seconds").get<double>(), 0.0);
    EXPECT_GT(t.at("payout_seconds").get<double>(), 0.0);
    // The 60 s window is skipped, not waited for.
    EXPECT_LT(t.at("total_seconds").get<double>(), 30.0);
    EXPECT_NEAR(t.at("total_seconds").get<double>(),
                t.at("challenge_seconds").get<double>() + t.at("payout_seconds").get<double>(), 1e-9);
    EXPECT_EQ(j.at("client").get<std::string>().rfind("anvil/", 0), 0u);
    // Its scratch directory is removed afterwards.
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

} // namespace
