// Copyright persist authors.

#include "journal/store.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/error_kind.h"
#include "base/next_step.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "fsops/root.h"
#include "journal/record_codec.h"
#include "journal/record_wire.h"

namespace persist {
namespace {

constexpr char kDamaged[] =
    "the journal is damaged: move it aside (mv .persist/journal .persist/journal.damaged)";

// `what` is wrong with the journal: it is damaged, and the site wants a look.
absl::Status Damaged(const std::string& what) {
  return WithNextStep(absl::DataLossError(absl::StrCat(what, "; ", kDamaged)), NextStep::kVerify);
}

constexpr size_t kMapSize = size_t{4} << 30;  // address space, not disk: files grow as needed

// How far beyond its last page data.mdb keeps blocks of its own (see
// PrepareFiles): room for the records that undo and recovery write.
constexpr off_t kJournalSlack = off_t{4} << 20;

absl::Status LmdbError(int rc, absl::string_view what, absl::string_view dir) {
  absl::string_view next = "check the disk and the journal's permissions";
  const bool damaged = rc == MDB_CORRUPTED || rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH;
  if (damaged) {
    next = kDamaged;
  } else if (rc == MDB_MAP_FULL) {
    next = "the journal is full: prune old releases";
  } else if (rc == ENOSPC || rc == EDQUOT) {
    next = "the filesystem holding the journal is full (df -h, df -i): free space on it, then run "
           "the command again";
  } else if (rc == EROFS) {
    next = "the journal is on a read-only filesystem: remount it read-write to change the site "
           "(reading the journal works as it is)";
  }
  absl::Status status =
      absl::DataLossError(absl::StrCat(what, " ", dir, "/data.mdb: ", mdb_strerror(rc), "; ", next));
  return damaged ? WithNextStep(status, NextStep::kVerify) : status;
}

struct FsName {
  long magic;
  const char* name;
};

// Network filesystems LMDB must not be used on.
constexpr FsName kNetworkFilesystems[] = {
    {0x6969, "NFS"},           {0x517B, "SMB"},         {static_cast<long>(0xFF534D42), "CIFS"},
    {static_cast<long>(0xFE534D42), "SMB2"}, {0x5346414F, "AFS"}, {0x00C36400, "Ceph"},
    {0x01021997, "9p"},        {0x65735546, "FUSE"},
};

absl::string_view Bytes(const MDB_val& val) {
  return absl::string_view(static_cast<const char*>(val.mv_data), val.mv_size);
}

// A record that failed to decode, named by where it is.
absl::Status InRecord(const absl::Status& decoded, absl::string_view what, absl::string_view dir) {
  return Damaged(absl::StrCat(what, " in ", dir, "/data.mdb is garbled: ", decoded.message()));
}

// The size of `name` in the journal directory; -1 when it does not exist.
absl::StatusOr<int64_t> FileSize(Env* env, int dir_fd, const std::string& dir, const char* name) {
  struct stat st;
  absl::Status status = env->StatAt(dir_fd, name, &st, JoinPath(dir, name));
  if (StatusErrno(status) == ENOENT) return -1;
  if (!status.ok()) return status;
  return static_cast<int64_t>(st.st_size);
}

// LMDB takes a missing or empty data.mdb for a new journal and writes a fresh
// one in its place: every run it held, and the way to recover or undo them,
// would be gone without a word. Both are also what a process killed while
// LMDB creates the very first journal leaves, which must stay a new journal;
// `used` (the site shows that runs were recorded) tells the two apart, and
// lock.mdb, which LMDB creates first, that a missing data.mdb was there.
absl::Status CheckBeforeOpen(Env* env, int dir_fd, const std::string& dir, bool used) {
  absl::StatusOr<int64_t> data = FileSize(env, dir_fd, dir, "data.mdb");
  if (!data.ok()) return data.status();
  if (*data > 0 || !used) return absl::OkStatus();
  if (*data == 0) {
    return Damaged(absl::StrCat("the journal ", dir, "/data.mdb is empty (0 bytes): it was truncated"));
  }
  absl::StatusOr<int64_t> lock = FileSize(env, dir_fd, dir, "lock.mdb");
  if (!lock.ok()) return lock.status();
  if (*lock < 0) return absl::OkStatus();  // moved aside: a new journal
  return WithNextStep(
      absl::DataLossError(absl::StrCat(
          "the journal ", dir, "/data.mdb is missing (", dir, "/lock.mdb shows there was one): put "
          "it back from a backup; or move the journal aside (mv .persist/journal "
          ".persist/journal.missing) to start a new one, knowing that the runs it recorded can no "
          "longer be recovered or undone")),
      NextStep::kVerify);
}

// LMDB maps data.mdb and reads its pages in place: a page beyond the end of a
// truncated file is a SIGBUS, not an error. The meta page says where the
// last page ends; the file must reach it.
absl::Status CheckAfterOpen(Env* env, MDB_env* mdb, int dir_fd, const std::string& dir) {
  MDB_envinfo info;
  MDB_stat stat;
  int rc = mdb_env_info(mdb, &info);
  if (rc == 0) rc = mdb_env_stat(mdb, &stat);
  if (rc != 0) return LmdbError(rc, "read journal", dir);
  absl::StatusOr<int64_t> size = FileSize(env, dir_fd, dir, "data.mdb");
  if (!size.ok()) return size.status();
  const uint64_t needed = (static_cast<uint64_t>(info.me_last_pgno) + 1) * stat.ms_psize;
  if (*size >= 0 && static_cast<uint64_t>(*size) >= needed) return absl::OkStatus();
  return Damaged(absl::StrCat("the journal ", dir, "/data.mdb is truncated: it holds ", *size,
                              " bytes, but its pages reach ", needed));
}

// On btrfs, LMDB's files must not be copy-on-write: lock.mdb is written
// through a shared memory map, and a full disk turns a write into one of its
// pages that needs a new block into SIGBUS, killing persist mid-run (or
// mid-undo) and every command that reads the journal after it. Overwritten
// in place, their blocks are theirs for good. The flag only takes on files
// created after it, so it is set on the journal's directory before LMDB
// creates them. Elsewhere there is no such flag, and nothing to do.
void SetNoCowIfNew(Env* env, int dir_fd, const std::string& dir) {
  struct stat st;
  if (StatusErrno(env->StatAt(dir_fd, "data.mdb", &st, JoinPath(dir, "data.mdb"))) != ENOENT) return;
  env->SetNoCow(dir_fd, dir).IgnoreError();
}

// Gives data.mdb and lock.mdb the journal directory's owner (as root: see
// TakeParentOwner) and real blocks: all of lock.mdb, which LMDB makes by
// ftruncate (a hole, which a write through its map must fill), and data.mdb
// to kJournalSlack beyond its last page, without changing its size. A
// journal write that fits in them then needs no free space: undo and
// recovery record their progress on a full disk. Blocks the disk cannot
// give now are not an error: the command goes on as it would have.
absl::Status PrepareFiles(Env* env, MDB_env* mdb, int dir_fd, const std::string& dir) {
  MDB_envinfo info;
  MDB_stat stat;
  if (mdb_env_info(mdb, &info) != 0 || mdb_env_stat(mdb, &stat) != 0) return absl::OkStatus();
  const off_t used = static_cast<off_t>(info.me_last_pgno + 1) * stat.ms_psize;
  for (const char* name : {"data.mdb", "lock.mdb"}) {
    const std::string path = JoinPath(dir, name);
    absl::Status status = TakeParentOwner(env, dir_fd, name, path);
    if (!status.ok()) return status;
    absl::StatusOr<int> fd = env->OpenAt(dir_fd, name, O_RDWR, 0, path);
    if (!fd.ok()) continue;
    struct stat st;
    if (env->StatAt(*fd, "", &st, path).ok()) {
      const off_t length = name[0] == 'd' ? used + kJournalSlack : st.st_size;
      if (length > 0) env->Fallocate(*fd, FALLOC_FL_KEEP_SIZE, 0, length, path).IgnoreError();
    }
    env->Close(*fd);
  }
  return absl::OkStatus();
}

}  // namespace

// The handle of a table that a journal opened read-only does not have yet.
constexpr MDB_dbi kNoTable = ~MDB_dbi{0};

struct Store::Handles {
  MDB_env* env = nullptr;
  MDB_dbi runs = kNoTable;
  MDB_dbi ops = kNoTable;
  MDB_dbi manifests = kNoTable;
  bool read_only = false;
  ~Handles() {
    if (env != nullptr) mdb_env_close(env);
  }
};

std::string OpKey(const std::string& run_id, uint32_t index) {
  return absl::StrFormat("%s/%08u", run_id, index);
}

Store::Store(Env* env, std::string dir, std::unique_ptr<Handles> handles)
    : env_(env), dir_(std::move(dir)), handles_(std::move(handles)) {}

Store::~Store() = default;

const char* NetworkFilesystemName(const struct statfs& fs) {
  for (const FsName& network : kNetworkFilesystems) {
    if (static_cast<long>(fs.f_type) == network.magic) return network.name;
  }
  return nullptr;
}

absl::Status NetworkFilesystemError(const std::string& dir, const char* name) {
  return WithErrorKind(
      absl::FailedPreconditionError(absl::StrCat(
          dir, " is on a network or FUSE filesystem (", name,
          "), where the journal's lock and memory map cannot be trusted; nothing was changed: put "
          "the site, or at least its .persist/ directory, on a local disk")),
      ErrorKind::kUsage);
}

bool Store::read_only() const { return handles_->read_only; }

absl::StatusOr<std::unique_ptr<Store>> Store::Open(Env* env, const std::string& dir, int dir_fd,
                                                   bool used, Access access) {
  struct statfs fs;
  absl::Status status = env->StatFs(dir_fd, &fs, dir);
  if (!status.ok()) return status;
  if (const char* network = NetworkFilesystemName(fs)) return NetworkFilesystemError(dir, network);
  status = CheckBeforeOpen(env, dir_fd, dir, used);
  if (!status.ok()) return status;
  const bool read_only = access == Access::kReadOnly;
  auto handles = std::make_unique<Handles>();
  handles->read_only = read_only;
  // A reader first tries with LMDB's reader table, so that a writer at work
  // meanwhile cannot reuse the pages it reads. Where lock.mdb cannot be
  // opened for writing, no writer can be at work either (a read-only mount)
  // or this user could not start one, and the journal is read without it.
  unsigned flags = MDB_NOTLS | (read_only ? MDB_RDONLY : 0);
  if (!read_only) SetNoCowIfNew(env, dir_fd, dir);
  int rc = 0;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (handles->env != nullptr) {
      mdb_env_close(handles->env);
      handles->env = nullptr;
    }
    rc = mdb_env_create(&handles->env);
    if (rc != 0) return LmdbError(rc, "create LMDB environment for", dir);
    mdb_env_set_maxdbs(handles->env, 4);
    mdb_env_set_mapsize(handles->env, kMapSize);
    rc = mdb_env_open(handles->env, dir.c_str(), flags, 0600);
    const bool lock_unwritable = rc == EACCES || rc == EROFS || rc == EPERM;
    if (rc == 0 || !read_only || !lock_unwritable || (flags & MDB_NOLOCK)) break;
    flags |= MDB_NOLOCK;
  }
  if (rc != 0) return LmdbError(rc, "open journal", dir);
  status = CheckAfterOpen(env, handles->env, dir_fd, dir);
  if (!status.ok()) return status;
  // The tables are opened read-only when they exist: LMDB asserts on some
  // damaged pages inside a write transaction, where a read reports them.
  // Missing ones are created together in one write transaction: all of them
  // in a new journal, or one that a journal from an earlier version lacks.
  struct Table {
    const char* name;
    MDB_dbi* dbi;
    bool found;
  };
  Table tables[] = {{"runs", &handles->runs, false},
                    {"ops", &handles->ops, false},
                    {"manifests", &handles->manifests, false}};
  MDB_txn* txn = nullptr;
  rc = mdb_txn_begin(handles->env, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) return LmdbError(rc, "read journal", dir);
  bool missing = false;
  for (Table& table : tables) {
    *table.dbi = kNoTable;
    rc = mdb_dbi_open(txn, table.name, 0, table.dbi);
    if (rc != 0 && rc != MDB_NOTFOUND) {
      mdb_txn_abort(txn);
      return LmdbError(rc, "open the journal's tables in", dir);
    }
    table.found = rc == 0;
    if (!table.found) *table.dbi = kNoTable;
    missing = missing || !table.found;
  }
  rc = mdb_txn_commit(txn);
  if (rc != 0) return LmdbError(rc, "read journal", dir);
  if (missing) {
    MDB_envinfo info;
    mdb_env_info(handles->env, &info);
    // Runs are written by a journal's first commit that does anything; a used
    // journal without them is damaged.
    if (info.me_last_txnid != 0 && !tables[0].found) return LmdbError(MDB_CORRUPTED, "open", dir);
    // A reader creates nothing: a table not there yet is an empty one.
    if (read_only) return std::unique_ptr<Store>(new Store(env, dir, std::move(handles)));
    rc = mdb_txn_begin(handles->env, nullptr, 0, &txn);
    if (rc != 0) return LmdbError(rc, "write journal", dir);
    for (Table& table : tables) {
      if (table.found) continue;
      rc = mdb_dbi_open(txn, table.name, MDB_CREATE, table.dbi);
      if (rc != 0) {
        mdb_txn_abort(txn);
        return LmdbError(rc, "create the journal's tables in", dir);
      }
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0) return LmdbError(rc, "create the journal's tables in", dir);
  }
  if (!read_only) {
    status = PrepareFiles(env, handles->env, dir_fd, dir);
    if (!status.ok()) return status;
  }
  return std::unique_ptr<Store>(new Store(env, dir, std::move(handles)));
}

