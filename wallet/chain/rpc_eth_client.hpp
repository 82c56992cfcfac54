// EthRpc over a JSON-RPC transport: formats quantities and data as the Ethereum JSON-RPC
// spec says, and parses answers defensively (every field checked, typed errors).
#pragma once

#include "wallet/chain/eth_rpc.hpp"
#include "wallet/chain/json_rpc.hpp"

#include <memory>

namespace pt::chain {

class RpcEthClient final : public EthRpc {
public:
    explicit RpcEthClient(std::shared_ptr<JsonRpcTransport> transport) : t_(std::move(transport)) {}
    // HttpJsonRpc to `url`, and a chain id check when `expectedChainId` is given.
    [[nodiscard]] static Result<std::shared_ptr<RpcEthClient>> connect(std::string_view url,
                                                                       std::optional<U256> expectedChainId = {},
                                                                       HttpRpcOptions options = {});

    [[nodiscard]] Result<U256> chainId() override;
    [[nodiscard]] Result<std::string> clientVersion() override;
    [[nodiscard]] Result<std::uint64_t> blockNumber() override;
    [[nodiscard]] Result<Block> getBlock(const BlockTag& tag) override;
    [[nodiscard]] Result<Wei> getBalance(const Address& who, const BlockTag& tag) override;
    [[nodiscard]] Result<std::uint64_t> getTransactionCount(const Address& who, const BlockTag& tag) override;
    [[nodiscard]] Result<Bytes> getCode(const Address& who, const BlockTag& tag) override;
    [[nodiscard]] Result<std::uint64_t> estimateGas(const CallRequest& req) override;
    [[nodiscard]] Result<U256> gasPrice() override;
    [[nodiscard]] Result<U256> maxPriorityFeePerGas() override;
    [[nodiscard]] Result<U256> nextBaseFee() override;
    [[nodiscard]] Result<Hash32> sendRawTransaction(ByteView raw) override;
    [[nodiscard]] Result<std::optional<Receipt>> getTransactionReceipt(const Hash32& tx) override;
    [[nodiscard]] Result<Bytes> call(const CallRequest& req, const BlockTag& tag) override;
    [[nodiscard]] Result<std::vector<Log>> getLogs(const LogFilter& filter) override;
    [[nodiscard]] Status increaseTime(std::uint64_t seconds) override;
    [[nodiscard]] Status mine() override;
    [[nodiscard]] Status setBalance(const Address& who, const Wei& amount) override;

    [[nodiscard]] JsonRpcTransport& transport() noexcept { return *t_; }

private:
    std::shared_ptr<JsonRpcTransport> t_;
};

// Parsers of JSON-RPC values, exposed for tests. All fail with malformed_response.
namespace json_value {
[[nodiscard]] Result<U256> quantity(const nlohmann::json& v, const char* what);
[[nodiscard]] Result<std::uint64_t> quantity64(const nlohmann::json& v, const char* what);
[[nodiscard]] Result<Bytes> data(const nlohmann::json& v, const char* what);
[[nodiscard]] Result<Hash32> hash(const nlohmann::json& v, const char* what);
[[nodiscard]] Result<Address> address(const nlohmann::json& v, const char* what);
[[nodiscard]] Result<Receipt> receipt(const nlohmann::json& v);
[[nodiscard]] Result<Log> log(const nlohmann::json& v);
[[nodiscard]] std::string quantityHex(const U256& v);
} // namespace json_value

} // namespace pt::chain
