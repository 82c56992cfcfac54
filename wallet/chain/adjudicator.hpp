// The NitroAdjudicator (nitro-protocol 0.17.3) as the wallet uses it: call data for each
// function (pure, testable without a chain), views through eth_call, transactions through a
// TransactionSender, and its events decoded from logs.
#pragma once

#include "wallet/chain/eth_rpc.hpp"
#include "wallet/chain/transaction_sender.hpp"
#include "wallet/nitro/state.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

namespace pt::chain {

using nitro::ChannelId;

// The function signatures, canonical (tuples expanded) as the selectors are computed.
namespace adjudicator_sig {
inline constexpr std::string_view deposit = "deposit(address,bytes32,uint256,uint256)";
inline constexpr std::string_view holdings = "holdings(address,bytes32)";
inline constexpr std::string_view unpackStatus = "unpackStatus(bytes32)";
inline constexpr std::string_view challenge =
    "challenge((uint256,address[],uint48,address,uint48),uint48,(bytes,bytes)[],uint8,(uint8,bytes32,bytes32)[],"
    "uint8[],(uint8,bytes32,bytes32))";
inline constexpr std::string_view checkpoint =
    "checkpoint((uint256,address[],uint48,address,uint48),uint48,(bytes,bytes)[],uint8,(uint8,bytes32,bytes32)[],"
    "uint8[])";
inline constexpr std::string_view concludeAndTransferAllAssets =
    "concludeAndTransferAllAssets(uint48,(uint256,address[],uint48,address,uint48),bytes32,bytes,uint8,uint8[],"
    "(uint8,bytes32,bytes32)[])";
inline constexpr std::string_view transferAllAssets = "transferAllAssets(bytes32,bytes,bytes32)";
} // namespace adjudicator_sig

// The event signatures; topic0 is their keccak256.
namespace adjudicator_event_sig {
inline constexpr std::string_view deposited = "Deposited(bytes32,address,uint256,uint256)";
inline constexpr std::string_view challengeRegistered =
    "ChallengeRegistered(bytes32,uint48,uint48,bool,(uint256,address[],uint48,address,uint48),(bytes,bytes)[],"
    "(uint8,bytes32,bytes32)[],uint8[])";
inline constexpr std::string_view challengeCleared = "ChallengeCleared(bytes32,uint48)";
inline constexpr std::string_view concluded = "Concluded(bytes32,uint48)";
inline constexpr std::string_view allocationUpdated = "AllocationUpdated(bytes32,uint256,uint256)";
} // namespace adjudicator_event_sig

// What `challenge`, `checkpoint` and `conclude` accept as proof that a state is supported:
// states with consecutive turn numbers ending at the largest, and one signature per
// participant; whoSignedWhat[i] is the index of the state participant i signed.
struct SupportProof {
    std::vector<nitro::State> states; // ascending turnNum; same fixed part
    std::vector<Signature> sigs;      // indexed like participants
    std::vector<std::uint8_t> whoSignedWhat;

    [[nodiscard]] const nitro::State& supported() const { return states.back(); }
    // One state signed by every participant (whoSignedWhat all 0). Fails on a missing
    // signature or a signature that does not recover to its participant.
    [[nodiscard]] static Result<SupportProof> fromSignedState(const nitro::SignedState& signedState);
};

// Mode of a channel on chain: Open (finalizesAt == 0), Challenge (finalizesAt in the
// future), Finalized (finalizesAt <= the latest block's timestamp).
enum class ChannelMode { open, challenge, finalized };

struct ChannelStatus {
    std::uint64_t turnNumRecord = 0;
    std::uint64_t finalizesAt = 0; // unix seconds; 0 when no challenge ran or concluded
    FixedBytes<20> fingerprint;    // low 160 bits of keccak256(abi.encode(stateHash, outcomeHash))

    [[nodiscard]] ChannelMode modeAt(std::uint64_t blockTimestamp) const;
    // The fingerprint the contract stores for a state (to check which state a challenge holds).
    [[nodiscard]] static FixedBytes<20> fingerprintOf(const Hash32& stateHash, const Hash32& outcomeHash);
};

// Call data, pure. The proof's states must pass nitro::validateShape (programmer error otherwise).
namespace adjudicator_calldata {
[[nodiscard]] Bytes deposit(const Address& asset, const ChannelId& channel, const Wei& expectedHeld, const Wei& amount);
[[nodiscard]] Bytes holdings(const Address& asset, const ChannelId& channel);
[[nodiscard]] Bytes unpackStatus(const ChannelId& channel);
[[nodiscard]] Bytes challenge(const SupportProof& proof, const Signature& challengerSig);
[[nodiscard]] Bytes checkpoint(const SupportProof& proof);
[[nodiscard]] Bytes concludeAndTransferAllAssets(const SupportProof& proof);
[[nodiscard]] Bytes transferAllAssets(const ChannelId& channel, ByteView outcomeBytes, const Hash32& stateHash);
} // namespace adjudicator_calldata

// Events.
struct DepositedEvent {
    Bytes32 destination; // the channel id
    Address asset;
    Wei amountDeposited;
    Wei destinationHoldings;
};
struct ChallengeRegisteredEvent {
    ChannelId channelId;
    std::uint64_t turnNumRecord = 0;
    std::uint64_t finalizesAt = 0;
    bool isFinal = false;
    nitro::FixedPart fixedPart;
    struct VariablePart {
        Bytes outcome;
        Bytes appData;
    };
    std::vector<VariablePart> variableParts;
    std::vector<Signature> sigs;
    std::vector<std::uint8_t> whoSignedWhat;