absl::Status Store::Write(const Batch& batch) {
  if (handles_->read_only) {
    return absl::FailedPreconditionError(
        absl::StrCat("the journal ", dir_, " was opened to be read, not written"));
  }
  absl::Status status = env_->BeforeJournalWrite(dir_);
  if (!status.ok()) return status;
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(handles_->env, nullptr, 0, &txn);
  if (rc != 0) return LmdbError(rc, "write journal", dir_);
  // Serialized straight into the space LMDB reserves for it: a release's
  // manifest runs to megabytes, and a copy of it in between would be as big.
  auto put = [&](MDB_dbi dbi, const std::string& key, const google::protobuf::Message& record) {
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{record.ByteSizeLong(), nullptr};
    int put_rc = mdb_put(txn, dbi, &k, &v, MDB_RESERVE);
    if (put_rc == 0 && !EncodeRecordTo(record, v.mv_data, v.mv_size)) {
      put_rc = MDB_BAD_VALSIZE;
    }
    return put_rc;
  };
  for (const Run& run : batch.runs) {
    rc = put(handles_->runs, run.id(), run);
    if (rc != 0) break;
  }
  for (const OpRecord& op : batch.ops) {
    if (rc != 0) break;
    rc = put(handles_->ops, OpKey(op.run_id(), op.index()), op);
  }
  for (const EncodedManifest& manifest : batch.manifests) {
    if (rc != 0) break;
    MDB_val k{manifest.release_path.size(), const_cast<char*>(manifest.release_path.data())};
    MDB_val v{manifest.size(), nullptr};
    rc = mdb_put(txn, handles_->manifests, &k, &v, MDB_RESERVE);
    if (rc != 0) break;
    char* out = static_cast<char*>(v.mv_data);
    for (const std::string& piece : manifest.pieces) {
      memcpy(out, piece.data(), piece.size());
      out += piece.size();
    }
  }
  for (const std::string& key : batch.deleted_manifests) {
    if (rc != 0) break;
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    rc = mdb_del(txn, handles_->manifests, &k, nullptr);
    if (rc == MDB_NOTFOUND) rc = 0;
  }
  if (rc != 0) {
    mdb_txn_abort(txn);
    return LmdbError(rc, "write journal", dir_);
  }
  rc = mdb_txn_commit(txn);
  if (rc != 0) return LmdbError(rc, "commit journal", dir_);
  return absl::OkStatus();
}

