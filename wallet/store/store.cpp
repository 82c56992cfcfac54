#include "wallet/store/store.hpp"

#include "wallet/store/schema.hpp"
#include "wallet/store/sqlite.hpp"

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

namespace pt::store {

using sqlite::ResetOnExit;
using sqlite::Statement;

namespace detail {

// Checkpoints the WAL from its own thread and connection, woken by the writing connection's
// WAL hook once the log holds `threshold` frames (SQLite's own automatic checkpoint would run
// inside that commit). PASSIVE: it never waits for readers or the writer; what it cannot
// copy now is copied the next time.
class Checkpointer {
public:
    static constexpr int threshold = 1000; // frames, SQLite's default autocheckpoint

    explicit Checkpointer(sqlite3* db) : db_(db), thread_([this] { run(); }) {}
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;
    ~Checkpointer()
    {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_one();
        thread_.join();
        sqlite3_close_v2(db_);
    }

    [[nodiscard]] std::uint64_t done() const noexcept { return done_.load(std::memory_order_relaxed); }

    static int onCommit(void* self, sqlite3* writer, const char*, int frames)
    {
        if (frames >= threshold) static_cast<Checkpointer*>(self)->wake();
        // A log this long means the thread has not kept up: the writer copies, as SQLite's
        // own checkpoint would, so the log cannot grow without bound.
        if (frames >= 8 * threshold) (void)sqlite3_wal_checkpoint_v2(writer, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        return SQLITE_OK;
    }

private:
    void wake()
    {
        {
            std::lock_guard lock(mutex_);
            wanted_ = true;
        }
        cv_.notify_one();
    }
    void run()
    {
        std::unique_lock lock(mutex_);
        for (;;) {
            cv_.wait(lock, [this] { return wanted_ || stopping_; });
            if (stopping_) return;
            wanted_ = false;
            lock.unlock();
            const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
            if (rc == SQLITE_OK) done_.fetch_add(1, std::memory_order_relaxed);
            lock.lock();
        }
    }

    sqlite3* const db_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool wanted_ = false;   // guarded by mutex_
    bool stopping_ = false; // guarded by mutex_
    std::atomic<std::uint64_t> done_{0};
    std::thread thread_;
};

struct StoreImpl {
    sqlite3* db = nullptr;
    std::unique_ptr<Checkpointer> checkpointer; // backgroundCheckpoint
    std::shared_ptr<WalSync> walSync;           // deferredSync: commits leave their fsync to it
    std::filesystem::path path;
    std::function<std::int64_t()> clockMs;
    // Prepared statements, keyed by the address of their SQL literal (each is a named
    // constant below, so the address identifies it).
    std::unordered_map<const char*, Statement> cache;
    bool explicitTransaction = false;
    // Fixed parts of stored channels, which never change once stored. Filled from reads only
    // and dropped on rollback, so it never holds a channel the file does not.
    std::unordered_map<nitro::ChannelId, nitro::FixedPart> fixedParts;

    StoreImpl() = default;
    StoreImpl(const StoreImpl&) = delete;
    StoreImpl& operator=(const StoreImpl&) = delete;
    ~StoreImpl()
    {
        if (checkpointer) {
            sqlite3_wal_hook(db, nullptr, nullptr);
            checkpointer.reset(); // its thread stops before this connection closes
        }
        if (explicitTransaction) (void)sqlite::exec(db, "ROLLBACK", "rollback on close");
        cache.clear(); // statements first: close_v2 would otherwise defer the close
        sqlite3_close_v2(db);
    }

    Result<Statement*> stmt(const char* sql)
    {
        if (auto it = cache.find(sql); it != cache.end()) return &it->second;
        auto prepared = Statement::prepare(db, sql);
        if (!prepared) return prepared.error();
        return &cache.emplace(sql, std::move(*prepared)).first->second;
    }

    std::int64_t now() const
    {
        if (clockMs) return clockMs();
        using namespace std::chrono;
        return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    }

    int changes() const noexcept { return sqlite3_changes(db); }
};

} // namespace detail

namespace {

using detail::StoreImpl;

// --- SQL, one named constant per statement (see StoreImpl::cache) -------------------------

constexpr const char* sql_savepoint = "SAVEPOINT pt_op";
constexpr const char* sql_release = "RELEASE pt_op";
constexpr const char* sql_rollback_to = "ROLLBACK TO pt_op";

constexpr const char* sql_put_channel = R"(
INSERT INTO channels (channel_id, chain_id, participants, channel_nonce, app_definition,
                      challenge_duration, role, counterparty, status, created_ms, updated_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
ON CONFLICT (channel_id) DO UPDATE SET status = excluded.status, updated_ms = excluded.updated_ms
WHERE role = excluded.role AND counterparty = excluded.counterparty)";
constexpr const char* sql_set_status = "UPDATE channels SET status = ?2, updated_ms = ?3 WHERE channel_id = ?1";
constexpr const char* sql_get_channel = R"(
SELECT channel_id, chain_id, participants, channel_nonce, app_definition, challenge_duration,
       role, counterparty, status, created_ms, updated_ms
FROM channels WHERE channel_id = ?1)";
constexpr const char* sql_list_channels = R"(
SELECT channel_id, chain_id, participants, channel_nonce, app_definition, challenge_duration,
       role, counterparty, status, created_ms, updated_ms
FROM channels ORDER BY created_ms, channel_id)";

constexpr const char* sql_latest_turn = "SELECT max(turn_num) FROM signed_states WHERE channel_id = ?1";
constexpr const char* sql_insert_state = R"(
INSERT INTO signed_states (channel_id, turn_num, is_final, app_data, outcome, state_hash)
VALUES (?1, ?2, ?3, ?4, ?5, ?6))";
constexpr const char* sql_insert_signature = R"(
INSERT INTO state_signatures (channel_id, turn_num, participant, signature) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT DO NOTHING)";
constexpr const char* sql_shared_states_from = R"(
SELECT count(*) FROM signed_states s WHERE s.channel_id = ?1 AND s.turn_num >= ?2 AND (
    (SELECT count(*) FROM state_signatures g WHERE g.channel_id = s.channel_id AND g.turn_num = s.turn_num) > 1
    OR EXISTS (SELECT 1 FROM payments p WHERE p.channel_id = s.channel_id AND p.turn_num = s.turn_num)))";
