// The wallet's database: channels, every signed state, the payments ledger, and settings,
// in one SQLite file (WAL mode, synchronous=FULL, foreign keys on, versioned schema).
// Schema and durability rules: docs/storage.md.
//
// Durability: every write method, called outside a Transaction, is its own transaction and
// is on disk (fsync'ed) when it returns ok. Inside a Transaction, writes become durable
// together when commit() returns ok -- one fsync for the whole batch (group commit). A
// caller must not act on a write (send a countersignature, serve data, report it) before
// that point. A store opened with Options::deferredSync can also commit without waiting for
// the disk (Transaction::commitDeferred): the writes are then durable once a later
// WalSync::sync() has returned ok, and not to be acted on before.
//
// Threading: a Store belongs to one thread at a time (the engine's strand). It has no
// locks of its own and SQLite is opened without its per-call mutex; hand it between threads
// only with a happens-before (e.g. through the strand). Another process may read the same
// file concurrently; a second writer waits up to Options::busyTimeout, then gets busy.
#pragma once

#include "wallet/common/result.hpp"
#include "wallet/store/ledger.hpp"
#include "wallet/store/records.hpp"
#include "wallet/store/store_error.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace pt::store {

// The largest single value (blob or text) the store writes or reads. A Nitro state of a
// two-party channel is well under 1 KiB; the cap bounds what a damaged or hostile file can
// make us allocate. Applied as SQLite's SQLITE_LIMIT_LENGTH.
inline constexpr int max_value_bytes = 4 * 1024 * 1024;
// Setting names are identifiers chosen by the code ("chain.cursor"), never long.
inline constexpr std::size_t max_setting_key_bytes = 256;

namespace detail {
struct StoreImpl;
}

class Transaction;

// Makes a store's deferred commits durable: sync() returns ok once every transaction
// committed before the call is on disk (fdatasync of the write-ahead log). Thread-safe; it
// holds a descriptor of its own, so it may outlive the Store.
class WalSync {
public:
    explicit WalSync(std::filesystem::path log);
    ~WalSync();
    WalSync(const WalSync&) = delete;
    WalSync& operator=(const WalSync&) = delete;

    // io when the log cannot be opened or synced (then what was committed since the last
    // successful sync may not survive a power loss). After a failed fsync every later call
    // fails too: the kernel may have dropped what it could not write.
    [[nodiscard]] Status sync();
    // Successful syncs so far.
    [[nodiscard]] std::uint64_t syncs() const noexcept;

private:
    struct State;
    std::unique_ptr<State> state_;
};

class Store {
public:
    struct Options {
        // How long a write waits for another connection's lock before StoreError::busy.
        std::chrono::milliseconds busyTimeout{5000};
        // Unix time in milliseconds for created/updated stamps; the system clock when empty.
        std::function<std::int64_t()> clockMs;
        // Copy the WAL back into the database on a thread of the store's own (with a second
        // connection) rather than inside the commit that fills it: a commit then never
        // waits for a checkpoint's writes and fsync. For a connection on a hot path.
        bool backgroundCheckpoint = false;
        // Let a transaction commit without its fsync (Transaction::commitDeferred) and leave
        // the fsync to walSync(), from any thread: the committing thread goes on while the
        // disk works, and one fsync covers every commit before it. Every other commit stays
        // durable when it returns. For a connection on a hot path.
        bool deferredSync = false;
    };

    // Opens or creates the database at `path` and migrates it to the latest schema.
    // Errors: open_failed (cannot open, or another program's SQLite file), corrupt (not a
    // SQLite file), newer_schema, migration_failed, busy, io.
    [[nodiscard]] static Result<Store> open(const std::filesystem::path& path, Options options);
    [[nodiscard]] static Result<Store> open(const std::filesystem::path& path) { return open(path, Options{}); }

    Store(Store&&) noexcept;
    Store& operator=(Store&&) noexcept;
    ~Store();

    [[nodiscard]] const std::filesystem::path& path() const noexcept;
    [[nodiscard]] Result<int> schemaVersion();
    // Checkpoints the background thread has completed (Options::backgroundCheckpoint).
    [[nodiscard]] std::uint64_t backgroundCheckpoints() const noexcept;
    // The fsync of deferred commits (Options::deferredSync), to call from any thread; null
    // for a store opened without deferredSync (its commits are all durable on return).
    [[nodiscard]] std::shared_ptr<WalSync> walSync() const;

    // --- channels -------------------------------------------------------------------------
    // Inserts a channel, or for a known one updates its status (and updatedMs). Refuses
    // (invalid_record) an id that is not channelId(fixed), participants other than two, a
    // counterparty that is not the other participant, uint48 fields out of range; refuses
    // (constraint) changing the role or counterparty of a stored channel.
    [[nodiscard]] Status putChannel(const ChannelRecord& channel);
    // not_found when the channel is unknown.
    [[nodiscard]] Status setChannelStatus(const nitro::ChannelId& id, ChannelStatus status);
    [[nodiscard]] Result<std::optional<ChannelRecord>> getChannel(const nitro::ChannelId& id);
    // All channels, oldest first.
    [[nodiscard]] Result<std::vector<ChannelRecord>> listChannels();

