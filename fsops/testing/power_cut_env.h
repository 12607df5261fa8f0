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

#ifndef PERSIST_FSOPS_TESTING_POWER_CUT_ENV_H_
#define PERSIST_FSOPS_TESTING_POWER_CUT_ENV_H_

#include <sys/stat.h>

#include <mutex>
#include <string>
#include <vector>

#include "fsops/env.h"
#include "fsops/testing/env_wrapper.h"

namespace persist {

class PowerCutEnv : public EnvWrapper {
 public:
  PowerCutEnv(Env* base, std::string root_dir);

  // Reverts every change that was not durable. The Env must not be used after.
  void Cut();

  // How many changes Cut() reverted.
  int reverted() const { return reverted_; }

  static const char* GraveyardName() { return ".power-cut-graveyard"; }

  // The calls that change the tree, and the syncs that make changes durable.
  // Reads, WriteBack (it makes nothing durable: the model stays on the safe
  // side), Fallocate and SetNoCow (neither changes what a file holds) and
  // journal writes are forwarded as they are.
  absl::StatusOr<int> OpenAt(int dir_fd, const std::string& name, int flags, mode_t mode,
                             const std::string& path) override;
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
  absl::Status ChownAt(int dir_fd, const std::string& name, uid_t uid, gid_t gid,
                       const std::string& path) override;
  absl::Status Fchmod(int fd, mode_t mode, const std::string& path) override;
  absl::Status FchmodAt(int dir_fd, const std::string& name, mode_t mode,
                        const std::string& path) override;
  absl::Status UtimensAt(int dir_fd, const std::string& name, const struct timespec times[2],
                         const std::string& path) override;
  absl::Status Fsync(int fd, const std::string& path) override;
  absl::Status Syncfs(int fd, const std::string& path) override;

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

  std::string root_dir_;
  // Guards the model: a tree copy's workers change the tree from several threads.
  std::mutex mu_;
  std::vector<Change> changes_;
  int buried_ = 0;
  int reverted_ = 0;
};

}  // namespace persist

#endif  // PERSIST_FSOPS_TESTING_POWER_CUT_ENV_H_