constexpr const char* sql_delete_signatures_from = "DELETE FROM state_signatures WHERE channel_id = ?1 AND turn_num >= ?2";
constexpr const char* sql_delete_states_from = "DELETE FROM signed_states WHERE channel_id = ?1 AND turn_num >= ?2";
constexpr const char* sql_state_hash_at = "SELECT state_hash FROM signed_states WHERE channel_id = ?1 AND turn_num = ?2";
constexpr const char* sql_latest_state = R"(
SELECT turn_num, is_final, app_data, outcome, state_hash FROM signed_states
WHERE channel_id = ?1 ORDER BY turn_num DESC LIMIT 1)";
// Two signatures: every stored channel has two participants (putChannel refuses others).
constexpr const char* sql_latest_supported = R"(
SELECT turn_num, is_final, app_data, outcome, state_hash FROM signed_states s
WHERE s.channel_id = ?1
  AND (SELECT count(*) FROM state_signatures g WHERE g.channel_id = s.channel_id AND g.turn_num = s.turn_num) = 2
ORDER BY turn_num DESC LIMIT 1)";
constexpr const char* sql_state_at = R"(
SELECT turn_num, is_final, app_data, outcome, state_hash FROM signed_states
WHERE channel_id = ?1 AND turn_num = ?2)";
constexpr const char* sql_signatures = R"(
SELECT participant, signature FROM state_signatures WHERE channel_id = ?1 AND turn_num = ?2)";

constexpr const char* sql_insert_payment = R"(
INSERT INTO payments (channel_id, turn_num, amount, direction, torrent, peer, time_ms, bytes)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))";
constexpr const char* sql_payments = R"(
SELECT turn_num, amount, direction, torrent, peer, time_ms, bytes FROM payments
WHERE channel_id = ?1 ORDER BY turn_num)";
// The ledger's rows: the counterparty stands in for a missing peer label.
constexpr const char* sql_ledger_all = R"(
SELECT p.channel_id, p.torrent, p.peer, c.counterparty, p.direction, p.amount, p.bytes
FROM payments p JOIN channels c ON c.channel_id = p.channel_id)";
constexpr const char* sql_ledger_torrent = R"(
SELECT p.channel_id, p.torrent, p.peer, c.counterparty, p.direction, p.amount, p.bytes
FROM payments p JOIN channels c ON c.channel_id = p.channel_id WHERE p.torrent = ?1)";
constexpr const char* sql_ledger_unlabelled = R"(
SELECT p.channel_id, p.torrent, p.peer, c.counterparty, p.direction, p.amount, p.bytes
FROM payments p JOIN channels c ON c.channel_id = p.channel_id WHERE p.torrent IS NULL)";
constexpr const char* sql_payment_amounts = "SELECT amount FROM payments WHERE channel_id = ?1 AND direction = ?2";

constexpr const char* sql_put_setting = R"(
INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value)";
constexpr const char* sql_get_setting = "SELECT value FROM settings WHERE key = ?1";

// --- helpers ---------------------------------------------------------------------------

Error corrupt(const std::string& what) { return makeError(StoreError::corrupt, "the database holds " + what); }
Error invalid(const std::string& what) { return makeError(StoreError::invalid_record, what); }

std::string shortId(const nitro::ChannelId& id) { return id.hex(); }

// Runs `body` as one atomic unit. Inside a Transaction: a savepoint, released on success and
// rolled back on failure. Outside one: a transaction of its own, committed (with its fsync) on
// success. That transaction is IMMEDIATE: it takes the write lock, waiting for another
// connection (the watchtower's) up to the busy timeout, before the body reads. A deferred
// one that had read first could not take the lock once the other connection had written
// (SQLITE_BUSY_SNAPSHOT, which SQLite does not retry): "database is locked" at once.
template <class Body>
Status atomically(StoreImpl& impl, Body&& body)
{
    if (!impl.explicitTransaction) {
        if (auto ok = sqlite::exec(impl.db, "BEGIN IMMEDIATE", "cannot start a write"); !ok) return ok.error();
        const sqlite3_int64 changesBefore = sqlite3_total_changes64(impl.db);
        Status result = body();
        if (result) {
            if (auto ok = sqlite::exec(impl.db, "COMMIT", "cannot commit"); !ok) {
                // A failed commit may leave the transaction open: end it, so that no later
                // write silently joins a transaction nobody will commit.
                if (!sqlite3_get_autocommit(impl.db)) (void)sqlite::exec(impl.db, "ROLLBACK", "rollback after a failed commit");
                impl.fixedParts.clear(); // it may hold a channel the rollback undid
                return ok.error();
            }
            // deferredSync: the commit did not fsync (a read, which wrote nothing, needs none)
            if (impl.walSync && sqlite3_total_changes64(impl.db) != changesBefore) return impl.walSync->sync();
            return result;
        }
        // SQLite may already have rolled back (disk full, I/O error); then this fails harmlessly.
        if (!sqlite3_get_autocommit(impl.db)) (void)sqlite::exec(impl.db, "ROLLBACK", "rollback of a refused write");
        impl.fixedParts.clear();
        return result;
    }
    // After an I/O error or a full disk SQLite may roll back the whole open transaction by
    // itself. Later writes must not then commit one by one, outside the batch they belong to.
    if (sqlite3_get_autocommit(impl.db))
        return makeError(StoreError::io, "the open transaction was rolled back by an earlier error; "
                                         "end it and retry the batch");
    auto sp = impl.stmt(sql_savepoint);
    if (!sp) return sp.error();
    if (auto ok = (*sp)->run("cannot start a write"); !ok) return ok.error();
    (*sp)->reset();

    Status result = body();
    if (result) {
        auto rel = impl.stmt(sql_release);
        if (!rel) return rel.error();
        auto ok = (*rel)->run("cannot commit");
        (*rel)->reset();
        if (!ok) return ok.error();
        return result;
    }
    // SQLite may already have rolled back the whole transaction (disk full, I/O error);
    // then these fail harmlessly.
    (void)sqlite::exec(impl.db, sql_rollback_to, "rollback of a refused write");
    (void)sqlite::exec(impl.db, sql_release, "release of a refused write");
    return result;
}

