#include "power_loss_vfs.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace pt::store::test {
namespace {

// One undo record: the file's size before the write, and the bytes the write replaced.
struct UndoHeader {
    std::uint64_t oldSize;
    std::uint64_t offset;
    std::uint64_t length; // bytes of old content that follow
};

struct PowerLossFile {
    sqlite3_file base;  // first, as SQLite requires
    sqlite3_file* real; // the unix VFS's file, which does the actual I/O
    int undoFd;         // -1 for files that are not tracked (temp files)
};

sqlite3_vfs* realVfs()
{
    static sqlite3_vfs* const vfs = sqlite3_vfs_find(nullptr); // the default before ours
    return vfs;
}

PowerLossFile* self(sqlite3_file* f) { return reinterpret_cast<PowerLossFile*>(f); }
sqlite3_file* real(sqlite3_file* f) { return self(f)->real; }

// Saves what [offset, offset + length) holds now, before it is overwritten or cut off.
int recordUndo(PowerLossFile* f, sqlite3_int64 offset, sqlite3_int64 length)
{
    if (f->undoFd < 0) return SQLITE_OK;
    sqlite3_int64 size = 0;
    if (int rc = f->real->pMethods->xFileSize(f->real, &size); rc != SQLITE_OK) return rc;
    const sqlite3_int64 covered = std::max<sqlite3_int64>(0, std::min(length, size - offset));
    std::vector<std::uint8_t> record(sizeof(UndoHeader) + static_cast<std::size_t>(covered));
    const UndoHeader h{static_cast<std::uint64_t>(size), static_cast<std::uint64_t>(offset),
                       static_cast<std::uint64_t>(covered)};
    std::memcpy(record.data(), &h, sizeof h);
    if (covered > 0) {
        const int rc = f->real->pMethods->xRead(f->real, record.data() + sizeof h, static_cast<int>(covered), offset);
        if (rc != SQLITE_OK) return rc;
    }
    // One write per record: a kill leaves whole records and at most a short tail, which the
    // reader drops (the data write it guarded never happened).
    std::size_t done = 0;
    while (done < record.size()) {
        const ssize_t n = ::write(f->undoFd, record.data() + done, record.size() - done);
        if (n <= 0) return SQLITE_IOERR_WRITE;
        done += static_cast<std::size_t>(n);
    }
    return SQLITE_OK;
}

int xClose(sqlite3_file* f)
{
    PowerLossFile* p = self(f);
    const int rc = p->real->pMethods->xClose(p->real);
    sqlite3_free(p->real);
    if (p->undoFd >= 0) ::close(p->undoFd);
    return rc;
}
int xRead(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) { return real(f)->pMethods->xRead(real(f), buf, n, off); }
int xWrite(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off)
{
    if (int rc = recordUndo(self(f), off, n); rc != SQLITE_OK) return rc;
    return real(f)->pMethods->xWrite(real(f), buf, n, off);
}
int xTruncate(sqlite3_file* f, sqlite3_int64 size)
{
    sqlite3_int64 current = 0;
    if (int rc = real(f)->pMethods->xFileSize(real(f), &current); rc != SQLITE_OK) return rc;
    if (int rc = recordUndo(self(f), size, current - size); rc != SQLITE_OK) return rc;
    return real(f)->pMethods->xTruncate(real(f), size);
}
int xSync(sqlite3_file* f, int flags)
{
    const int rc = real(f)->pMethods->xSync(real(f), flags);
    // Only once fsync has returned is what was written safe from a power cut.
    if (rc == SQLITE_OK && self(f)->undoFd >= 0 && ::ftruncate(self(f)->undoFd, 0) != 0) return SQLITE_IOERR_FSYNC;
    return rc;
}
int xFileSize(sqlite3_file* f, sqlite3_int64* size) { return real(f)->pMethods->xFileSize(real(f), size); }
int xLock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int xUnlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
int xCheckReservedLock(sqlite3_file* f, int* out) { return real(f)->pMethods->xCheckReservedLock(real(f), out); }
int xFileControl(sqlite3_file* f, int op, void* arg) { return real(f)->pMethods->xFileControl(real(f), op, arg); }
int xSectorSize(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int xDeviceCharacteristics(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
int xShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** p)
{
    return real(f)->pMethods->xShmMap(real(f), region, size, extend, p);
}
int xShmLock(sqlite3_file* f, int offset, int n, int flags) { return real(f)->pMethods->xShmLock(real(f), offset, n, flags); }
void xShmBarrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int xShmUnmap(sqlite3_file* f, int deleteFlag) { return real(f)->pMethods->xShmUnmap(real(f), deleteFlag); }

// Version 2: shared memory (WAL needs it) but no xFetch, so SQLite never maps the file and
// every write goes through xWrite.
const sqlite3_io_methods methods = {
    2,        xClose,      xRead,       xWrite,   xTruncate,       xSync,      xFileSize, xLock, xUnlock,
    xCheckReservedLock,    xFileControl, xSectorSize, xDeviceCharacteristics, xShmMap, xShmLock, xShmBarrier,
    xShmUnmap, nullptr,    nullptr,
};

int xOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* outFlags)
{
    PowerLossFile* p = self(file);
    p->base.pMethods = nullptr;
    p->undoFd = -1;
    p->real = static_cast<sqlite3_file*>(sqlite3_malloc(realVfs()->szOsFile));
    if (!p->real) return SQLITE_NOMEM;
    std::memset(p->real, 0, static_cast<std::size_t>(realVfs()->szOsFile));
    const int rc = realVfs()->xOpen(realVfs(), name, p->real, flags, outFlags);
    if (rc != SQLITE_OK) {
        if (p->real->pMethods) p->real->pMethods->xClose(p->real);
        sqlite3_free(p->real);
        p->real = nullptr;
        return rc;
    }
    if (name && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL))) {
        const std::string undo = std::string(name) + "-undo";
        p->undoFd = ::open(undo.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
        if (p->undoFd < 0) {
            p->real->pMethods->xClose(p->real);
            sqlite3_free(p->real);
            p->real = nullptr;
            return SQLITE_CANTOPEN;
        }
    }
    p->base.pMethods = &methods;
    return SQLITE_OK;
}

