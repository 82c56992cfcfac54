#include "extension/messages.hpp"

namespace pt::ext {

MessageType typeOf(const Message& message) noexcept
{
    // The variant's alternatives are listed in MessageType order, from 1.
    return static_cast<MessageType>(message.index() + 1);
}

const char* toString(MessageType type) noexcept
{
    switch (type) {
    case MessageType::stop: return "STOP";
    case MessageType::start: return "START";
    case MessageType::channel_proposal: return "CHANNEL_PROPOSAL";
    case MessageType::channel_accept: return "CHANNEL_ACCEPT";
    case MessageType::payment: return "PAYMENT";
    case MessageType::countersignature: return "COUNTERSIGNATURE";
    case MessageType::final_state: return "FINAL";
    case MessageType::final_countersignature: return "FINAL_COUNTERSIGNATURE";
    case MessageType::error: return "ERROR";
    }
    return "UNKNOWN";
}

const char* toString(StopReason reason) noexcept
{
    switch (reason) {
    case StopReason::payment_needed: return "payment_needed";
    case StopReason::out_of_budget: return "out_of_budget";
    case StopReason::permanent: return "permanent";
    }
    return "unknown";
}

std::size_t maxEncodedBytes(MessageType type) noexcept
{
    switch (type) {
    case MessageType::stop:
    case MessageType::start: return max_control_message_bytes;
    case MessageType::channel_accept:
    case MessageType::countersignature:
    case MessageType::final_countersignature: return max_signature_message_bytes;
    case MessageType::channel_proposal:
    case MessageType::payment:
    case MessageType::final_state: return max_message_bytes;
    case MessageType::error: return max_error_message_bytes;
    }
    return 0;
}

} // namespace pt::ext