template <std::size_t N>
Result<FixedBytes<N>> readFixed(const Statement& s, int col, const char* what)
{
    const ByteView v = s.columnBlob(col);
    if (v.size() != N)
        return corrupt(std::string("a ") + what + " of " + std::to_string(v.size()) + " bytes (expected " +
                       std::to_string(N) + ")");
    return *FixedBytes<N>::fromView(v);
}

Result<std::uint64_t> readUint48(const Statement& s, int col, const char* what)
{
    const std::int64_t v = s.columnInt(col);
    if (v < 0 || static_cast<std::uint64_t>(v) > nitro::max_uint48)
        return corrupt(std::string("a ") + what + " out of range (" + std::to_string(v) + ")");
    return static_cast<std::uint64_t>(v);
}

// A payment's byte count: written from a uint64 below 2^63, so never negative.
Result<std::uint64_t> readBytes(const Statement& s, int col)
{
    const std::int64_t v = s.columnInt(col);
    if (v < 0) return corrupt("a payment of " + std::to_string(v) + " bytes");
    return static_cast<std::uint64_t>(v);
}

std::optional<std::string> readOptionalText(const Statement& s, int col)
{
    if (s.columnIsNull(col)) return std::nullopt;
    return std::string(s.columnText(col));
}

Bytes participantsBlob(const std::vector<Address>& participants)
{
    Bytes out;
    out.reserve(participants.size() * 20);
    for (const auto& a : participants) out.insert(out.end(), a.bytes.begin(), a.bytes.end());
    return out;
}

// Columns of sql_get_channel / sql_list_channels, checked the way a file from elsewhere
// deserves: sizes, ranges, enum texts, and the id against the fixed part.
Result<ChannelRecord> readChannel(const Statement& s)
{
    ChannelRecord c;
    auto id = readFixed<32>(s, 0, "channel id");
    if (!id) return id.error();
    c.id = *id;
    auto chain = readFixed<32>(s, 1, "chain id");
    if (!chain) return chain.error();
    c.fixed.chainId = fromWord(*chain);
    const ByteView parts = s.columnBlob(2);
    if (parts.size() != 40) return corrupt("a channel whose participants field has " + std::to_string(parts.size()) + " bytes");
    for (std::size_t i = 0; i < parts.size(); i += 20)
        c.fixed.participants.emplace_back(*FixedBytes<20>::fromView(parts.subspan(i, 20)));
    auto nonce = readUint48(s, 3, "channel nonce");
    if (!nonce) return nonce.error();
    c.fixed.channelNonce = *nonce;
    auto app = readFixed<20>(s, 4, "app definition");
    if (!app) return app.error();
    c.fixed.appDefinition = Address(*app);
    auto duration = readUint48(s, 5, "challenge duration");
    if (!duration) return duration.error();
    c.fixed.challengeDuration = *duration;
    auto role = channelRoleFromString(s.columnText(6));
    if (!role) return corrupt("an unknown channel role \"" + std::string(s.columnText(6)) + "\"");
    c.role = *role;
    auto counterparty = readFixed<20>(s, 7, "counterparty");
    if (!counterparty) return counterparty.error();
    c.counterparty = Address(*counterparty);
    auto status = channelStatusFromString(s.columnText(8));
    if (!status) return corrupt("an unknown channel status \"" + std::string(s.columnText(8)) + "\"");
    c.status = *status;
    c.createdMs = s.columnInt(9);
    c.updatedMs = s.columnInt(10);
    if (nitro::channelId(c.fixed) != c.id)
        return corrupt("channel " + shortId(c.id) + " whose id is not that of its fixed part");
    return c;
}

Status checkChannel(const ChannelRecord& c)
{
    if (c.fixed.participants.size() != 2)
        return invalid("a channel has two participants [beneficiary, payer], not " +
                       std::to_string(c.fixed.participants.size()));
    if (c.fixed.channelNonce > nitro::max_uint48 || c.fixed.challengeDuration > nitro::max_uint48)
        return invalid("channel nonce and challenge duration are uint48");
    if (nitro::channelId(c.fixed) != c.id) return invalid("channel id " + shortId(c.id) + " is not that of its fixed part");
    const std::size_t other = c.role == ChannelRole::beneficiary ? 1 : 0;
    if (c.counterparty != c.fixed.participants[other])
        return invalid("the counterparty must be the other participant (index " + std::to_string(other) + ")");
    return {};
}

// Checks of a state offered for storage that do not need the database.
Status checkSignedState(const nitro::SignedState& ss)
{
    if (ss.state.fixed.participants.size() != 2) return invalid("a channel has two participants");
    if (auto ok = nitro::validateShape(ss.state); !ok) return invalid("malformed state: " + ok.error().describe());
    if (ss.signatures.size() != ss.state.fixed.participants.size())
        return invalid("a signed state has one signature slot per participant (" +
                       std::to_string(ss.state.fixed.participants.size()) + "), not " +
                       std::to_string(ss.signatures.size()));
    return {};
}

Status insertSignatures(StoreImpl& impl, const nitro::ChannelId& id, const nitro::SignedState& ss)
{
    auto ins = impl.stmt(sql_insert_signature);
    if (!ins) return ins.error();
    for (std::size_t i = 0; i < ss.signatures.size(); ++i) {
        if (!ss.signatures[i]) continue;
        ResetOnExit reset(**ins);
        const auto sig = ss.signatures[i]->toBytes65();
        (*ins)->bindBlob(1, id.view());
        (*ins)->bindInt(2, static_cast<std::int64_t>(ss.state.turnNum));
        (*ins)->bindInt(3, static_cast<std::int64_t>(i));
        (*ins)->bindBlob(4, sig.view());
        if (auto ok = (*ins)->run("cannot store a signature"); !ok) return ok.error();
    }
    return {};
}

// The row of sql_latest_state / sql_state_at, before its signatures and fixed part join it.
struct StateRow {
    std::uint64_t turnNum = 0;
    bool isFinal = false;
    Bytes appData;
    Bytes outcome;
    Hash32 stateHash;
};

