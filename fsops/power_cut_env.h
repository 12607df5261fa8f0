// Copyright persist authors.
//
// PowerCutEnv: an Env for tests that remembers which changes were made
// durable, and on Cut() reverts every other one, as losing power would.
//
// The model, strict POSIX rather than what a journaling filesystem happens
// to do:
//  - a new, renamed or removed directory entry is durable once its
//    directory is fsynced after the change (a rename needs both of its
//    directories);
//  - a file's data is durable once the file is fsynced;
//  - a mode or time change is durable once the object is fsynced, or the
//    directory holding its entry is;
//  - syncfs makes everything durable.
// Removals are kept reversible by moving the removed entry into a graveyard
// directory (GraveyardName() beneath the root) until Cut(). Cut() reverts the
// changes that were not durable, newest first: entries come back or go away,
// unsynced file data is lost (the file is left empty), modes and times return.
// It works on real files with plain system calls and knows the root's
// absolute path.
//
// Wrap it in a FaultEnv to stop the run first: FaultEnv(PowerCutEnv(Posix)).

#ifndef PERSIST_FSOPS_POWER_CUT_ENV_H_
#define PERSIST_FSOPS_POWER_CUT_ENV_H_

#include <sys/stat.h>

#include <mutex>
#include <string>
#include <vector>

#include "fsops/env.h"

namespace persist {

class PowerCutEnv : public Env {
 public:
  PowerCutEnv(Env* base, std::string root_dir);

  // Reverts every change that was not durable. The Env must not be used after.
  void Cut();

  // How many changes Cut() reverted.
  int reverted() const { return reverted_; }

  static const char* GraveyardName() { return ".power-cut-graveyard"; }

  absl::StatusOr<int> OpenRoot(const std::string& path) override { return base_->OpenRoot(path); }
  absl::StatusOr<int> OpenBeneath(int root_fd, const std::string& rel, int flags) override {
    return base_->OpenBeneath(root_fd, rel, flags);
  }
  absl::StatusOr<int> OpenAt(int dir_fd, const std::string& name, int flags, mode_t mode,
                             const std::string& path) override;
  void Close(int fd) override { base_->Close(fd); }
  absl::Status StatAt(int dir_fd, const std::string& name, struct stat* st,
                      const std::string& path) override {
    return base_->StatAt(dir_fd, name, st, path);
  }
  absl::StatusOr<std::string> ReadLinkAt(int dir_fd, const std::string& name,
                                         const std::string& path) override {
    return base_->ReadLinkAt(dir_fd, name, path);
  }
  absl::StatusOr<std::vector<DirEntry>> ReadDir(int dir_fd, const std::string& path) override {
    return base_->ReadDir(dir_fd, path);
  }
  // Counts as making nothing durable: the model stays on the safe side.
  void WriteBack(int fd) override { base_->WriteBack(fd); }
  absl::StatusOr<size_t> Read(int fd, char* buf, size_t n, const std::string& path) override {
    return base_->Read(fd, buf, n, path);
  }
  absl::Status StatFs(int fd, struct statfs* st, const std::string& path) override {
    return base_->StatFs(fd, st, path);
  }
  absl::Status Flock(int fd, int operation, const std::string& path) override {
    return base_->Flock(fd, operation, path);
  }
  absl::Status MkdirAt(int dir_fd, const std::string& name, mode_t mode,
                       const std::string& path) override;
  absl::Status SymlinkAt(const std::string& target, int dir_fd, const std::string& name,
                         const std::string& path) override;
  absl::Status RenameAt(int from_dir, const std::string& from_name, int to_dir,
                        const std::string& to_name, unsigned flags, const std::string& from_path,
                        const std::string& to_path) override;
  absl::Status UnlinkAt(int dir_fd, const std::string& name, int flags,
                        const std::string& path) override;
  absl::Status Write(int fd, const char* buf, size_t n, const std::string& path) override;
  absl::StatusOr<size_t> CopyFileRange(int in_fd, int out_fd, size_t n,
                                       const std::string& path) override;
  absl::Status LinkAt(int from_dir, const std::string& from_name, int to_dir,
                      const std::string& to_name, const std::string& path) override;
  absl::Status CloneFile(int in_fd, int out_fd, const std::string& path) override;
  absl::Status Ftruncate(int fd, off_t length, const std::string& path) override;
  // Neither changes what a file holds: not part of the model.
  absl::Status Fallocate(int fd, int mode, off_t offset, off_t length,
                         const std::string& path) override {
    return base_->Fallocate(fd, mode, offset, length, path);
  }
  absl::Status SetNoCow(int fd, const std::string& path) override {
    return base_->SetNoCow(fd, path);
  }
  absl::Status ChownAt(int dir_fd, const std::string& name, uid_t uid, gid_t gid,
                       const std::string& path) override;
  absl::Status Fchmod(int fd, mode_t mode, const std::string& path) override;
  absl::Status FchmodAt(int dir_fd, const std::string& name, mode_t mode,
                        const std::string& path) override;
  absl::Status UtimensAt(int dir_fd, const std::string& name, const struct timespec times[2],
                         const std::string& path) override;
  absl::Status Fsync(int fd, const std::string& path) override;
  absl::Status Syncfs(int fd, const std::string& path) override;
  absl::Status BeforeJournalWrite(const std::string& what) override {
    return base_->BeforeJournalWrite(what);
  }

 private:
  struct Id {
    dev_t dev = 0;
    ino_t ino = 0;
    bool operator==(const Id& o) const { return dev == o.dev && ino == o.ino; }
  };
  struct Change {
    enum Kind { kCreate, kRename, kExchange, kUnlink, kData, kMeta };
    explicit Change(Kind k) : kind(k) {}
    Kind kind;
    Id dir1, dir2;            // the directories an entry change touches
    bool synced1 = false, synced2 = false;
    Id object;                // kData, kMeta: the inode changed
    std::string path1, path2; // root-relative: created/unlinked path; rename from, to
    std::string buried;       // kUnlink: its name in the graveyard
    struct stat old_stat {};  // kMeta: mode and times before
    bool durable = false;
  };

  static Id IdOfFd(int fd);
  Id IdOf(int dir_fd, const std::string& name) const;
  // A new entry at `path` in dir_fd, durable once dir_fd is synced.
  void RecordCreate(int dir_fd, const std::string& path);
  void RecordMeta(int dir_fd, const std::string& name, int fd);
  std::string Abs(const std::string& rel) const { return root_dir_ + "/" + rel; }
  // The absolute path of the object with `id` beneath the root, or "".
  std::string Find(const Id& id) const;

  Env* base_;
  std::string root_dir_;
  // Guards the model: a tree copy's workers change the tree from several threads.
  std::mutex mu_;
  std::vector<Change> changes_;
  int buried_ = 0;
  int reverted_ = 0;
};

}  // namespace persist

#endif  // PERSIST_FSOPS_POWER_CUT_ENV_H_
