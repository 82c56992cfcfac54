// Power-cut simulation for the store's durability test.
//
// A SIGKILL alone cannot tell "written" from "fsynced": the kernel keeps what the process
// wrote. To model a power cut, the crash writer installs this SQLite VFS as the default.
// It passes every operation to the real (unix) VFS, but before each write or truncate of
// the database or its WAL it appends the bytes about to be overwritten to "<file>-undo";
// when the file is fsynced, the undo log is emptied. After killing the writer, the test
// calls undoUnsyncedWrites(): it puts back everything written since each file's last
// fsync, which is what a power cut may leave. Every commit reported durable must survive.
#pragma once

#include <filesystem>

namespace pt::store::test {

// Registers the VFS as SQLite's default for this process (the crash writer only).
void installPowerLossVfs();

// Rolls the database at `dbPath` and its WAL back to their last fsync, using the undo logs
// the VFS left; drops the shared-memory index too (it lives in RAM). Returns how many undo
// records were applied.
std::size_t undoUnsyncedWrites(const std::filesystem::path& dbPath);

} // namespace pt::store::test