Result<StateRow> readStateRow(const Statement& s)
{
    StateRow row;
    auto turn = readUint48(s, 0, "turn number");
    if (!turn) return turn.error();
    row.turnNum = *turn;
    const std::int64_t fin = s.columnInt(1);
    if (fin != 0 && fin != 1) return corrupt("an isFinal flag of " + std::to_string(fin));
    row.isFinal = fin == 1;
    const ByteView app = s.columnBlob(2);
    row.appData.assign(app.begin(), app.end());
    const ByteView out = s.columnBlob(3);
    row.outcome.assign(out.begin(), out.end());
    auto hash = readFixed<32>(s, 4, "state hash");
    if (!hash) return hash.error();
    row.stateHash = *hash;
    return row;
}

// The stored fixed part of channel `id` (cached), or nullptr when the channel is unknown.
Result<const nitro::FixedPart*> fixedPartOf(StoreImpl& impl, Store& store, const nitro::ChannelId& id)
{
    if (auto it = impl.fixedParts.find(id); it != impl.fixedParts.end()) return &it->second;
    auto channel = store.getChannel(id);
    if (!channel) return channel.error();
    if (!*channel) return static_cast<const nitro::FixedPart*>(nullptr);
    return &impl.fixedParts.emplace(id, std::move((*channel)->fixed)).first->second;
}

// The state must be of this channel: its whole fixed part, not only what the id covers
// (the id hashes chain, participants and nonce, but not the app or challenge duration).
Status checkBelongs(StoreImpl& impl, Store& store, const nitro::ChannelId& id, const nitro::SignedState& ss,
                    const char* action)
{
    auto fixed = fixedPartOf(impl, store, id);
    if (!fixed) return fixed.error();
    if (!*fixed) return makeError(StoreError::not_found, "no channel " + shortId(id) + " to " + action);
    if (**fixed != ss.state.fixed)
        return invalid("the state's fixed part is not that of channel " + shortId(id));
    return {};
}

} // namespace

// --- Store ------------------------------------------------------------------------------

Store::Store(std::unique_ptr<detail::StoreImpl> impl) noexcept : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

const std::filesystem::path& Store::path() const noexcept { return impl_->path; }

Result<Store> Store::open(const std::filesystem::path& path, Options options)
{
    auto impl = std::make_unique<StoreImpl>();
    impl->path = path;
    impl->clockMs = std::move(options.clockMs);
    const std::string where = path.string();

    // NOMUTEX: the Store is confined to one thread (see the header), so SQLite's per-call
    // mutex would only cost time.
    const int rc = sqlite3_open_v2(where.c_str(), &impl->db,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        auto err = sqlite::toError(impl->db, rc, "cannot open " + where);
        return makeError(StoreError::open_failed, err.message);
    }
    sqlite3* db = impl->db;
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, static_cast<int>(options.busyTimeout.count()));
    sqlite3_limit(db, SQLITE_LIMIT_LENGTH, max_value_bytes);
    // Defensive mode: no SQL can write the schema table or corrupt the file directly.
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);

    // WAL: readers never block the writer and a commit appends to one file. With
    // synchronous=FULL the WAL is fsync'ed at every commit, so a commit that returned is on
    // disk even if the machine loses power next (NORMAL would only protect against a
    // process crash, which is not our definition of durable).
    auto mode = Statement::prepare(db, "PRAGMA journal_mode = WAL");
    if (!mode) {
        if (mode.error().code == make_error_code(StoreError::corrupt))
            return makeError(StoreError::corrupt, where + " is not a SQLite database (" + mode.error().message + ")");
        return mode.error();
    }
    auto row = mode->step("cannot switch to WAL mode");
    if (!row) {
        if (row.error().code == make_error_code(StoreError::corrupt))
            return makeError(StoreError::corrupt, where + " is not a SQLite database (" + row.error().message + ")");
        return row.error();
    }
    if (!*row || mode->columnText(0) != "wal")
        return makeError(StoreError::open_failed, "cannot use WAL mode for " + where +
                                                      " (journal mode is " + std::string(mode->columnText(0)) + ")");
    mode->reset();
    if (auto ok = sqlite::exec(db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cell_size_check = ON",
                               "cannot configure " + where);
        !ok)
        return ok.error();

    if (auto ok = migrate(db, schemaMigrations()); !ok) {
        Error e = ok.error();
        e.message = where + ": " + e.message;
        return e;
    }
    if (options.deferredSync) {
        // The migrations above committed under FULL. From here COMMIT writes the log without
        // its fsync, and WalSync does it: after each commit() and atomic write, or when the
        // caller of commitDeferred() asks. NORMAL still syncs the log before a checkpoint
        // copies it and the database after, so a checkpoint never outruns the log.
        if (auto ok = sqlite::exec(db, "PRAGMA synchronous = NORMAL", "cannot configure " + where); !ok) return ok.error();
        impl->walSync = std::make_shared<WalSync>(std::filesystem::path(where + "-wal"));
    }
    if (options.backgroundCheckpoint) {
        sqlite3* second = nullptr;
        if (sqlite3_open_v2(where.c_str(), &second, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) == SQLITE_OK &&
            sqlite::exec(second, "PRAGMA synchronous = FULL", "cannot configure the checkpointer").ok()) {
            impl->checkpointer = std::make_unique<detail::Checkpointer>(second);
            sqlite3_wal_hook(db, &detail::Checkpointer::onCommit, impl->checkpointer.get()); // replaces the automatic checkpoint
        } else {
            sqlite3_close_v2(second); // SQLite's own checkpoint stays on
        }
    }
    return Store(std::move(impl));
}

std::shared_ptr<WalSync> Store::walSync() const { return impl_->walSync; }

// --- WalSync ----------------------------------------------------------------------------

namespace {

struct FileIdentity {
    std::uint32_t deviceMajor = 0;
    std::uint32_t deviceMinor = 0;
    std::uint64_t inode = 0;
    bool operator==(const FileIdentity&) const = default;
};

// The device and inode of `path` (relative to `dir`, or of `dir` itself with AT_EMPTY_PATH),
// asking for nothing else. A stat() would also read the file's times, and on a file system
// with fine-grained timestamps on demand (ext4, XFS, Btrfs and tmpfs since Linux 6.13) that
// makes the next write stamp the inode with a new fine-grained time: on ext4 without a
// journal, every fdatasync that follows then writes the inode as well, a second disk round
// trip per payment. statx with STATX_INO alone leaves the times unread.
bool identify(int dir, const char* path, int flags, FileIdentity& out)
{
    struct statx stx {};
    if (::statx(dir, path, flags, STATX_INO, &stx) != 0) return false;
    out = {stx.stx_dev_major, stx.stx_dev_minor, stx.stx_ino};
    return true;
}

} // namespace