    // --- signed states --------------------------------------------------------------------
    // Stores a state with its signatures (indexed like fixed.participants; at least one).
    // Refuses: a channel not stored (not_found), a turn not above the latest stored one
    // (stale_turn), a state of another channel or of a bad shape, or a signature list not
    // sized like the participants (invalid_record). The store keeps states; it does not
    // check signatures or channel rules (the caller has, before calling).
    [[nodiscard]] Status appendSignedState(const nitro::ChannelId& id, const nitro::SignedState& state);
    // Adds signatures to a stored state (e.g. the counterparty's countersignature): the
    // state at state.turnNum must be the same state (same hash) else invalid_record;
    // signatures already stored are kept. not_found when that turn is not stored.
    [[nodiscard]] Status addSignatures(const nitro::ChannelId& id, const nitro::SignedState& state);
    // Removes the states from `fromTurn` up that only one participant signed (a payer's
    // payments signed ahead of time and never sent), returning how many. Refuses
    // (constraint), removing nothing, when one of them has both signatures or a payment row:
    // a state the counterparty may hold is never forgotten.
    [[nodiscard]] Result<std::uint64_t> discardUnsharedStates(const nitro::ChannelId& id, std::uint64_t fromTurn);
    // The state with the highest turn, or nullopt when the channel has none (or is unknown).
    [[nodiscard]] Result<std::optional<nitro::SignedState>> latestState(const nitro::ChannelId& id);
    // The state with the highest turn that both participants signed (the one that can be
    // enforced on chain), however many states signed by one only come after it; nullopt
    // when there is none.
    [[nodiscard]] Result<std::optional<nitro::SignedState>> latestSupportedState(const nitro::ChannelId& id);
    [[nodiscard]] Result<std::optional<nitro::SignedState>> stateAt(const nitro::ChannelId& id, std::uint64_t turnNum);

    // --- payments ledger ------------------------------------------------------------------
    // Records one payment. The state (channelId, turnNum) must be stored, and one payment
    // per state (constraint otherwise); labels of at most max_payment_label_bytes; bytes
    // below 2^63 (invalid_record otherwise: SQLite's integers are signed 64-bit).
    [[nodiscard]] Status recordPayment(const PaymentRecord& payment);
    // A channel's payments in turn order.
    [[nodiscard]] Result<std::vector<PaymentRecord>> payments(const nitro::ChannelId& id);
    // The sum of a channel's payments in one direction (corrupt if it overflows 2^256).
    [[nodiscard]] Result<Wei> paymentTotal(const nitro::ChannelId& id, PaymentDirection direction);
    // The ledger (ledger.hpp): every payment grouped by torrent label, then peer label (the
    // counterparty's address when a payment has none), then channel; only the torrent
    // labelled `torrent` when given (empty: the payments recorded without a label). Reads
    // every matching payment row; sums in C++ (corrupt when a sum overflows).
    [[nodiscard]] Result<std::vector<LedgerTorrent>> ledger(std::optional<std::string_view> torrent = std::nullopt);

    // --- settings and cursors -------------------------------------------------------------
    [[nodiscard]] Status putSetting(std::string_view key, ByteView value);
    [[nodiscard]] Result<std::optional<Bytes>> getSetting(std::string_view key);

    // --- transactions ---------------------------------------------------------------------
    // Starts a write transaction (BEGIN IMMEDIATE: the write lock is taken now, so commit
    // cannot fail for a lock). Write methods called while it is open join it; a refused
    // write inside it is undone alone and the transaction stays usable. The Transaction
    // must not outlive the Store. nested_transaction if one is already open.
    [[nodiscard]] Result<Transaction> begin();

    // PRAGMA integrity_check and foreign_key_check; corrupt with the first findings.
    [[nodiscard]] Status integrityCheck();

private:
    explicit Store(std::unique_ptr<detail::StoreImpl> impl) noexcept;
    std::unique_ptr<detail::StoreImpl> impl_;
};

// A write transaction: commit() makes every write in it durable at once; destroying it
// without commit() rolls them all back.
class [[nodiscard]] Transaction {
public:
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    Transaction(Transaction&& o) noexcept : impl_(std::exchange(o.impl_, nullptr)) {}
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction();

    // Durable (fsync'ed) when it returns ok. On failure everything is rolled back (except
    // when only the fsync failed: then the writes are visible, and may not survive a power
    // loss).
    [[nodiscard]] Status commit();
    // Visible when it returns ok, durable once the store's WalSync::sync(), called after this
    // returned, has returned ok. On a store opened without Options::deferredSync it is
    // commit(). On failure everything is rolled back.
    [[nodiscard]] Status commitDeferred();
    void rollback() noexcept;
    [[nodiscard]] bool active() const noexcept { return impl_ != nullptr; }

private:
    friend class Store;
    explicit Transaction(detail::StoreImpl* impl) noexcept : impl_(impl) {}
    [[nodiscard]] Status finish(bool sync);
    detail::StoreImpl* impl_;
};

} // namespace pt::store
