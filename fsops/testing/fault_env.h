// Copyright persist authors.
//
// FaultEnv: an Env for tests that counts every mutating call and can make
// the Nth one fail, LevelDB's fault-injection style.
//
// A crash (CrashAt) stops the "process" at the entry of mutating call N:
// that call and every call after it, reads included, fail without reaching
// the base Env, and journal writes stop with them. What is on disk then is
// exactly what a SIGKILL at that point leaves (the power-cut model, which
// also forgets unsynced data, is separate). An error (FailAt) makes only
// call N fail with the given errno, as a full disk or a failing fsync would,
// and lets everything else through, so the engine's own undo can run.

#ifndef PERSIST_FSOPS_TESTING_FAULT_ENV_H_
#define PERSIST_FSOPS_TESTING_FAULT_ENV_H_

#include <atomic>
#include <functional>
#include <mutex>
#include <string>

#include "fsops/env.h"
#include "fsops/testing/env_wrapper.h"

namespace persist {

class FaultEnv : public EnvWrapper {
 public:
  // Which mutating calls count toward N; kAny counts them all.
  enum class Kind {
    kAny, kCreate, kMkdir, kSymlink, kRename, kUnlink, kWrite, kCopyRange, kTruncate,
    kChmod, kUtimens, kFsync, kSyncfs, kJournal, kLink, kClone, kChown, kFallocate, kSetFlags,
  };

  explicit FaultEnv(Env* base) : EnvWrapper(base) {}

  // Crash at the entry of mutating call n (1-based). 0 disables.
  void CrashAt(int n) { crash_at_ = n; }
  // Fail mutating call n of `kind` with `err`, once. 0 disables.
  void FailAt(int n, int err, Kind kind = Kind::kAny) {
    fail_at_ = n;
    fail_errno_ = err;
    fail_kind_ = kind;
  }
  // Called at the entry of every mutating call with its count and kind;
  // lets a test change the tree mid-run (race tests).
  void SetHook(std::function<void(int n, Kind kind)> hook) { hook_ = std::move(hook); }
  // Makes renameat2 with `flags` fail with EINVAL, as on filesystems without it.
  void RefuseRenameFlags(unsigned flags) { refused_rename_flags_ = flags; }
  // Answers fstatfs with this f_type (0: the real one).
  void FakeFilesystemType(long type) { fake_fs_type_ = type; }

  int mutations() const {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }
  int count_of(Kind kind) const {
    std::lock_guard<std::mutex> lock(mu_);
    return kind_counts_[static_cast<int>(kind)];
  }
  bool crashed() const { return crashed_.load(); }
  bool injected() const {
    std::lock_guard<std::mutex> lock(mu_);
    return injected_;
  }
  // The kind and path of the call that failed, once injected().
  Kind injected_kind() const {
    std::lock_guard<std::mutex> lock(mu_);
    return injected_kind_;
  }
  std::string injected_path() const {
    std::lock_guard<std::mutex> lock(mu_);
    return injected_path_;
  }

  // Every call that returns a status is overridden: reads fail once crashed,
  // mutations count. Close and WriteBack, which cannot fail, are forwarded
  // as they are.
  absl::StatusOr<int> OpenRoot(const std::string& path) override;
  absl::StatusOr<int> OpenBeneath(int root_fd, const std::string& rel, int flags) override;
  absl::StatusOr<int> OpenAt(int dir_fd, const std::string& name, int flags, mode_t mode,
                             const std::string& path) override;
  absl::Status StatAt(int dir_fd, const std::string& name, struct stat* st,
                      const std::string& path) override;
  absl::StatusOr<std::string> ReadLinkAt(int dir_fd, const std::string& name,
                                         const std::string& path) override;
  absl::StatusOr<std::vector<DirEntry>> ReadDir(int dir_fd, const std::string& path) override;
  absl::StatusOr<size_t> Read(int fd, char* buf, size_t n, const std::string& path) override;
  absl::Status StatFs(int fd, struct statfs* st, const std::string& path) override;
  absl::Status Flock(int fd, int operation, const std::string& path) override;
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
  absl::Status Fallocate(int fd, int mode, off_t offset, off_t length,
                         const std::string& path) override;
  absl::Status SetNoCow(int fd, const std::string& path) override;
  absl::Status ChownAt(int dir_fd, const std::string& name, uid_t uid, gid_t gid,
                       const std::string& path) override;
  absl::Status Fchmod(int fd, mode_t mode, const std::string& path) override;
  absl::Status FchmodAt(int dir_fd, const std::string& name, mode_t mode,
                        const std::string& path) override;
  absl::Status UtimensAt(int dir_fd, const std::string& name, const struct timespec times[2],
                         const std::string& path) override;
  absl::Status Fsync(int fd, const std::string& path) override;
  absl::Status Syncfs(int fd, const std::string& path) override;
  absl::Status BeforeJournalWrite(const std::string& what) override;

 private:
  // Counts a mutating call; non-OK when it must fail.
  absl::Status Mutation(Kind kind, const char* what, const std::string& path);
  // Non-OK once crashed.
  absl::Status Alive(const std::string& path) const;

  // Workers of a tree copy count their calls from several threads; which of
  // them is call N can differ from run to run, never how many calls there are.
  mutable std::mutex mu_;
  int count_ = 0;
  int kind_counts_[19] = {};
  int crash_at_ = 0;
  int fail_at_ = 0;
  int fail_errno_ = 0;
  Kind fail_kind_ = Kind::kAny;
  std::atomic<bool> crashed_{false};
  bool injected_ = false;
  Kind injected_kind_ = Kind::kAny;
  std::string injected_path_;
  unsigned refused_rename_flags_ = 0;
  long fake_fs_type_ = 0;
  std::function<void(int, Kind)> hook_;
};

}  // namespace persist

#endif  // PERSIST_FSOPS_TESTING_FAULT_ENV_H_