struct WalSync::State {
    std::filesystem::path log;
    std::mutex mutex;
    int fd = -1; // guarded by mutex
    FileIdentity identity; // guarded by mutex: of the file fd has open
    // guarded by mutex: the first failed fsync, kept. Linux reports a write-back error to one
    // fsync only and may drop the pages it failed to write, so a later fsync can succeed
    // without what was committed before it being on disk: after one failure none is
    // trusted (the node stops granting and paying; reopening the store lets SQLite recover).
    std::optional<Error> failure;
    std::atomic<std::uint64_t> syncs{0};
};

WalSync::WalSync(std::filesystem::path log) : state_(std::make_unique<State>())
{
    state_->log = std::move(log);
}

WalSync::~WalSync()
{
    if (state_->fd >= 0) ::close(state_->fd);
}

std::uint64_t WalSync::syncs() const noexcept { return state_->syncs.load(std::memory_order_relaxed); }

Status WalSync::sync()
{
    State& st = *state_;
    const auto failed = [&st](const char* what) {
        return makeError(StoreError::io, std::string(what) + " " + st.log.string() + ": " + std::strerror(errno));
    };
    std::lock_guard lock(st.mutex);
    if (st.failure)
        return makeError(StoreError::io, "an earlier sync of the log failed (" + st.failure->message +
                                             "): nothing committed since is known to be durable; reopen the store");
    const auto syncFailed = [&st, &failed](const char* what) {
        st.failure = failed(what);
        return *st.failure;
    };
    // SQLite keeps the log file while a connection has the database open; should it ever be
    // another file under the same name, the new one is opened.
    FileIdentity now;
    if (!identify(AT_FDCWD, st.log.c_str(), 0, now)) return failed("cannot find the log");
    if (st.fd < 0 || now != st.identity) {
        if (st.fd >= 0) ::close(st.fd);
        st.fd = ::open(st.log.c_str(), O_RDONLY | O_CLOEXEC);
        if (st.fd < 0) return failed("cannot open the log");
        FileIdentity opened;
        if (!identify(st.fd, "", AT_EMPTY_PATH, opened)) return failed("cannot inspect the log");
        // A log this object has not synced before may be new: make its directory entry
        // durable too, as SQLite does for a file it creates. Until that succeeds the file
        // counts as not yet seen, so the next sync tries again.
        const int dir = ::open(st.log.parent_path().empty() ? "." : st.log.parent_path().c_str(),
                               O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0) return failed("cannot open the directory of the log");
        const int rc = ::fsync(dir);
        const int fsyncErrno = errno;
        ::close(dir);
        errno = fsyncErrno;
        if (rc != 0) return syncFailed("cannot sync the directory of the log");
        st.identity = opened;
    }
    // fdatasync flushes the file, whichever descriptor wrote it: every frame SQLite has
    // written so far, and the size that reaches them.
    if (::fdatasync(st.fd) != 0) return syncFailed("cannot sync the log");
    st.syncs.fetch_add(1, std::memory_order_relaxed);
    return {};
}

std::uint64_t Store::backgroundCheckpoints() const noexcept
{
    return impl_->checkpointer ? impl_->checkpointer->done() : 0;
}

Result<int> Store::schemaVersion() { return store::schemaVersion(impl_->db); }

// --- channels ---------------------------------------------------------------------------

Status Store::putChannel(const ChannelRecord& c)
{
    if (auto ok = checkChannel(c); !ok) return ok.error();
    return atomically(*impl_, [&]() -> Status {
        auto s = impl_->stmt(sql_put_channel);
        if (!s) return s.error();
        ResetOnExit reset(**s);
        const Bytes parts = participantsBlob(c.fixed.participants);
        (*s)->bindBlob(1, c.id.view());
        (*s)->bindBlob(2, toWord(c.fixed.chainId).view());
        (*s)->bindBlob(3, parts);
        (*s)->bindInt(4, static_cast<std::int64_t>(c.fixed.channelNonce));
        (*s)->bindBlob(5, c.fixed.appDefinition.view());
        (*s)->bindInt(6, static_cast<std::int64_t>(c.fixed.challengeDuration));
        (*s)->bindText(7, toString(c.role));
        (*s)->bindBlob(8, c.counterparty.view());
        (*s)->bindText(9, toString(c.status));
        (*s)->bindInt(10, impl_->now());
        if (auto ok = (*s)->run("cannot store channel " + shortId(c.id)); !ok) return ok.error();
        if (impl_->changes() == 0)
            return makeError(StoreError::constraint,
                             "channel " + shortId(c.id) + " is stored with another role or counterparty");
        return {};
    });
}

Status Store::setChannelStatus(const nitro::ChannelId& id, ChannelStatus status)
{
    return atomically(*impl_, [&]() -> Status {
        auto s = impl_->stmt(sql_set_status);
        if (!s) return s.error();
        ResetOnExit reset(**s);
        (*s)->bindBlob(1, id.view());
        (*s)->bindText(2, toString(status));
        (*s)->bindInt(3, impl_->now());
        if (auto ok = (*s)->run("cannot update channel " + shortId(id)); !ok) return ok.error();
        if (impl_->changes() == 0) return makeError(StoreError::not_found, "no channel " + shortId(id));
        return {};
    });
}

Result<std::optional<ChannelRecord>> Store::getChannel(const nitro::ChannelId& id)
{
    auto s = impl_->stmt(sql_get_channel);
    if (!s) return s.error();
    ResetOnExit reset(**s);
    (*s)->bindBlob(1, id.view());
    auto row = (*s)->step("cannot read channel " + shortId(id));
    if (!row) return row.error();
    if (!*row) return std::optional<ChannelRecord>{};
    auto c = readChannel(**s);
    if (!c) return c.error();
    return std::optional<ChannelRecord>(std::move(*c));
}

Result<std::vector<ChannelRecord>> Store::listChannels()
{
    auto s = impl_->stmt(sql_list_channels);
    if (!s) return s.error();
    ResetOnExit reset(**s);
    std::vector<ChannelRecord> out;
    for (;;) {
        auto row = (*s)->step("cannot list channels");
        if (!row) return row.error();
        if (!*row) break;
        auto c = readChannel(**s);
        if (!c) return c.error();
        out.push_back(std::move(*c));
    }
    return out;
}