int xDelete(sqlite3_vfs*, const char* name, int syncDir)
{
    ::unlink((std::string(name) + "-undo").c_str());
    return realVfs()->xDelete(realVfs(), name, syncDir);
}

std::size_t rollBack(const std::filesystem::path& file)
{
    const std::filesystem::path undoPath = file.string() + "-undo";
    std::ifstream in(undoPath, std::ios::binary);
    if (!in) return 0;
    const std::string log((std::istreambuf_iterator<char>(in)), {});
    in.close();
    struct Record {
        UndoHeader h;
        std::size_t at;
    };
    std::vector<Record> records;
    for (std::size_t pos = 0; pos + sizeof(UndoHeader) <= log.size();) {
        UndoHeader h{};
        std::memcpy(&h, log.data() + pos, sizeof h);
        if (pos + sizeof h + h.length > log.size()) break; // cut short by the kill
        records.push_back({h, pos + sizeof h});
        pos += sizeof h + h.length;
    }
    if (!records.empty()) {
        const int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0) throw std::runtime_error("cannot open " + file.string() + " to undo writes");
        for (auto it = records.rbegin(); it != records.rend(); ++it) {
            if (it->h.length > 0 &&
                ::pwrite(fd, log.data() + it->at, it->h.length, static_cast<off_t>(it->h.offset)) !=
                    static_cast<ssize_t>(it->h.length))
                throw std::runtime_error("cannot undo a write in " + file.string());
            if (::ftruncate(fd, static_cast<off_t>(it->h.oldSize)) != 0)
                throw std::runtime_error("cannot undo a size change of " + file.string());
        }
        ::close(fd);
    }
    std::filesystem::remove(undoPath);
    return records.size();
}

} // namespace

void installPowerLossVfs()
{
    static sqlite3_vfs vfs = [] {
        sqlite3_vfs v = *realVfs();
        v.zName = "pt-power-loss";
        v.szOsFile = static_cast<int>(sizeof(PowerLossFile));
        v.xOpen = xOpen;
        v.xDelete = xDelete;
        v.pNext = nullptr;
        return v;
    }();
    if (sqlite3_vfs_register(&vfs, /*makeDflt=*/1) != SQLITE_OK) throw std::runtime_error("cannot register the VFS");
}

std::size_t undoUnsyncedWrites(const std::filesystem::path& dbPath)
{
    const std::filesystem::path db = std::filesystem::absolute(dbPath);
    std::size_t n = rollBack(db.string() + "-wal");
    n += rollBack(db);
    std::filesystem::remove(db.string() + "-shm");
    return n;
}

} // namespace pt::store::test
