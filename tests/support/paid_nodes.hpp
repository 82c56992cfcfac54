// Fixtures for tests that run real nodes on loopback against one local chain.
#pragma once

#include "paytorrent/node.hpp"

#include <boost/multiprecision/cpp_int.hpp>

#include <filesystem>

namespace pt::test {

inline constexpr std::uint64_t mib = std::uint64_t{1} << 20;

// A loopback-only node with a fast (test-only) keystore and a 60 s challenge window.
inline paytorrent::NodeOptions nodeOptions(const std::filesystem::path& dir)
{
    paytorrent::NodeOptions o;
    o.dataDir = paytorrent::DataDir{dir};
    o.password = "test password";
    o.listen = "127.0.0.1:0";
    o.localOnly = true;
    o.scryptN = 1024;
    o.challengeDuration = 60;
    return o;
}

// A node on the chain `first` started.
inline paytorrent::NodeOptions joinChain(const std::filesystem::path& dir, const paytorrent::Node& first)
{
    paytorrent::NodeOptions o = nodeOptions(dir);
    o.chainRpc = first.chain().rpc;
    o.adjudicator = first.chain().adjudicator;
    return o;
}

// price x bytes / 2^20, rounded up: what `bytes` cost at `price` wei per MiB.
inline Wei cost(std::uint64_t bytes, const Wei& price)
{
    return Wei(U256((boost::multiprecision::uint512_t(bytes) * price.value() + (mib - 1)) / mib));
}

} // namespace pt::test
