// Copyright persist authors.

#include "journal/store.h"

#include <errno.h>
#include <lmdb.h>
#include <sys/stat.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "journal/record_codec.h"
#include "journal/record_wire.h"

namespace persist {
namespace {

constexpr char kDamaged[] =
    "the journal is damaged: move it aside (mv .persist/journal .persist/journal.damaged) and "
    "inspect the site with persist verify";

constexpr size_t kMapSize = size_t{4} << 30;  // address space, not disk: files grow as needed

absl::Status LmdbError(int rc, absl::string_view what, absl::string_view dir) {
  absl::string_view next = "check the disk and the journal's permissions";
  if (rc == MDB_CORRUPTED || rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH) {
    next = kDamaged;
  } else if (rc == MDB_MAP_FULL) {
    next = "the journal is full: prune old releases";
  }
  return absl::DataLossError(absl::StrCat(what, " ", dir, "/data.mdb: ", mdb_strerror(rc), "; ", next));
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
  return absl::DataLossError(
      absl::StrCat(what, " in ", dir, "/data.mdb is garbled: ", decoded.message(), "; ", kDamaged));
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
    return absl::DataLossError(absl::StrCat("the journal ", dir, "/data.mdb is empty (0 bytes): it was "
                                            "truncated; ", kDamaged));
  }
  absl::StatusOr<int64_t> lock = FileSize(env, dir_fd, dir, "lock.mdb");
  if (!lock.ok()) return lock.status();
  if (*lock < 0) return absl::OkStatus();  // moved aside: a new journal
  return absl::DataLossError(absl::StrCat(
      "the journal ", dir, "/data.mdb is missing (", dir, "/lock.mdb shows there was one): put it "
      "back from a backup; or check the site with persist verify and move the journal aside "
      "(mv .persist/journal .persist/journal.missing) to start a new one, knowing that the runs "
      "it recorded can no longer be recovered or undone"));
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
  return absl::DataLossError(absl::StrCat("the journal ", dir, "/data.mdb is truncated: it holds ",
                                          *size, " bytes, but its pages reach ", needed, "; ",
                                          kDamaged));
}

}  // namespace

struct Store::Handles {
  MDB_env* env = nullptr;
  MDB_dbi runs = 0;
  MDB_dbi ops = 0;
  MDB_dbi manifests = 0;
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

absl::StatusOr<std::unique_ptr<Store>> Store::Open(Env* env, const std::string& dir, int dir_fd,
                                                   bool used) {
  struct statfs fs;
  absl::Status status = env->StatFs(dir_fd, &fs, dir);
  if (!status.ok()) return status;
  for (const FsName& network : kNetworkFilesystems) {
    if (static_cast<long>(fs.f_type) == network.magic) {
      return absl::FailedPreconditionError(absl::StrCat(
          dir, " is on a network filesystem (", network.name,
          "); the journal needs a local disk: put the site, or at least its .persist/ directory, "
          "on local storage"));
    }
  }
  status = CheckBeforeOpen(env, dir_fd, dir, used);
  if (!status.ok()) return status;
  auto handles = std::make_unique<Handles>();
  int rc = mdb_env_create(&handles->env);
  if (rc != 0) return LmdbError(rc, "create LMDB environment for", dir);
  mdb_env_set_maxdbs(handles->env, 4);
  mdb_env_set_mapsize(handles->env, kMapSize);
  rc = mdb_env_open(handles->env, dir.c_str(), MDB_NOTLS, 0600);
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
    rc = mdb_dbi_open(txn, table.name, 0, table.dbi);
    if (rc != 0 && rc != MDB_NOTFOUND) {
      mdb_txn_abort(txn);
      return LmdbError(rc, "open the journal's tables in", dir);
    }
    table.found = rc == 0;
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
  return std::unique_ptr<Store>(new Store(env, dir, std::move(handles)));
}

absl::Status Store::Write(const Batch& batch) {
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
    MDB_val v{manifest.record.size(), const_cast<char*>(manifest.record.data())};
    rc = mdb_put(txn, handles_->manifests, &k, &v, 0);
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
    return absl::NotFoundError(absl::StrCat("no run ", PrintablePath(id),
                                            " in the journal; persist log lists the runs"));
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