absl::Status Store::PutRun(const Run& run) {
  Batch batch;
  batch.runs.push_back(run);
  return Write(batch);
}

absl::Status Store::PutOp(const OpRecord& op) {
  Batch batch;
  batch.ops.push_back(op);
  return Write(batch);
}

absl::StatusOr<Run> Store::GetRun(const std::string& id) const {
  if (handles_->runs == kNoTable) {
    return WithNextStep(absl::NotFoundError(absl::StrCat("no run ", PrintablePath(id), " in the journal")),
                        NextStep::kListRuns);
  }
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(handles_->env, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) return LmdbError(rc, "read journal", dir_);
  MDB_val k{id.size(), const_cast<char*>(id.data())};
  MDB_val v;
  rc = mdb_get(txn, handles_->runs, &k, &v);
  absl::StatusOr<Run> run = absl::NotFoundError("");
  if (rc == 0) run = DecodeRun(Bytes(v));
  mdb_txn_abort(txn);
  if (rc == MDB_NOTFOUND) {
    return WithNextStep(absl::NotFoundError(absl::StrCat("no run ", PrintablePath(id), " in the journal")),
                        NextStep::kListRuns);
  }
  if (rc != 0) return LmdbError(rc, "read journal", dir_);
  if (!run.ok()) return InRecord(run.status(), absl::StrCat("run ", PrintablePath(id)), dir_);
  if (run->id() != id) {
    return InRecord(absl::DataLossError(absl::StrCat("it holds run ", PrintablePath(run->id()))),
                    absl::StrCat("run ", PrintablePath(id)), dir_);
  }
  return run;
}