// --- signed states ----------------------------------------------------------------------

Status Store::appendSignedState(const nitro::ChannelId& id, const nitro::SignedState& ss)
{
    if (auto ok = checkSignedState(ss); !ok) return ok.error();
    bool anySignature = false;
    for (const auto& sig : ss.signatures) anySignature |= sig.has_value();
    if (!anySignature) return invalid("a signed state needs at least one signature");
    const Bytes outcome = nitro::encodeOutcome(ss.state.outcome);
    const Hash32 hash = nitro::stateHash(ss.state);

    return atomically(*impl_, [&]() -> Status {
        if (auto ok = checkBelongs(*impl_, *this, id, ss, "store a state in"); !ok) return ok;
        {
            auto head = impl_->stmt(sql_latest_turn);
            if (!head) return head.error();
            ResetOnExit reset(**head);
            (*head)->bindBlob(1, id.view());
            auto row = (*head)->step("cannot read channel " + shortId(id));
            if (!row) return row.error();
            if (*row && !(*head)->columnIsNull(0)) {
                const std::int64_t latest = (*head)->columnInt(0);
                if (static_cast<std::int64_t>(ss.state.turnNum) <= latest)
                    return makeError(StoreError::stale_turn, "channel " + shortId(id) + " already has turn " +
                                                                 std::to_string(latest) + "; refusing turn " +
                                                                 std::to_string(ss.state.turnNum));
            }
        }
        auto ins = impl_->stmt(sql_insert_state);
        if (!ins) return ins.error();
        {
            ResetOnExit reset(**ins);
            (*ins)->bindBlob(1, id.view());
            (*ins)->bindInt(2, static_cast<std::int64_t>(ss.state.turnNum));
            (*ins)->bindInt(3, ss.state.isFinal ? 1 : 0);
            (*ins)->bindBlob(4, ss.state.appData);
            (*ins)->bindBlob(5, outcome);
            (*ins)->bindBlob(6, hash.view());
            if (auto ok = (*ins)->run("cannot store turn " + std::to_string(ss.state.turnNum) + " of channel " + shortId(id));
                !ok)
                return ok.error();
        }
        return insertSignatures(*impl_, id, ss);
    });
}

Result<std::uint64_t> Store::discardUnsharedStates(const nitro::ChannelId& id, std::uint64_t fromTurn)
{
    if (fromTurn > nitro::max_uint48) return std::uint64_t{0};
    std::uint64_t removed = 0;
    auto done = atomically(*impl_, [&]() -> Status {
        {
            auto shared = impl_->stmt(sql_shared_states_from);
            if (!shared) return shared.error();
            ResetOnExit reset(**shared);
            (*shared)->bindBlob(1, id.view());
            (*shared)->bindInt(2, static_cast<std::int64_t>(fromTurn));
            auto row = (*shared)->step("cannot read the states of channel " + shortId(id));
            if (!row) return row.error();
            if (*row && (*shared)->columnInt(0) > 0)
                return makeError(StoreError::constraint, "channel " + shortId(id) + " has a countersigned state from turn " +
                                                             std::to_string(fromTurn) + " on: nothing discarded");
        }
        for (const char* sql : {sql_delete_signatures_from, sql_delete_states_from}) {
            auto del = impl_->stmt(sql);
            if (!del) return del.error();
            ResetOnExit reset(**del);
            (*del)->bindBlob(1, id.view());
            (*del)->bindInt(2, static_cast<std::int64_t>(fromTurn));
            if (auto ok = (*del)->run("cannot discard states of channel " + shortId(id)); !ok) return ok.error();
            removed = static_cast<std::uint64_t>(impl_->changes());
        }
        return {};
    });
    if (!done) return done.error();
    return removed;
}

Status Store::addSignatures(const nitro::ChannelId& id, const nitro::SignedState& ss)
{
    if (auto ok = checkSignedState(ss); !ok) return ok.error();
    const Hash32 hash = nitro::stateHash(ss.state);
    return atomically(*impl_, [&]() -> Status {
        if (auto ok = checkBelongs(*impl_, *this, id, ss, "add signatures to"); !ok) return ok;
        {
            auto s = impl_->stmt(sql_state_hash_at);
            if (!s) return s.error();
            ResetOnExit reset(**s);
            (*s)->bindBlob(1, id.view());
            (*s)->bindInt(2, static_cast<std::int64_t>(ss.state.turnNum));
            auto row = (*s)->step("cannot read a state of channel " + shortId(id));
            if (!row) return row.error();
            if (!*row)
                return makeError(StoreError::not_found, "channel " + shortId(id) + " has no stored turn " +
                                                            std::to_string(ss.state.turnNum));
            auto stored = readFixed<32>(**s, 0, "state hash");
            if (!stored) return stored.error();
            if (*stored != hash)
                return invalid("turn " + std::to_string(ss.state.turnNum) + " of channel " + shortId(id) +
                               " is stored with a different state");
        }
        return insertSignatures(*impl_, id, ss);
    });
}

