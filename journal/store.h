// Copyright persist authors.
//
// Store: the journal's LMDB environment at ROOT/.persist/journal/.
//
// Three named databases holding serialized protobufs: "runs" (run id ->
// Run), "ops" (run id, '/', zero-padded index -> OpRecord) and "manifests"
// (release path, such as releases/20261128T101500Z -> Manifest). Every
// Write is one LMDB transaction, committed durably (LMDB's default sync) before
// it returns, so a record written is a record kept. Env::BeforeJournalWrite is
// called first, which lets a fault Env stop a write the way a crash would.
//
// LMDB cannot work on a network filesystem (its lock file relies on local
// shared memory), so Open refuses NFS, SMB/CIFS, AFS, Ceph, 9p and FUSE
// (kUsage, see NetworkFilesystemError).
//
// A journal opened for reading (Access::kReadOnly) writes nothing: LMDB opens
// data.mdb read-only and creates no table. Where its lock file cannot be
// written (a read-only mount, a directory this user cannot write), the
// journal is read without LMDB's reader table: nobody can be writing to it
// there, or nobody who could is running, so that read is consistent.
//
// A damaged journal is an error naming data.mdb and the way out, never a
// crash and never a silent fresh start: Open refuses a data.mdb that is
// missing where lock.mdb shows there was one, or empty, on a site that
// recorded runs; shorter than the pages its meta page counts (LMDB would die
// of SIGBUS reading them); or garbled.

#ifndef PERSIST_JOURNAL_STORE_H_
#define PERSIST_JOURNAL_STORE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/env.h"
#include "journal/manifest_stream.h"
#include "proto/journal.pb.h"

namespace persist {

class Store {
 public:
  // A set of records written together in one LMDB transaction.
  struct Batch {
    std::vector<Run> runs;
    std::vector<OpRecord> ops;
    std::vector<EncodedManifest> manifests;
    std::vector<std::string> deleted_manifests;  // release paths
  };

  enum class Access { kReadWrite, kReadOnly };

  // Opens the journal in the directory `dir` (a path the process can open;
  // persist passes ROOT/.persist/journal after checking it is a real
  // directory beneath the root). `dir_fd` is that directory, for the
  // filesystem check. `used`: the site shows that runs were recorded (see
  // Site); a missing or empty data.mdb is then damage, where without it it
  // is a journal whose creation was interrupted, and so a new one. With
  // kReadOnly, Write fails and a journal without its tables reads as empty.
  static absl::StatusOr<std::unique_ptr<Store>> Open(Env* env, const std::string& dir, int dir_fd,
                                                     bool used = true,
                                                     Access access = Access::kReadWrite);

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  absl::Status Write(const Batch& batch);
  absl::Status PutRun(const Run& run);
  absl::Status PutOp(const OpRecord& op);

  // NotFound when there is no such run.
  absl::StatusOr<Run> GetRun(const std::string& id) const;
  // Every run, oldest first.
  absl::StatusOr<std::vector<Run>> ListRuns() const;
  // The ops of a run, by index.
  absl::StatusOr<std::vector<OpRecord>> GetOps(const std::string& run_id) const;

  // The manifest of the release at `release_path`, read in place: the
  // record stays in LMDB's map, under a read transaction, for as long as the
  // view lives, so a release of any size is read without a copy. Its reader
  // reports damage naming the record, the journal and what to do. NotFound
  // when there is none.
  class ManifestView {
   public:
    ~ManifestView();
    ManifestView(const ManifestView&) = delete;
    ManifestView& operator=(const ManifestView&) = delete;
    ManifestReader& reader() { return reader_; }

   private:
    friend class Store;
    ManifestView(void* txn, ManifestReader reader) : txn_(txn), reader_(std::move(reader)) {}
    void* txn_;  // MDB_txn
    ManifestReader reader_;
  };
  absl::StatusOr<std::unique_ptr<ManifestView>> ReadManifest(const std::string& release_path) const;

  const std::string& dir() const { return dir_; }
  bool read_only() const;

 private:
  struct Handles;
  Store(Env* env, std::string dir, std::unique_ptr<Handles> handles);

  Env* env_;
  std::string dir_;
  std::unique_ptr<Handles> handles_;
};

// The key of op `index` of run `run_id` in the "ops" database.
std::string OpKey(const std::string& run_id, uint32_t index);

// The name of the network or FUSE filesystem `fs` is, or nullptr for a local
// one. LMDB, and so persist's journal and stash, need a local filesystem.
const char* NetworkFilesystemName(const struct statfs& fs);

// The refusal of `dir` for being on the network filesystem `name`: kUsage,
// naming the directory, the filesystem and what to do.
absl::Status NetworkFilesystemError(const std::string& dir, const char* name);

}  // namespace persist

#endif  // PERSIST_JOURNAL_STORE_H_
