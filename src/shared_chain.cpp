#include "paytorrent/shared_chain.hpp"

#include "wallet/chain/local_chain.hpp"

#include <cstdlib>

namespace paytorrent {

struct SharedChain::Impl {
    std::unique_ptr<pt::chain::LocalChain> chain;
};

SharedChain::SharedChain(std::unique_ptr<Impl> impl) : impl_(std::move(impl))
{
    const auto& info = impl_->chain->info();
    summary_.rpc = info.rpc;
    summary_.chainId = info.chainId.str();
    summary_.adjudicator = info.adjudicator.toChecksum();
    summary_.embedded = true;
}

SharedChain::~SharedChain() = default;

pt::Result<std::unique_ptr<SharedChain>> SharedChain::start(const SharedChainOptions& options)
{
    pt::chain::LocalChainOptions o;
    if (options.nodeToolsDir) {
        o.nodeToolsDir = *options.nodeToolsDir;
    } else if (const char* d = std::getenv("PAYTORRENT_NODE_TOOLS"); d && *d) {
        o.nodeToolsDir = d;
    } else {
        o.nodeToolsDir = PT_NODE_TOOLS_DIR;
    }
    o.dataDir = options.dataDir;
    o.chainId = options.chainId;
    o.anvil.port = options.port;
    o.anvil.stopWithParentThread = options.stopWithStartingThread;
    std::error_code ec;
    std::filesystem::create_directories(o.dataDir, ec);
    if (ec) return pt::makeError(NodeError::bad_option, "cannot create " + o.dataDir.string() + ": " + ec.message());
    auto started = pt::chain::LocalChain::start(o);
    if (!started)
        return pt::makeError(NodeError::chain_unavailable, "cannot start the local chain: " + started.error().describe());
    auto impl = std::make_unique<Impl>();
    impl->chain = std::move(*started);
    return std::unique_ptr<SharedChain>(new SharedChain(std::move(impl)));
}

nlohmann::json SharedChain::toJson() const { return impl_->chain->info().toJson(); }

bool SharedChain::running() { return impl_->chain->process().running(); }

pt::Status SharedChain::stop() { return impl_->chain->stop(); }

} // namespace paytorrent
