#include "wallet/chain/transaction_sender.hpp"

#include <algorithm>

namespace pt::chain {
namespace {

bool mentions(const Error& e, std::string_view what)
{
    std::string lower = e.message;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    return lower.find(what) != std::string::npos;
}

// The same transaction submitted twice (a retried HTTP request) is not a failure.
bool isAlreadyKnown(const Error& e)
{
    return e.code == ChainError::rpc_error &&
           (mentions(e, "already known") || mentions(e, "already imported") || mentions(e, "already exists"));
}

} // namespace

TransactionSender::TransactionSender(std::shared_ptr<EthRpc> rpc, PrivateKey key, U256 chainId, SenderOptions options)
    : rpc_(std::move(rpc)), key_(std::move(key)), chainId_(std::move(chainId)), options_(options),
      nonces_(key_.address())
{
}

Result<std::shared_ptr<TransactionSender>> TransactionSender::create(std::shared_ptr<EthRpc> rpc, PrivateKey key,
                                                                     U256 chainId, SenderOptions options)
{
    auto st = checkChainId(*rpc, chainId);
    if (!st) return st.error();
    return std::make_shared<TransactionSender>(std::move(rpc), std::move(key), std::move(chainId), options);
}

Result<Transaction> TransactionSender::prepare(const TxRequest& req)
{
    Transaction tx;
    tx.type = options_.type;
    tx.chainId = chainId_;
    tx.to = req.to;
    tx.value = req.value;
    tx.data = req.data;
    if (req.gasLimit) {
        tx.gasLimit = *req.gasLimit;
    } else {
        auto gas = rpc_->estimateGas(CallRequest{key_.address(), req.to, req.value, req.data, std::nullopt});
        if (!gas) return gas.error();
        tx.gasLimit = *gas + *gas * options_.gasMarginPercent / 100;
    }
    if (tx.type == TxType::eip1559) {
        auto base = rpc_->nextBaseFee();
        if (!base && base.error().code == ChainError::rpc_error) {
            // A node without eth_feeHistory: the latest block's base fee is nearly as good.
            auto block = rpc_->getBlock(BlockTag::latest());
            if (!block) return block.error();
            if (!block->baseFeePerGas)
                return makeError(ChainError::invalid_argument,
                                 "the chain has no base fee (pre-London): use legacy transactions");
            base = *block->baseFeePerGas;
        }
        if (!base) return base.error();
        U256 tip = options_.fallbackPriorityFee;
        auto suggested = rpc_->maxPriorityFeePerGas();
        if (suggested) tip = *suggested;
        else if (suggested.error().code != ChainError::rpc_error) return suggested.error();
        tx.maxPriorityFeePerGas = tip;
        // Twice the base fee rides out six full blocks of base-fee increases.
        tx.maxFeePerGas = *base * 2 + tip;
    } else {
        auto price = rpc_->gasPrice();
        if (!price) return price.error();
        tx.gasPrice = *price;
    }
    return tx;
}

Result<SignedTransaction> TransactionSender::submit(const TxRequest& req)
{
    for (unsigned attempt = 0;; ++attempt) {
        auto tx = prepare(req);
        if (!tx) return tx.error();
        std::optional<SignedTransaction> signedTx;
        auto sent = nonces_.withNextNonce(*rpc_, [&](std::uint64_t nonce) -> Result<Hash32> {
            tx->nonce = nonce;
            signedTx = signTransaction(*tx, key_);
            auto hash = rpc_->sendRawTransaction(signedTx->raw);
            if (!hash) {
                if (isAlreadyKnown(hash.error())) return signedTx->hash;
                return hash.error();
            }
            if (*hash != signedTx->hash)
                return makeError(ChainError::malformed_response, "the node reports another hash for our transaction");
            return *hash;
        });
        if (sent) return std::move(*signedTx);
        if (sent.error().code == ChainError::nonce_too_low && attempt < options_.nonceRetries) continue;
        return sent.error();
    }
}

Result<Receipt> TransactionSender::wait(const SignedTransaction& tx)
{
    auto receipt = waitForReceipt(*rpc_, tx.hash, options_.receiptTimeout, options_.receiptPoll);
    if (!receipt) return receipt.error();
    if (receipt->success) return receipt;
    // Replaying the call just before its block gives the reason (exact with one transaction
    // per block, as on an automining dev chain; a best effort elsewhere).
    std::string reason = "no reason given";
    if (receipt->blockNumber > 0) {
        auto replay = rpc_->call(CallRequest{tx.from, tx.tx.to, tx.tx.value, tx.tx.data, tx.tx.gasLimit},
                                 BlockTag::number(receipt->blockNumber - 1));
        if (!replay && replay.error().code == ChainError::reverted) reason = replay.error().message;
    }
    return makeError(ChainError::reverted, "transaction " + tx.hash.hex() + " failed on chain (" + reason + ")");
}

Result<Receipt> TransactionSender::send(const TxRequest& req)
{
    auto tx = submit(req);
    if (!tx) return tx.error();
    return wait(*tx);
}

} // namespace pt::chain