absl::StatusOr<std::vector<Run>> Store::ListRuns() const {
  if (handles_->runs == kNoTable) return std::vector<Run>();
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(handles_->env, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) return LmdbError(rc, "read journal", dir_);
  MDB_cursor* cursor = nullptr;
  rc = mdb_cursor_open(txn, handles_->runs, &cursor);
  if (rc != 0) {
    mdb_txn_abort(txn);
    return LmdbError(rc, "read journal", dir_);
  }
  std::vector<Run> runs;
  MDB_val k, v;
  absl::Status status;
  for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    absl::StatusOr<Run> run = DecodeRun(Bytes(v));
    if (run.ok() && run->id() != Bytes(k)) {
      run = absl::DataLossError(absl::StrCat("it holds run ", PrintablePath(run->id())));
    }
    if (!run.ok()) {
      status = InRecord(run.status(), absl::StrCat("run ", PrintablePath(Bytes(k))), dir_);
      break;
    }
    runs.push_back(*std::move(run));
  }
  mdb_cursor_close(cursor);
  mdb_txn_abort(txn);
  if (!status.ok()) return status;
  if (rc != MDB_NOTFOUND) return LmdbError(rc, "read journal", dir_);
  // Start order, not key order: "...Z-10" sorts before "...Z-2" as bytes.
  std::stable_sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) {
    return a.start_ns() < b.start_ns();
  });
  return runs;
}