    // The state the challenge registered: turnNumRecord, isFinal and the last variable part.
    // Its hash and exact outcome bytes are what transferAllAssets takes once the challenge
    // has finalized (computed from the bytes as sent, not from a re-encoding).
    [[nodiscard]] Hash32 challengedStateHash() const;
    [[nodiscard]] const Bytes& challengedOutcome() const { return variableParts.back().outcome; }
    // The same state as a nitro::State (fails on an outcome this wallet does not support).
    [[nodiscard]] Result<nitro::State> challengedState() const;
};
struct ChallengeClearedEvent {
    ChannelId channelId;
    std::uint64_t newTurnNumRecord = 0;
};
struct ConcludedEvent {
    ChannelId channelId;
    std::uint64_t finalizesAt = 0;
};
struct AllocationUpdatedEvent {
    ChannelId channelId;
    U256 assetIndex = 0;
    Wei initialHoldings;
};

using AdjudicatorEventBody = std::variant<DepositedEvent, ChallengeRegisteredEvent, ChallengeClearedEvent,
                                          ConcludedEvent, AllocationUpdatedEvent>;
struct AdjudicatorEvent {
    std::uint64_t blockNumber = 0;
    Hash32 transactionHash;
    std::uint64_t logIndex = 0;
    AdjudicatorEventBody body;

    // The channel (or deposit destination) the event is about.
    [[nodiscard]] const Bytes32& channelId() const;
};

[[nodiscard]] Hash32 eventTopic(std::string_view eventSignature);
// Decodes one adjudicator log; none for a topic that is not one of the five events.
// Malformed data is malformed_response.
[[nodiscard]] Result<std::optional<AdjudicatorEvent>> decodeAdjudicatorEvent(const Log& log);

class Adjudicator {
public:
    Adjudicator(std::shared_ptr<EthRpc> rpc, Address address) : rpc_(std::move(rpc)), address_(address) {}

    [[nodiscard]] const Address& address() const noexcept { return address_; }

    [[nodiscard]] Result<Wei> holdings(const ChannelId& channel, const Address& asset = Address{});
    [[nodiscard]] Result<ChannelStatus> status(const ChannelId& channel);
    // status() and the latest block's timestamp, together.
    [[nodiscard]] Result<ChannelMode> mode(const ChannelId& channel);

    // Deposits `amount` of ETH so that holdings reach expectedHeld + amount.
    [[nodiscard]] Result<Receipt> deposit(TransactionSender& from, const ChannelId& channel, const Wei& expectedHeld,
                                          const Wei& amount);
    [[nodiscard]] Result<Receipt> challenge(TransactionSender& from, const SupportProof& proof,
                                            const Signature& challengerSig);
    [[nodiscard]] Result<Receipt> checkpoint(TransactionSender& from, const SupportProof& proof);
    [[nodiscard]] Result<Receipt> concludeAndTransferAllAssets(TransactionSender& from, const SupportProof& proof);
    // stateHash is zero after a conclude, the challenged state's hash after a challenge.
    [[nodiscard]] Result<Receipt> transferAllAssets(TransactionSender& from, const ChannelId& channel,
                                                    const nitro::Outcome& outcome, const Hash32& stateHash);
    [[nodiscard]] Result<Receipt> transferAllAssets(TransactionSender& from, const ChannelId& channel,
                                                    ByteView outcomeBytes, const Hash32& stateHash);

    // The adjudicator's events in [fromBlock, toBlock], optionally only for some channels.
    [[nodiscard]] Result<std::vector<AdjudicatorEvent>> events(std::uint64_t fromBlock,
                                                               std::optional<std::uint64_t> toBlock,
                                                               const std::vector<ChannelId>& channels = {});

    // One step of a resumable scan: events in [fromBlock, min(fromBlock + maxBlocks - 1,
    // latest - confirmations)], and the block the next step starts from. A watcher persists
    // nextBlock (after handling the events) and so resumes where it stopped after a restart.
    // Nodes cap eth_getLogs ranges (often 10k blocks), hence maxBlocks.
    struct Scan {
        std::vector<AdjudicatorEvent> events;
        std::uint64_t nextBlock = 0;
        bool caughtUp = false; // nextBlock is past the newest block considered
    };
    [[nodiscard]] Result<Scan> scan(std::uint64_t fromBlock, const std::vector<ChannelId>& channels = {},
                                    std::uint64_t maxBlocks = 5000, std::uint64_t confirmations = 0);

private:
    [[nodiscard]] Result<Bytes> view(Bytes callData);

    std::shared_ptr<EthRpc> rpc_;
    Address address_;
};

// Contract deployment from the npm artifact.
// The artifact is ~340 KB (ABI and AST beside the bytecode); 8 MiB bounds a corrupt file.
inline constexpr std::size_t max_artifact_bytes = 8 * 1024 * 1024;
[[nodiscard]] std::filesystem::path adjudicatorArtifactIn(const std::filesystem::path& nodeToolsDir);
// The creation bytecode (field `bytecode`) of a Hardhat artifact.
[[nodiscard]] Result<Bytes> loadArtifactBytecode(const std::filesystem::path& artifactJson);
// Deploys creation code and checks that code now lives at the new address.
[[nodiscard]] Result<Address> deployContract(TransactionSender& from, const Bytes& creationCode);

} // namespace pt::chain
