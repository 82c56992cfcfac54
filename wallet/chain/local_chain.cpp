#include "wallet/chain/local_chain.hpp"

#include <algorithm>
#include <fstream>

namespace pt::chain {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// chain.json is a few hundred bytes; anything larger is not ours.
constexpr std::uintmax_t max_record_bytes = 64 * 1024;

Status writeAtomically(const fs::path& file, const std::string& text)
{
    const fs::path tmp = file.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        out.flush();
        if (!out) return makeError(ChainError::deploy_failed, "cannot write " + tmp.string());
    }
    std::error_code ec;
    fs::rename(tmp, file, ec);
    if (ec) return makeError(ChainError::deploy_failed, "cannot write " + file.string() + ": " + ec.message());
    return {};
}

std::optional<ChainInfo> readRecord(const fs::path& file)
{
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec || size > max_record_bytes) return std::nullopt;
    std::ifstream in(file, std::ios::binary);
    const json doc = json::parse(in, nullptr, false);
    if (doc.is_discarded()) return std::nullopt;
    auto info = ChainInfo::fromJson(doc);
    if (!info) return std::nullopt;
    return *info;
}

} // namespace

PrivateKey anvilDevKey()
{
    return PrivateKey::fromHex(anvil_dev_private_key).value();
}

json ChainInfo::toJson() const
{
    json j;
    j["rpc"] = rpc;
    // A JSON number as long as it fits (every real chain id does), else a decimal string.
    if (chainId <= std::numeric_limits<std::uint64_t>::max()) j["chainId"] = static_cast<std::uint64_t>(chainId);
    else j["chainId"] = chainId.str();
    j["adjudicator"] = adjudicator.toChecksum();
    return j;
}

Result<ChainInfo> ChainInfo::fromJson(const json& j)
{
    auto malformed = [](const char* why) { return makeError(ChainError::invalid_argument, std::string("chain info: ") + why); };
    if (!j.is_object()) return malformed("not an object");
    ChainInfo info;
    if (!j.contains("rpc") || !j["rpc"].is_string()) return malformed("no rpc");
    info.rpc = j["rpc"].get<std::string>();
    if (!j.contains("chainId")) return malformed("no chainId");
    if (j["chainId"].is_number_unsigned()) {
        info.chainId = j["chainId"].get<std::uint64_t>();
    } else if (j["chainId"].is_string()) {
        auto id = parseU256(j["chainId"].get<std::string>());
        if (!id) return malformed("chainId is not a number");
        info.chainId = *id;
    } else {
        return malformed("chainId is not a number");
    }
    if (!j.contains("adjudicator") || !j["adjudicator"].is_string()) return malformed("no adjudicator");
    auto addr = Address::fromHex(j["adjudicator"].get<std::string>());
    if (!addr) return malformed("adjudicator is not an address");
    info.adjudicator = *addr;
    return info;
}

Result<std::optional<Receipt>> ensureFunded(TransactionSender& faucet, const Address& who, const Wei& minimum,
                                            const Wei& target)
{
    auto balance = faucet.rpc().getBalance(who, BlockTag::latest());
    if (!balance) return balance.error();
    if (balance->value() >= minimum.value()) return std::optional<Receipt>{};
    if (target.value() <= balance->value())
        return makeError(ChainError::invalid_argument, "funding target below the current balance");
    auto receipt = faucet.send(TxRequest{who, Wei(target.value() - balance->value()), {}, std::nullopt});
    if (!receipt) return receipt.error();
    return std::optional<Receipt>{std::move(*receipt)};
}

Result<bool> isDevelopmentChain(EthRpc& rpc)
{
    auto version = rpc.clientVersion();
    if (!version) return version.error();
    std::string v = *version;
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    return v.rfind("anvil/", 0) == 0 || v.find("hardhatnetwork") != std::string::npos;
}

Result<std::optional<Receipt>> fundFromDevAccountIfLow(const std::shared_ptr<EthRpc>& rpc, const U256& chainId,
                                                       const Address& who, const Wei& minimum, const Wei& target)
{
    auto dev = isDevelopmentChain(*rpc);
    if (!dev) return dev.error();
    if (!*dev)
        return makeError(ChainError::invalid_argument,
                         "not a development chain: fund " + who.toChecksum() + " from a wallet of your own");
    // The faucet's nonce is read from the chain each time: other nodes use the same account.
    TransactionSender faucet(rpc, anvilDevKey(), chainId);
    return ensureFunded(faucet, who, minimum, target);
}

Result<Address> ensureAdjudicator(TransactionSender& deployer, const fs::path& recordFile, const fs::path& artifact)
{
    if (auto recorded = readRecord(recordFile); recorded && recorded->chainId == deployer.chainId()) {
        auto code = deployer.rpc().getCode(recorded->adjudicator, BlockTag::latest());
        if (!code) return code.error();
        if (!code->empty()) return recorded->adjudicator;
        // The chain was reset (state file lost): deploy again.
    }
    auto bytecode = loadArtifactBytecode(artifact);
    if (!bytecode) return bytecode.error();
    auto address = deployContract(deployer, *bytecode);
    if (!address) return address.error();
    ChainInfo record;
    record.chainId = deployer.chainId();
    record.adjudicator = *address;
    auto st = writeAtomically(recordFile, record.toJson().dump(2) + "\n");
    if (!st) return st.error();
    return *address;
}

Result<std::unique_ptr<LocalChain>> LocalChain::start(LocalChainOptions options)
{
    options.anvil.binary = options.anvil.binary.empty() ? anvilBinaryIn(options.nodeToolsDir) : options.anvil.binary;
    options.anvil.dataDir = options.dataDir;
    options.anvil.chainId = options.chainId;
    auto anvil = AnvilProcess::start(options.anvil);
    if (!anvil) return anvil.error();

    std::unique_ptr<LocalChain> chain(new LocalChain());
    chain->anvil_ = std::move(*anvil);
    auto rpc = RpcEthClient::connect(chain->anvil_->rpcUrl(), U256(options.chainId));
    if (!rpc) return rpc.error();
    chain->rpc_ = *rpc;
    chain->faucet_ = std::make_shared<TransactionSender>(chain->rpc_, anvilDevKey(), U256(options.chainId));
    auto adjudicator = ensureAdjudicator(*chain->faucet_, options.dataDir / "chain.json",
                                         adjudicatorArtifactIn(options.nodeToolsDir));
    if (!adjudicator) return adjudicator.error();
    chain->info_ = ChainInfo{chain->anvil_->rpcUrl(), U256(options.chainId), *adjudicator};
    return chain;
}

Status LocalChain::stop()
{
    return anvil_ ? anvil_->stop() : Status{};
}

} // namespace pt::chain