namespace {

// Joins a state row with its channel's fixed part and its signatures, and checks the
// stored hash against the recomputed one.
Result<nitro::SignedState> assembleState(StoreImpl& impl, Store& store, const nitro::ChannelId& id, StateRow row)
{
    auto fixed = fixedPartOf(impl, store, id);
    if (!fixed) return fixed.error();
    if (!*fixed) return corrupt("states of a channel " + shortId(id) + " that is not stored");
    nitro::SignedState ss;
    ss.state.fixed = **fixed;
    ss.state.turnNum = row.turnNum;
    ss.state.isFinal = row.isFinal;
    ss.state.appData = std::move(row.appData);
    auto outcome = nitro::decodeOutcome(row.outcome);
    if (!outcome)
        return corrupt("an undecodable outcome at turn " + std::to_string(row.turnNum) + " of channel " + shortId(id) +
                       ": " + outcome.error().describe());
    ss.state.outcome = std::move(*outcome);
    if (nitro::stateHash(ss.state) != row.stateHash)
        return corrupt("turn " + std::to_string(row.turnNum) + " of channel " + shortId(id) + " whose hash does not match");

    ss.signatures.assign(ss.state.fixed.participants.size(), std::nullopt);
    auto s = impl.stmt(sql_signatures);
    if (!s) return s.error();
    ResetOnExit reset(**s);
    (*s)->bindBlob(1, id.view());
    (*s)->bindInt(2, static_cast<std::int64_t>(row.turnNum));
    for (;;) {
        auto more = (*s)->step("cannot read signatures of channel " + shortId(id));
        if (!more) return more.error();
        if (!*more) break;
        const std::int64_t idx = (*s)->columnInt(0);
        if (idx < 0 || static_cast<std::size_t>(idx) >= ss.signatures.size())
            return corrupt("a signature of participant " + std::to_string(idx) + " in channel " + shortId(id));
        auto sig = Signature::fromBytes65((*s)->columnBlob(1));
        if (!sig) return corrupt("a malformed signature in channel " + shortId(id) + ": " + sig.error().describe());
        ss.signatures[static_cast<std::size_t>(idx)] = *sig;
    }
    return ss;
}

// The state row that `sql` selects (bound by `bind`) with its signatures, read in one
// snapshot; nullopt when there is none.
template <class Bind>
Result<std::optional<nitro::SignedState>> readOneState(StoreImpl& impl, Store& store, const nitro::ChannelId& id,
                                                       const char* sql, Bind&& bind, const std::string& what)
{
    std::optional<nitro::SignedState> out;
    auto ok = atomically(impl, [&]() -> Status {
        std::optional<StateRow> row;
        {
            auto s = impl.stmt(sql);
            if (!s) return s.error();
            ResetOnExit reset(**s);
            bind(**s);
            auto more = (*s)->step(what);
            if (!more) return more.error();
            if (!*more) return {};
            auto r = readStateRow(**s);
            if (!r) return r.error();
            row = std::move(*r);
        }
        auto ss = assembleState(impl, store, id, std::move(*row));
        if (!ss) return ss.error();
        out = std::move(*ss);
        return {};
    });
    if (!ok) return ok.error();
    return out;
}

} // namespace

Result<std::optional<nitro::SignedState>> Store::latestState(const nitro::ChannelId& id)
{
    return readOneState(
        *impl_, *this, id, sql_latest_state, [&](Statement& s) { s.bindBlob(1, id.view()); },
        "cannot read the latest state of channel " + shortId(id));
}

Result<std::optional<nitro::SignedState>> Store::latestSupportedState(const nitro::ChannelId& id)
{
    return readOneState(
        *impl_, *this, id, sql_latest_supported, [&](Statement& s) { s.bindBlob(1, id.view()); },
        "cannot read the latest state both participants signed in channel " + shortId(id));
}

Result<std::optional<nitro::SignedState>> Store::stateAt(const nitro::ChannelId& id, std::uint64_t turnNum)
{
    if (turnNum > nitro::max_uint48) return std::optional<nitro::SignedState>{};
    return readOneState(
        *impl_, *this, id, sql_state_at,
        [&](Statement& s) {
            s.bindBlob(1, id.view());
            s.bindInt(2, static_cast<std::int64_t>(turnNum));
        },
        "cannot read a state of channel " + shortId(id));
}

// --- payments ---------------------------------------------------------------------------

