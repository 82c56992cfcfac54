// Errors of talking to an Ethereum chain: transport, protocol, and what the chain said.
#pragma once

#include "wallet/common/result.hpp"

#include <system_error>

namespace pt::chain {

enum class ChainError {
    unreachable = 1,     // no connection to the endpoint (refused, reset, DNS), after retries
    timeout,             // the endpoint did not answer within the configured time
    rpc_error,           // a JSON-RPC error object the other kinds do not cover (code in message)
    malformed_response,  // not HTTP 200 JSON, not JSON-RPC 2.0, or a field of the wrong shape
    response_too_large,  // a response over the size or nesting limit
    wrong_chain_id,      // the endpoint serves another chain than the configuration names
    reverted,            // the EVM reverted; the message carries the decoded reason if any
    insufficient_funds,  // the sender cannot pay value + gas
    nonce_too_low,       // another transaction from this sender took the nonce
    receipt_timeout,     // a sent transaction was not mined within the wait bound
    invalid_url,         // an endpoint URL this client cannot use (only http:// is supported)
    process_failed,      // the local chain process could not be started or died
    deploy_failed,       // a contract creation did not produce code
    invalid_argument,    // a value the caller passed is out of range for the chain
};
const std::error_category& chainErrorCategory() noexcept;
inline std::error_code make_error_code(ChainError e) noexcept
{
    return {static_cast<int>(e), chainErrorCategory()};
}

} // namespace pt::chain

template <>
struct std::is_error_code_enum<pt::chain::ChainError> : std::true_type {};
