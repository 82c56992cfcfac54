#include "wallet/chain/chain_error.hpp"

#include <string>

namespace pt::chain {
namespace {

class ChainErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "chain"; }
    std::string message(int ev) const override
    {
        switch (static_cast<ChainError>(ev)) {
        case ChainError::unreachable: return "chain endpoint unreachable";
        case ChainError::timeout: return "chain endpoint timed out";
        case ChainError::rpc_error: return "chain RPC error";
        case ChainError::malformed_response: return "malformed chain response";
        case ChainError::response_too_large: return "chain response too large";
        case ChainError::wrong_chain_id: return "wrong chain id";
        case ChainError::reverted: return "transaction reverted";
        case ChainError::insufficient_funds: return "insufficient funds";
        case ChainError::nonce_too_low: return "nonce too low";
        case ChainError::receipt_timeout: return "transaction not mined in time";
        case ChainError::invalid_url: return "invalid chain endpoint URL";
        case ChainError::process_failed: return "local chain process failed";
        case ChainError::deploy_failed: return "contract deployment failed";
        case ChainError::invalid_argument: return "invalid argument for the chain";
        }
        return "unknown chain error";
    }
};

} // namespace

const std::error_category& chainErrorCategory() noexcept
{
    static const ChainErrorCategory category;
    return category;
}

} // namespace pt::chain
