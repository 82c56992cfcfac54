#include "wallet/chain/adjudicator.hpp"

#include "wallet/abi/abi.hpp"
#include "wallet/crypto/keccak.hpp"
#include "wallet/nitro/abi_values.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>

namespace pt::chain {

using abi::Type;
using abi::Value;

namespace {

Value u48(std::uint64_t v)
{
    return Value::uint(U256(v), 48);
}

Value u8(std::uint64_t v)
{
    return Value::uint(U256(v), 8);
}

Value u8Array(const std::vector<std::uint8_t>& xs)
{
    std::vector<Value> items;
    for (auto x : xs) items.push_back(u8(x));
    return Value::array(Type::uint(8), std::move(items));
}

Value signatureArray(const std::vector<Signature>& sigs)
{
    std::vector<Value> items;
    for (const auto& s : sigs) items.push_back(nitro::signatureValue(s));
    return Value::array(nitro::signatureType(), std::move(items));
}

Value variableParts(const SupportProof& proof)
{
    std::vector<Value> items;
    for (const auto& st : proof.states) items.push_back(nitro::variablePartValue(st));
    return Value::array(nitro::variablePartType(), std::move(items));
}

std::uint64_t isFinalCount(const SupportProof& proof)
{
    std::uint64_t n = 0;
    for (const auto& st : proof.states) n += st.isFinal ? 1 : 0;
    return n;
}

void requireWellFormed(const SupportProof& proof)
{
    if (proof.states.empty()) throw std::invalid_argument("SupportProof without states");
    if (proof.sigs.size() != proof.supported().fixed.participants.size() ||
        proof.whoSignedWhat.size() != proof.sigs.size())
        throw std::invalid_argument("SupportProof: one signature and one whoSignedWhat per participant");
}

Error bad(const std::string& what)
{
    return makeError(ChainError::malformed_response, what);
}

std::uint64_t toU64(const U256& v)
{
    return static_cast<std::uint64_t>(v); // callers decode uint48/uint8 only: always fits
}

FixedBytes<20> low160(const Bytes32& word)
{
    FixedBytes<20> out;
    std::copy(word.bytes.begin() + 12, word.bytes.end(), out.bytes.begin());
    return out;
}

Result<nitro::FixedPart> fixedPartFrom(const Value& v)
{
    const auto& it = v.items();
    nitro::FixedPart f;
    f.chainId = it[0].asUint();
    for (const auto& p : it[1].items()) f.participants.push_back(p.asAddress());
    f.channelNonce = toU64(it[2].asUint());
    f.appDefinition = it[3].asAddress();
    f.challengeDuration = toU64(it[4].asUint());
    return f;
}

Result<Signature> signatureFrom(const Value& v)
{
    const auto& it = v.items();
    const U256& vv = it[0].asUint();
    if (vv != 27 && vv != 28) return bad("event signature with v = " + vv.str());
    return Signature{it[1].asBytes32(), it[2].asBytes32(), static_cast<std::uint8_t>(vv)};
}

} // namespace

Result<SupportProof> SupportProof::fromSignedState(const nitro::SignedState& signedState)
{
    const auto& participants = signedState.state.fixed.participants;
    if (signedState.signatures.size() != participants.size())
        return makeError(ChainError::invalid_argument, "one signature per participant is needed");
    auto shape = nitro::validateShape(signedState.state);
    if (!shape) return makeError(ChainError::invalid_argument, shape.error().describe());
    SupportProof proof;
    proof.states.push_back(signedState.state);
    for (std::size_t i = 0; i < participants.size(); ++i) {
        const auto& sig = signedState.signatures[i];
        if (!sig) return makeError(ChainError::invalid_argument, "participant " + std::to_string(i) + " has not signed");
        auto signer = nitro::recoverStateSigner(signedState.state, *sig);
        if (!signer || *signer != participants[i])
            return makeError(ChainError::invalid_argument,
                             "the signature of participant " + std::to_string(i) + " is not theirs");
        proof.sigs.push_back(*sig);
        proof.whoSignedWhat.push_back(0);
    }
    return proof;
}

ChannelMode ChannelStatus::modeAt(std::uint64_t blockTimestamp) const
{
    if (finalizesAt == 0) return ChannelMode::open;
    if (finalizesAt <= blockTimestamp) return ChannelMode::finalized;
    return ChannelMode::challenge;
}

FixedBytes<20> ChannelStatus::fingerprintOf(const Hash32& stateHash, const Hash32& outcomeHash)
{
    return low160(keccak256(abi::encode({Value::bytes32(stateHash), Value::bytes32(outcomeHash)})));
}

namespace adjudicator_calldata {

Bytes deposit(const Address& asset, const ChannelId& channel, const Wei& expectedHeld, const Wei& amount)
{
    return abi::encodeCall(adjudicator_sig::deposit, {Value::address(asset), Value::bytes32(channel),
                                                      Value::uint(expectedHeld.value()), Value::uint(amount.value())});
}

Bytes holdings(const Address& asset, const ChannelId& channel)
{
    return abi::encodeCall(adjudicator_sig::holdings, {Value::address(asset), Value::bytes32(channel)});
}

Bytes unpackStatus(const ChannelId& channel)
{
    return abi::encodeCall(adjudicator_sig::unpackStatus, {Value::bytes32(channel)});
}

Bytes challenge(const SupportProof& proof, const Signature& challengerSig)
{
    requireWellFormed(proof);
    const auto& st = proof.supported();
    return abi::encodeCall(adjudicator_sig::challenge,
                           {nitro::fixedPartValue(st.fixed), u48(st.turnNum), variableParts(proof), u8(isFinalCount(proof)),
                            signatureArray(proof.sigs), u8Array(proof.whoSignedWhat),
                            nitro::signatureValue(challengerSig)});
}

Bytes checkpoint(const SupportProof& proof)
{
    requireWellFormed(proof);
    const auto& st = proof.supported();
    return abi::encodeCall(adjudicator_sig::checkpoint,
                           {nitro::fixedPartValue(st.fixed), u48(st.turnNum), variableParts(proof), u8(isFinalCount(proof)),
                            signatureArray(proof.sigs), u8Array(proof.whoSignedWhat)});
}

Bytes concludeAndTransferAllAssets(const SupportProof& proof)
{
    requireWellFormed(proof);
    const auto& st = proof.supported();
    return abi::encodeCall(adjudicator_sig::concludeAndTransferAllAssets,
                           {u48(st.turnNum), nitro::fixedPartValue(st.fixed),
                            Value::bytes32(nitro::appPartHash(st.fixed, st.appData)),
                            Value::bytes(nitro::encodeOutcome(st.outcome)), u8(proof.states.size()),
                            u8Array(proof.whoSignedWhat), signatureArray(proof.sigs)});
}

Bytes transferAllAssets(const ChannelId& channel, ByteView outcomeBytes, const Hash32& stateHash)
{
    return abi::encodeCall(adjudicator_sig::transferAllAssets,
                           {Value::bytes32(channel), Value::bytes(outcomeBytes), Value::bytes32(stateHash)});
}

} // namespace adjudicator_calldata

Hash32 ChallengeRegisteredEvent::challengedStateHash() const
{
    const Bytes& outcome = challengedOutcome();
    return keccak256(abi::encode({Value::uint(turnNumRecord), Value::boolean(isFinal),
                                  Value::bytes32(nitro::channelId(fixedPart)),
                                  Value::bytes32(nitro::appPartHash(fixedPart, variableParts.back().appData)),
                                  Value::bytes32(keccak256(outcome))}));
}

Result<nitro::State> ChallengeRegisteredEvent::challengedState() const
{
    auto outcome = nitro::decodeOutcome(challengedOutcome());
    if (!outcome) return outcome.error();
    nitro::State st;
    st.fixed = fixedPart;
    st.turnNum = turnNumRecord;
    st.isFinal = isFinal;
    st.appData = variableParts.back().appData;
    st.outcome = std::move(*outcome);
    return st;
}

const Bytes32& AdjudicatorEvent::channelId() const
{
    return std::visit(
        [](const auto& e) -> const Bytes32& {
            if constexpr (std::is_same_v<std::decay_t<decltype(e)>, DepositedEvent>) return e.destination;
            else return e.channelId;
        },
        body);
}

Hash32 eventTopic(std::string_view eventSignature)
{
    return keccak256(eventSignature);
}

Result<std::optional<AdjudicatorEvent>> decodeAdjudicatorEvent(const Log& log)
{
    static const Hash32 deposited = eventTopic(adjudicator_event_sig::deposited);
    static const Hash32 registered = eventTopic(adjudicator_event_sig::challengeRegistered);
    static const Hash32 cleared = eventTopic(adjudicator_event_sig::challengeCleared);
    static const Hash32 concluded = eventTopic(adjudicator_event_sig::concluded);
    static const Hash32 allocationUpdated = eventTopic(adjudicator_event_sig::allocationUpdated);

    if (log.topics.empty()) return std::optional<AdjudicatorEvent>{};
    const Hash32& t0 = log.topics[0];
    if (t0 != deposited && t0 != registered && t0 != cleared && t0 != concluded && t0 != allocationUpdated)
        return std::optional<AdjudicatorEvent>{};
    if (log.topics.size() != 2) return bad("adjudicator event with " + std::to_string(log.topics.size()) + " topics");
    const Bytes32& indexed = log.topics[1];

    AdjudicatorEvent ev;
    ev.blockNumber = log.blockNumber;
    ev.transactionHash = log.transactionHash;
    ev.logIndex = log.logIndex;
    auto decodeData = [&](const std::vector<Type>& types) -> Result<std::vector<Value>> {
        auto v = abi::decode(types, log.data);
        if (!v) return bad("adjudicator event data: " + v.error().describe());
        return v;
    };

    if (t0 == deposited) {
        auto v = decodeData({Type::address(), Type::uint(), Type::uint()});
        if (!v) return v.error();
        ev.body = DepositedEvent{indexed, (*v)[0].asAddress(), Wei((*v)[1].asUint()), Wei((*v)[2].asUint())};
    } else if (t0 == cleared) {
        auto v = decodeData({Type::uint(48)});
        if (!v) return v.error();
        ev.body = ChallengeClearedEvent{indexed, toU64((*v)[0].asUint())};
    } else if (t0 == concluded) {
        auto v = decodeData({Type::uint(48)});
        if (!v) return v.error();
        ev.body = ConcludedEvent{indexed, toU64((*v)[0].asUint())};
    } else if (t0 == allocationUpdated) {
        auto v = decodeData({Type::uint(), Type::uint()});
        if (!v) return v.error();
        ev.body = AllocationUpdatedEvent{indexed, (*v)[0].asUint(), Wei((*v)[1].asUint())};
    } else {
        auto v = decodeData({Type::uint(48), Type::uint(48), Type::boolean(), nitro::fixedPartType(),
                             Type::array(nitro::variablePartType()), Type::array(nitro::signatureType()),
                             Type::array(Type::uint(8))});
        if (!v) return v.error();
        ChallengeRegisteredEvent e;
        e.channelId = indexed;
        e.turnNumRecord = toU64((*v)[0].asUint());
        e.finalizesAt = toU64((*v)[1].asUint());
        e.isFinal = (*v)[2].asBool();
        auto fixed = fixedPartFrom((*v)[3]);
        if (!fixed) return fixed.error();
        e.fixedPart = std::move(*fixed);
        for (const auto& vp : (*v)[4].items()) e.variableParts.push_back({vp.items()[0].asBytes(), vp.items()[1].asBytes()});
        for (const auto& s : (*v)[5].items()) {
            auto sig = signatureFrom(s);
            if (!sig) return sig.error();
            e.sigs.push_back(*sig);
        }
        for (const auto& w : (*v)[6].items()) e.whoSignedWhat.push_back(static_cast<std::uint8_t>(toU64(w.asUint())));
        if (e.variableParts.empty()) return bad("ChallengeRegistered without states");
        if (nitro::channelId(e.fixedPart) != e.channelId) return bad("ChallengeRegistered for another channel's fixed part");
        ev.body = std::move(e);
    }
    return std::optional<AdjudicatorEvent>{std::move(ev)};
}

Result<Bytes> Adjudicator::view(Bytes callData)
{
    return rpc_->call(CallRequest{std::nullopt, address_, Wei(), std::move(callData), std::nullopt}, BlockTag::latest());
}

Result<Wei> Adjudicator::holdings(const ChannelId& channel, const Address& asset)
{
    auto out = view(adjudicator_calldata::holdings(asset, channel));
    if (!out) return out.error();
    auto v = abi::decode({Type::uint()}, *out);
    if (!v) return bad("holdings: " + v.error().describe());
    return Wei((*v)[0].asUint());
}

Result<ChannelStatus> Adjudicator::status(const ChannelId& channel)
{
    auto out = view(adjudicator_calldata::unpackStatus(channel));
    if (!out) return out.error();
    auto v = abi::decode({Type::uint(48), Type::uint(48), Type::uint(160)}, *out);
    if (!v) return bad("unpackStatus: " + v.error().describe());
    ChannelStatus st;
    st.turnNumRecord = toU64((*v)[0].asUint());
    st.finalizesAt = toU64((*v)[1].asUint());
    st.fingerprint = low160(toWord((*v)[2].asUint()));
    return st;
}

Result<ChannelMode> Adjudicator::mode(const ChannelId& channel)
{
    auto st = status(channel);
    if (!st) return st.error();
    auto block = rpc_->getBlock(BlockTag::latest());
    if (!block) return block.error();
    return st->modeAt(block->timestamp);
}

Result<Receipt> Adjudicator::deposit(TransactionSender& from, const ChannelId& channel, const Wei& expectedHeld,
                                     const Wei& amount)
{
    return from.send(TxRequest{address_, amount, adjudicator_calldata::deposit(Address{}, channel, expectedHeld, amount),
                               std::nullopt});
}

Result<Receipt> Adjudicator::challenge(TransactionSender& from, const SupportProof& proof, const Signature& challengerSig)
{
    return from.send(TxRequest{address_, Wei(), adjudicator_calldata::challenge(proof, challengerSig), std::nullopt});
}

Result<Receipt> Adjudicator::checkpoint(TransactionSender& from, const SupportProof& proof)
{
    return from.send(TxRequest{address_, Wei(), adjudicator_calldata::checkpoint(proof), std::nullopt});
}

Result<Receipt> Adjudicator::concludeAndTransferAllAssets(TransactionSender& from, const SupportProof& proof)
{
    return from.send(TxRequest{address_, Wei(), adjudicator_calldata::concludeAndTransferAllAssets(proof), std::nullopt});
}

Result<Receipt> Adjudicator::transferAllAssets(TransactionSender& from, const ChannelId& channel,
                                               const nitro::Outcome& outcome, const Hash32& stateHash)
{
    return transferAllAssets(from, channel, nitro::encodeOutcome(outcome), stateHash);
}

Result<Receipt> Adjudicator::transferAllAssets(TransactionSender& from, const ChannelId& channel, ByteView outcomeBytes,
                                               const Hash32& stateHash)
{
    return from.send(
        TxRequest{address_, Wei(), adjudicator_calldata::transferAllAssets(channel, outcomeBytes, stateHash), std::nullopt});
}

Result<std::vector<AdjudicatorEvent>> Adjudicator::events(std::uint64_t fromBlock, std::optional<std::uint64_t> toBlock,
                                                          const std::vector<ChannelId>& channels)
{
    LogFilter filter;
    filter.fromBlock = fromBlock;
    filter.toBlock = toBlock;
    filter.addresses = {address_};
    filter.topics.push_back({eventTopic(adjudicator_event_sig::deposited),
                             eventTopic(adjudicator_event_sig::challengeRegistered),
                             eventTopic(adjudicator_event_sig::challengeCleared),
                             eventTopic(adjudicator_event_sig::concluded),
                             eventTopic(adjudicator_event_sig::allocationUpdated)});
    if (!channels.empty()) filter.topics.push_back(channels);
    auto logs = rpc_->getLogs(filter);
    if (!logs) return logs.error();
    std::vector<AdjudicatorEvent> out;
    for (const auto& log : *logs) {
        if (log.removed || log.address != address_) continue;
        auto ev = decodeAdjudicatorEvent(log);
        if (!ev) return ev.error();
        if (*ev) out.push_back(std::move(**ev));
    }
    return out;
}

Result<Adjudicator::Scan> Adjudicator::scan(std::uint64_t fromBlock, const std::vector<ChannelId>& channels,
                                            std::uint64_t maxBlocks, std::uint64_t confirmations)
{
    if (maxBlocks == 0) return makeError(ChainError::invalid_argument, "scan of zero blocks");
    auto latest = rpc_->blockNumber();
    if (!latest) return latest.error();
    Scan out;
    if (*latest < confirmations || *latest - confirmations < fromBlock) {
        out.nextBlock = fromBlock;
        out.caughtUp = true;
        return out;
    }
    const std::uint64_t newest = *latest - confirmations;
    const std::uint64_t to = newest - fromBlock >= maxBlocks ? fromBlock + maxBlocks - 1 : newest;
    auto evs = events(fromBlock, to, channels);
    if (!evs) return evs.error();
    out.events = std::move(*evs);
    out.nextBlock = to + 1;
    out.caughtUp = to == newest;
    return out;
}

std::filesystem::path adjudicatorArtifactIn(const std::filesystem::path& nodeToolsDir)
{
    return nodeToolsDir / "node_modules" / "@statechannels" / "nitro-protocol" / "lib" / "artifacts" / "contracts" /
           "NitroAdjudicator.sol" / "NitroAdjudicator.json";
}

Result<Bytes> loadArtifactBytecode(const std::filesystem::path& artifactJson)
{
    std::error_code ec;
    const auto size = std::filesystem::file_size(artifactJson, ec);
    if (ec) return makeError(ChainError::deploy_failed, "cannot read " + artifactJson.string() + ": " + ec.message());
    if (size > max_artifact_bytes)
        return makeError(ChainError::deploy_failed, artifactJson.string() + " is larger than an artifact can be");
    std::ifstream in(artifactJson, std::ios::binary);
    const auto doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("bytecode") || !doc["bytecode"].is_string())
        return makeError(ChainError::deploy_failed, artifactJson.string() + " has no bytecode field");
    auto code = fromHex(doc["bytecode"].get<std::string>());
    if (!code || code->empty())
        return makeError(ChainError::deploy_failed, artifactJson.string() + ": bytecode is not hex");
    return code;
}

Result<Address> deployContract(TransactionSender& from, const Bytes& creationCode)
{
    auto receipt = from.send(TxRequest{std::nullopt, Wei(), creationCode, std::nullopt});
    if (!receipt) return receipt.error();
    if (!receipt->contractAddress)
        return makeError(ChainError::deploy_failed, "the creation receipt names no contract address");
    auto code = from.rpc().getCode(*receipt->contractAddress, BlockTag::latest());
    if (!code) return code.error();
    if (code->empty()) return makeError(ChainError::deploy_failed, "no code at " + receipt->contractAddress->hex());
    return *receipt->contractAddress;
}

} // namespace pt::chain
