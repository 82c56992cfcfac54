// The Ethereum node as the wallet sees it: typed calls, typed errors, no sockets in sight.
// RpcEthClient implements it over JSON-RPC; tests may implement it in memory.
#pragma once

#include "wallet/chain/chain_error.hpp"
#include "wallet/common/bytes.hpp"
#include "wallet/common/wei.hpp"
#include "wallet/crypto/address.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pt::chain {

// "latest", "pending", "earliest", or a block number.
class BlockTag {
public:
    [[nodiscard]] static BlockTag latest() { return BlockTag("latest"); }
    [[nodiscard]] static BlockTag pending() { return BlockTag("pending"); }
    [[nodiscard]] static BlockTag earliest() { return BlockTag("earliest"); }
    [[nodiscard]] static BlockTag number(std::uint64_t n);
    [[nodiscard]] const std::string& text() const noexcept { return text_; }

private:
    explicit BlockTag(std::string t) : text_(std::move(t)) {}
    std::string text_;
};

// Arguments of eth_call and eth_estimateGas.
struct CallRequest {
    std::optional<Address> from;
    std::optional<Address> to; // none: contract creation
    Wei value;
    Bytes data;
    std::optional<std::uint64_t> gas;
};

struct Log {
    Address address;
    std::vector<Hash32> topics;
    Bytes data;
    std::uint64_t blockNumber = 0;
    Hash32 blockHash;
    Hash32 transactionHash;
    std::uint64_t logIndex = 0;
    bool removed = false; // dropped by a reorganisation
};

struct Receipt {
    Hash32 transactionHash;
    std::uint64_t blockNumber = 0;
    Hash32 blockHash;
    bool success = false; // status 1
    std::uint64_t gasUsed = 0;
    U256 effectiveGasPrice = 0;
    Address from;
    std::optional<Address> to;
    std::optional<Address> contractAddress;
    std::vector<Log> logs;

    // What the sender paid for gas: gasUsed * effectiveGasPrice.
    [[nodiscard]] Wei fee() const { return Wei(U256(gasUsed) * effectiveGasPrice); }
};

struct Block {
    std::uint64_t number = 0;
    Hash32 hash;
    std::uint64_t timestamp = 0; // unix seconds
    std::optional<U256> baseFeePerGas;
    std::uint64_t gasLimit = 0;
};

// eth_getLogs filter. Each topics entry is a position: empty matches anything there,
// several values match any of them.
struct LogFilter {
    std::uint64_t fromBlock = 0;
    std::optional<std::uint64_t> toBlock; // none: latest
    std::vector<Address> addresses;
    std::vector<std::vector<Hash32>> topics;
};

class EthRpc {
public:
    virtual ~EthRpc() = default;

    [[nodiscard]] virtual Result<U256> chainId() = 0;
    [[nodiscard]] virtual Result<std::string> clientVersion() = 0; // web3_clientVersion
    [[nodiscard]] virtual Result<std::uint64_t> blockNumber() = 0;
    [[nodiscard]] virtual Result<Block> getBlock(const BlockTag& tag) = 0;
    [[nodiscard]] virtual Result<Wei> getBalance(const Address& who, const BlockTag& tag) = 0;
    [[nodiscard]] virtual Result<std::uint64_t> getTransactionCount(const Address& who, const BlockTag& tag) = 0;
    [[nodiscard]] virtual Result<Bytes> getCode(const Address& who, const BlockTag& tag) = 0;
    [[nodiscard]] virtual Result<std::uint64_t> estimateGas(const CallRequest& req) = 0;
    [[nodiscard]] virtual Result<U256> gasPrice() = 0;
    [[nodiscard]] virtual Result<U256> maxPriorityFeePerGas() = 0;
    // The base fee of the next block, from eth_feeHistory.
    [[nodiscard]] virtual Result<U256> nextBaseFee() = 0;
    [[nodiscard]] virtual Result<Hash32> sendRawTransaction(ByteView raw) = 0;
    // None while the transaction is not mined (or unknown).
    [[nodiscard]] virtual Result<std::optional<Receipt>> getTransactionReceipt(const Hash32& tx) = 0;
    [[nodiscard]] virtual Result<Bytes> call(const CallRequest& req, const BlockTag& tag) = 0;
    [[nodiscard]] virtual Result<std::vector<Log>> getLogs(const LogFilter& filter) = 0;

    // Development-chain methods (anvil / hardhat); a production node answers rpc_error.
    [[nodiscard]] virtual Status increaseTime(std::uint64_t seconds) = 0; // evm_increaseTime
    [[nodiscard]] virtual Status mine() = 0;                              // evm_mine
    [[nodiscard]] virtual Status setBalance(const Address& who, const Wei& amount) = 0; // anvil_setBalance
};

// Fails with wrong_chain_id unless the endpoint serves `expected`.
[[nodiscard]] Status checkChainId(EthRpc& rpc, const U256& expected);

// Polls for the receipt of `tx` until it is mined or `timeout` passes (receipt_timeout).
[[nodiscard]] Result<Receipt> waitForReceipt(EthRpc& rpc, const Hash32& tx,
                                             std::chrono::milliseconds timeout = std::chrono::seconds(60),
                                             std::chrono::milliseconds pollInterval = std::chrono::milliseconds(50));

} // namespace pt::chain
