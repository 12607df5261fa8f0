// Copyright persist authors.
//
// EnvWrapper: an Env that forwards every call to another Env.
//
// LevelDB's EnvWrapper. A test Env that changes a few calls (FaultEnv,
// PowerCutEnv) derives from it and overrides only those; every other call
// reaches the target unchanged, and a call added to Env later is forwarded
// here once instead of in each of them.

#ifndef PERSIST_FSOPS_TESTING_ENV_WRAPPER_H_
#define PERSIST_FSOPS_TESTING_ENV_WRAPPER_H_

#include <string>
#include <vector>

#include "fsops/env.h"

namespace persist {

class EnvWrapper : public Env {
 public:
  // `target` must outlive the wrapper.
  explicit EnvWrapper(Env* target) : target_(target) {}

  // The Env every call is forwarded to.
  Env* target() const { return target_; }

  absl::StatusOr<int> OpenRoot(const std::string& path) override {
    return target_->OpenRoot(path);
  }
  absl::StatusOr<int> OpenBeneath(int root_fd, const std::string& rel, int flags) override {
    return target_->OpenBeneath(root_fd, rel, flags);
  }
  absl::StatusOr<int> OpenAt(int dir_fd, const std::string& name, int flags, mode_t mode,
                             const std::string& path) override {
    return target_->OpenAt(dir_fd, name, flags, mode, path);
  }
  void Close(int fd) override { target_->Close(fd); }
  absl::Status StatAt(int dir_fd, const std::string& name, struct stat* st,
                      const std::string& path) override {
    return target_->StatAt(dir_fd, name, st, path);
  }
  absl::Status AccessAt(int dir_fd, const std::string& name, int mode,
                        const std::string& path) override {
    return target_->AccessAt(dir_fd, name, mode, path);
  }
  absl::StatusOr<std::string> ReadLinkAt(int dir_fd, const std::string& name,
                                         const std::string& path) override {
    return target_->ReadLinkAt(dir_fd, name, path);
  }
  absl::StatusOr<std::vector<DirEntry>> ReadDir(int dir_fd, const std::string& path) override {
    return target_->ReadDir(dir_fd, path);
  }
  absl::StatusOr<size_t> Read(int fd, char* buf, size_t n, const std::string& path) override {
    return target_->Read(fd, buf, n, path);
  }
  absl::Status StatFs(int fd, struct statfs* st, const std::string& path) override {
    return target_->StatFs(fd, st, path);
  }
  void WriteBack(int fd) override { target_->WriteBack(fd); }
  absl::Status Flock(int fd, int operation, const std::string& path) override {
    return target_->Flock(fd, operation, path);
  }
  absl::Status MkdirAt(int dir_fd, const std::string& name, mode_t mode,
                       const std::string& path) override {
    return target_->MkdirAt(dir_fd, name, mode, path);
  }
  absl::Status SymlinkAt(const std::string& target, int dir_fd, const std::string& name,
                         const std::string& path) override {
    return target_->SymlinkAt(target, dir_fd, name, path);
  }
  absl::Status RenameAt(int from_dir, const std::string& from_name, int to_dir,
                        const std::string& to_name, unsigned flags, const std::string& from_path,
                        const std::string& to_path) override {
    return target_->RenameAt(from_dir, from_name, to_dir, to_name, flags, from_path, to_path);
  }
  absl::Status UnlinkAt(int dir_fd, const std::string& name, int flags,
                        const std::string& path) override {
    return target_->UnlinkAt(dir_fd, name, flags, path);
  }
  absl::Status Write(int fd, const char* buf, size_t n, const std::string& path) override {
    return target_->Write(fd, buf, n, path);
  }
  absl::StatusOr<size_t> CopyFileRange(int in_fd, int out_fd, size_t n,
                                       const std::string& path) override {
    return target_->CopyFileRange(in_fd, out_fd, n, path);
  }
  absl::Status LinkAt(int from_dir, const std::string& from_name, int to_dir,
                      const std::string& to_name, const std::string& path) override {
    return target_->LinkAt(from_dir, from_name, to_dir, to_name, path);
  }
  absl::Status CloneFile(int in_fd, int out_fd, const std::string& path) override {
    return target_->CloneFile(in_fd, out_fd, path);
  }
  absl::Status Ftruncate(int fd, off_t length, const std::string& path) override {
    return target_->Ftruncate(fd, length, path);
  }
  absl::Status Fallocate(int fd, int mode, off_t offset, off_t length,
                         const std::string& path) override {
    return target_->Fallocate(fd, mode, offset, length, path);
  }
  absl::Status SetNoCow(int fd, const std::string& path) override {
    return target_->SetNoCow(fd, path);
  }
  absl::Status ChownAt(int dir_fd, const std::string& name, uid_t uid, gid_t gid,
                       const std::string& path) override {
    return target_->ChownAt(dir_fd, name, uid, gid, path);
  }
  absl::Status Fchmod(int fd, mode_t mode, const std::string& path) override {
    return target_->Fchmod(fd, mode, path);
  }
  absl::Status FchmodAt(int dir_fd, const std::string& name, mode_t mode,
                        const std::string& path) override {
    return target_->FchmodAt(dir_fd, name, mode, path);
  }
  absl::Status UtimensAt(int dir_fd, const std::string& name, const struct timespec times[2],
                         const std::string& path) override {
    return target_->UtimensAt(dir_fd, name, times, path);
  }
  absl::Status Fsync(int fd, const std::string& path) override {
    return target_->Fsync(fd, path);
  }
  absl::Status Syncfs(int fd, const std::string& path) override {
    return target_->Syncfs(fd, path);
  }
  absl::Status BeforeJournalWrite(const std::string& what) override {
    return target_->BeforeJournalWrite(what);
  }

 private:
  Env* const target_;
};

}  // namespace persist

#endif  // PERSIST_FSOPS_TESTING_ENV_WRAPPER_H_