Store::ManifestView::~ManifestView() { mdb_txn_abort(static_cast<MDB_txn*>(txn_)); }

absl::StatusOr<std::unique_ptr<Store::ManifestView>> Store::ReadManifest(
    const std::string& release_path) const {
  if (handles_->manifests == kNoTable) {
    return absl::NotFoundError(absl::StrCat("the journal has no manifest of ", release_path,
                                            " (it was not deployed by persist, or its deploy was undone)"));
  }
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(handles_->env, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) return LmdbError(rc, "read journal", dir_);
  MDB_val k{release_path.size(), const_cast<char*>(release_path.data())};
  MDB_val v;
  rc = mdb_get(txn, handles_->manifests, &k, &v);
  if (rc != 0) {
    mdb_txn_abort(txn);
    if (rc == MDB_NOTFOUND) {
      return absl::NotFoundError(absl::StrCat("the journal has no manifest of ", release_path,
                                              " (it was not deployed by persist, or its deploy was undone)"));
    }
    return LmdbError(rc, "read journal", dir_);
  }
  const std::string what = absl::StrCat("the manifest of ", PrintablePath(release_path));
  const std::string dir = dir_;
  absl::StatusOr<ManifestReader> reader = ManifestReader::Open(
      Bytes(v), [what, dir](const absl::Status& found) { return InRecord(found, what, dir); });
  if (!reader.ok()) {
    mdb_txn_abort(txn);
    return reader.status();
  }
  return std::unique_ptr<ManifestView>(new ManifestView(txn, *std::move(reader)));
}

absl::StatusOr<std::vector<OpRecord>> Store::GetOps(const std::string& run_id) const {
  if (handles_->ops == kNoTable) return std::vector<OpRecord>();
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(handles_->env, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) return LmdbError(rc, "read journal", dir_);
  MDB_cursor* cursor = nullptr;
  rc = mdb_cursor_open(txn, handles_->ops, &cursor);
  if (rc != 0) {
    mdb_txn_abort(txn);
    return LmdbError(rc, "read journal", dir_);
  }
  const std::string prefix = run_id + "/";
  std::vector<OpRecord> ops;
  MDB_val k{prefix.size(), const_cast<char*>(prefix.data())};
  MDB_val v;
  absl::Status status;
  for (rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE); rc == 0;
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    absl::string_view key(static_cast<const char*>(k.mv_data), k.mv_size);
    if (key.substr(0, prefix.size()) != prefix) break;
    absl::StatusOr<OpRecord> op = DecodeOpRecord(Bytes(v));
    if (op.ok() && OpKey(op->run_id(), op->index()) != key) {
      op = absl::DataLossError(absl::StrCat("it holds op ", op->index(), " of run ", PrintablePath(op->run_id())));
    }
    if (!op.ok()) {
      status = InRecord(op.status(), absl::StrCat("op record ", PrintablePath(key)), dir_);
      break;
    }
    ops.push_back(*std::move(op));
  }
  mdb_cursor_close(cursor);
  mdb_txn_abort(txn);
  if (!status.ok()) return status;
  if (rc != 0 && rc != MDB_NOTFOUND) return LmdbError(rc, "read journal", dir_);
  return ops;
}

}  // namespace persist
