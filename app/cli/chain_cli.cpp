#include "chain_cli.hpp"

#include <iostream>

namespace paytorrent::cli {

std::unique_ptr<Node> openNodeForCommand(const NodeFlags& flags)
{
    auto options = toNodeOptions(flags);
    if (!options) return nullptr;
    options->watchtower = false;
    auto node = Node::open(std::move(*options));
    if (!node) {
        printError("cannot start the node", node.error());
        return nullptr;
    }
    return std::move(*node);
}

std::string formatEther(const pt::Wei& wei)
{
    const pt::U256 unit("1000000000000000000");
    const pt::U256 whole = wei.value() / unit;
    std::string frac = (wei.value() % unit).str();
    if (frac != "0") {
        frac.insert(0, 18 - frac.size(), '0');
        while (!frac.empty() && frac.back() == '0') frac.pop_back();
        return whole.str() + "." + frac + " ETH";
    }
    return whole.str() + " ETH";
}

std::optional<pt::Bytes32> parseChannelArg(const std::string& text)
{
    // Bounded before parsing: an id is 66 characters.
    auto id = text.size() <= 130 ? pt::Bytes32::fromHex(text) : pt::Result<pt::Bytes32>(pt::Error{});
    if (!id) {
        std::cerr << "paytorrent-cli: not a channel id: expected 0x and 64 hex digits (see `paytorrent-cli channels`)\n";
        return std::nullopt;
    }
    return *id;
}

nlohmann::json toJson(const ChainTransaction& tx)
{
    return {{"hash", tx.hash}, {"block", tx.block}, {"gasUsed", tx.gasUsed}, {"fee_wei", tx.fee.toDecimal()}};
}

} // namespace paytorrent::cli