Status Store::recordPayment(const PaymentRecord& p)
{
    if (p.turnNum > nitro::max_uint48) return invalid("a turn number is a uint48");
    if (p.bytes > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return invalid("a payment's byte count is below 2^63");
    for (const auto* label : {&p.torrent, &p.peer})
        if (*label && (*label)->size() > max_payment_label_bytes)
            return invalid("payment labels are at most " + std::to_string(max_payment_label_bytes) + " bytes");
    return atomically(*impl_, [&]() -> Status {
        auto s = impl_->stmt(sql_insert_payment);
        if (!s) return s.error();
        ResetOnExit reset(**s);
        (*s)->bindBlob(1, p.channelId.view());
        (*s)->bindInt(2, static_cast<std::int64_t>(p.turnNum));
        (*s)->bindBlob(3, toWord(p.amount.value()).view());
        (*s)->bindText(4, toString(p.direction));
        if (p.torrent) (*s)->bindText(5, *p.torrent);
        else (*s)->bindNull(5);
        if (p.peer) (*s)->bindText(6, *p.peer);
        else (*s)->bindNull(6);
        (*s)->bindInt(7, p.timeMs);
        (*s)->bindInt(8, static_cast<std::int64_t>(p.bytes));
        auto ok = (*s)->run("payment at turn " + std::to_string(p.turnNum) + " of channel " + shortId(p.channelId));
        if (!ok && ok.error().code == make_error_code(StoreError::constraint))
            return makeError(StoreError::constraint,
                             "cannot record the payment at turn " + std::to_string(p.turnNum) + " of channel " +
                                 shortId(p.channelId) + ": that state is not stored, or its payment is already recorded (" +
                                 ok.error().message + ")");
        return ok;
    });
}

Result<std::vector<PaymentRecord>> Store::payments(const nitro::ChannelId& id)
{
    auto s = impl_->stmt(sql_payments);
    if (!s) return s.error();
    ResetOnExit reset(**s);
    (*s)->bindBlob(1, id.view());
    std::vector<PaymentRecord> out;
    for (;;) {
        auto row = (*s)->step("cannot read payments of channel " + shortId(id));
        if (!row) return row.error();
        if (!*row) break;
        PaymentRecord p;
        p.channelId = id;
        auto turn = readUint48(**s, 0, "payment turn");
        if (!turn) return turn.error();
        p.turnNum = *turn;
        auto amount = readFixed<32>(**s, 1, "payment amount");
        if (!amount) return amount.error();
        p.amount = Wei(fromWord(*amount));
        auto dir = paymentDirectionFromString((*s)->columnText(2));
        if (!dir) return corrupt("an unknown payment direction \"" + std::string((*s)->columnText(2)) + "\"");
        p.direction = *dir;
        p.torrent = readOptionalText(**s, 3);
        p.peer = readOptionalText(**s, 4);
        p.timeMs = (*s)->columnInt(5);
        auto bytes = readBytes(**s, 6);
        if (!bytes) return bytes.error();
        p.bytes = *bytes;
        out.push_back(std::move(p));
    }
    return out;
}

Result<Wei> Store::paymentTotal(const nitro::ChannelId& id, PaymentDirection direction)
{
    auto s = impl_->stmt(sql_payment_amounts);
    if (!s) return s.error();
    ResetOnExit reset(**s);
    (*s)->bindBlob(1, id.view());
    (*s)->bindText(2, toString(direction));
    Wei total;
    for (;;) {
        auto row = (*s)->step("cannot read payments of channel " + shortId(id));
        if (!row) return row.error();
        if (!*row) break;
        auto amount = readFixed<32>(**s, 0, "payment amount");
        if (!amount) return amount.error();
        auto sum = total.checkedAdd(Wei(fromWord(*amount)));
        if (!sum) return corrupt("payments of channel " + shortId(id) + " that sum above 2^256");
        total = *sum;
    }
    return total;
}

Result<std::vector<LedgerTorrent>> Store::ledger(std::optional<std::string_view> torrent)
{
    const char* sql = !torrent ? sql_ledger_all : torrent->empty() ? sql_ledger_unlabelled : sql_ledger_torrent;
    auto s = impl_->stmt(sql);
    if (!s) return s.error();
    ResetOnExit reset(**s);
    if (torrent && !torrent->empty()) (*s)->bindText(1, *torrent);
    LedgerBuilder builder;
    for (;;) {
        auto row = (*s)->step("cannot read the payments ledger");
        if (!row) return row.error();
        if (!*row) break;
        LedgerRow r;
        auto id = readFixed<32>(**s, 0, "payment's channel id");
        if (!id) return id.error();
        r.channelId = *id;
        r.torrent = readOptionalText(**s, 1).value_or("");
        if (auto peer = readOptionalText(**s, 2)) {
            r.peer = std::move(*peer);
        } else {
            auto counterparty = readFixed<20>(**s, 3, "counterparty");
            if (!counterparty) return counterparty.error();
            r.peer = Address(*counterparty).toChecksum();
        }
        auto dir = paymentDirectionFromString((*s)->columnText(4));
        if (!dir) return corrupt("an unknown payment direction \"" + std::string((*s)->columnText(4)) + "\"");
        r.direction = *dir;
        auto amount = readFixed<32>(**s, 5, "payment amount");
        if (!amount) return amount.error();
        r.amount = Wei(fromWord(*amount));
        auto bytes = readBytes(**s, 6);
        if (!bytes) return bytes.error();
        r.bytes = *bytes;
        if (auto ok = builder.add(r); !ok) return ok.error();
    }
    return builder.finish();
}

// --- settings ---------------------------------------------------------------------------

Status Store::putSetting(std::string_view key, ByteView value)
{
    if (key.empty() || key.size() > max_setting_key_bytes)
        return invalid("a setting name has 1 to " + std::to_string(max_setting_key_bytes) + " bytes");
    return atomically(*impl_, [&]() -> Status {
        auto s = impl_->stmt(sql_put_setting);
        if (!s) return s.error();
        ResetOnExit reset(**s);
        (*s)->bindText(1, key);
        (*s)->bindBlob(2, value);
        return (*s)->run("cannot store setting " + std::string(key));
    });
}

Result<std::optional<Bytes>> Store::getSetting(std::string_view key)
{
    auto s = impl_->stmt(sql_get_setting);
    if (!s) return s.error();
    ResetOnExit reset(**s);
    (*s)->bindText(1, key);
    auto row = (*s)->step("cannot read setting " + std::string(key));
    if (!row) return row.error();
    if (!*row) return std::optional<Bytes>{};
    const ByteView v = (*s)->columnBlob(0);
    return std::optional<Bytes>(Bytes(v.begin(), v.end()));
}

// --- transactions and checks ------------------------------------------------------------

Result<Transaction> Store::begin()
{
    if (impl_->explicitTransaction || !sqlite3_get_autocommit(impl_->db))
        return makeError(StoreError::nested_transaction, "a transaction is already open on this store");
    if (auto ok = sqlite::exec(impl_->db, "BEGIN IMMEDIATE", "cannot start a transaction"); !ok) return ok.error();
    impl_->explicitTransaction = true;
    return Transaction(impl_.get());
}

Status Store::integrityCheck()
{
    auto s = Statement::prepare(impl_->db, "PRAGMA integrity_check(20)");
    if (!s) return s.error();
    std::string findings;
    for (;;) {
        auto row = s->step("integrity check");
        if (!row) return row.error();
        if (!*row) break;
        const std::string_view line = s->columnText(0);
        if (line == "ok") continue;
        if (!findings.empty()) findings += "; ";
        findings += line;
    }
    if (!findings.empty()) return makeError(StoreError::corrupt, "integrity check failed: " + findings);
    auto fk = Statement::prepare(impl_->db, "PRAGMA foreign_key_check");
    if (!fk) return fk.error();
    auto dangling = fk->step("foreign key check");
    if (!dangling) return dangling.error();
    if (*dangling)
        return makeError(StoreError::corrupt,
                         "foreign key check failed: a row of " + std::string(fk->columnText(0)) + " refers to nothing");
    return {};
}

Transaction::~Transaction() { rollback(); }

Status Transaction::commit() { return finish(true); }

Status Transaction::commitDeferred() { return finish(false); }

Status Transaction::finish(bool sync)
{
    if (!impl_) return makeError(StoreError::io, "the transaction is already finished");
    detail::StoreImpl* impl = std::exchange(impl_, nullptr);
    impl->explicitTransaction = false;
    if (auto ok = sqlite::exec(impl->db, "COMMIT", "cannot commit"); !ok) {
        impl->fixedParts.clear();
        if (!sqlite3_get_autocommit(impl->db)) (void)sqlite::exec(impl->db, "ROLLBACK", "rollback after a failed commit");
        return ok.error();
    }
    // Without deferredSync the connection runs synchronous=FULL: COMMIT has fsync'ed.
    if (sync && impl->walSync) return impl->walSync->sync();
    return {};
}

void Transaction::rollback() noexcept
{
    if (!impl_) return;
    detail::StoreImpl* impl = std::exchange(impl_, nullptr);
    impl->explicitTransaction = false;
    impl->fixedParts.clear(); // it may hold a channel stored by the writes undone here
    if (!sqlite3_get_autocommit(impl->db)) (void)sqlite::exec(impl->db, "ROLLBACK", "rollback");
}

} // namespace pt::store
