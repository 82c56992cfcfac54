// Helpers shared by the chain commands (wallet, channels, challenge, withdraw, chain up).
#pragma once

#include "node_options.hpp"

#include "wallet/common/bytes.hpp"
#include "wallet/common/wei.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

namespace paytorrent::cli {

// Opens the node for one command that runs and exits: the watchtower stays off (it could
// not finish anything, and its start-up work would race the command's own transaction).
// On failure prints one clear line on stderr and returns nullptr.
[[nodiscard]] std::unique_ptr<Node> openNodeForCommand(const NodeFlags& flags);

// "1.5 ETH" (exact: wei are never rounded away; trailing zeros trimmed).
[[nodiscard]] std::string formatEther(const pt::Wei& wei);

// A 0x channel id (32 bytes of hex); on failure prints a usage error and returns nullopt.
[[nodiscard]] std::optional<pt::Bytes32> parseChannelArg(const std::string& text);

[[nodiscard]] nlohmann::json toJson(const ChainTransaction& tx);

} // namespace paytorrent::cli
