// Copyright persist authors.
//
// Env: every system call persist makes, behind one interface.
//
// Modelled on LevelDB's Env. Production code uses PosixEnv (Env::Default());
// tests wrap it (FaultEnv) to count mutating calls, fail the Nth one with a
// chosen errno, or stop dead at it as a crash would. Everything above fsops
// reaches the filesystem only through an Env, so one wrapper sees it all.
//
// Names passed with a directory fd are single path components; the `path`
// argument, where there is one, is only used in error messages. Nothing here
// follows a symlink: opens add O_NOFOLLOW and stats use AT_SYMLINK_NOFOLLOW.
// Errors come from ErrnoStatus() and carry the errno (see errno_status.h).
// Every method may be called from several threads at once: a tree copy runs
// its files on a pool of workers.

#ifndef PERSIST_FSOPS_ENV_H_
#define PERSIST_FSOPS_ENV_H_

#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

#include <dirent.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace persist {

// A name in a directory listing, with the type the directory itself records
// (DT_REG, DT_DIR, DT_LNK, ...), or DT_UNKNOWN where the filesystem does not
// say: then only a stat can tell.
struct DirEntry {
  std::string name;
  unsigned char type;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide PosixEnv. Never deleted.
  static Env* Default();

  // ---- Resolution and reads: never counted as mutations. ----

  // Opens the directory `path` for use as a site root (O_DIRECTORY).
  virtual absl::StatusOr<int> OpenRoot(const std::string& path) = 0;

  // Opens `rel` beneath `root_fd` without following any symlink in any
  // component and without leaving the root: openat2(RESOLVE_BENEATH |
  // RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) where the kernel has it, a
  // component-by-component O_NOFOLLOW walk where not. `rel` may be "" (the
  // root itself). O_CREAT is not allowed here; use OpenAt on the parent.
  virtual absl::StatusOr<int> OpenBeneath(int root_fd, const std::string& rel, int flags) = 0;

  // openat(dir_fd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode). With O_CREAT
  // this is a mutation.
  virtual absl::StatusOr<int> OpenAt(int dir_fd, const std::string& name, int flags,
                                     mode_t mode, const std::string& path) = 0;

  virtual void Close(int fd) = 0;

  // fstatat(dir_fd, name, AT_SYMLINK_NOFOLLOW); name "" stats dir_fd itself.
  virtual absl::Status StatAt(int dir_fd, const std::string& name, struct stat* st,
                              const std::string& path) = 0;

  virtual absl::StatusOr<std::string> ReadLinkAt(int dir_fd, const std::string& name,
                                                 const std::string& path) = 0;

  // faccessat(dir_fd, name, mode, AT_EACCESS): whether this process, with
  // its effective ids and capabilities, may read, write or search `name`
  // (R_OK, W_OK, X_OK). EACCES, EPERM or EROFS when it may not. The kernel
  // decides, so ACLs, capabilities and read-only mounts count as they will
  // when the call is made for real.
  virtual absl::Status AccessAt(int dir_fd, const std::string& name, int mode,
                                const std::string& path) = 0;

  // The entries of the directory open at `dir_fd` (not O_PATH), without "."
  // and "..", in no particular order. Reads from the start whatever dir_fd's
  // offset, and leaves it at the end: two threads must not list one
  // descriptor at once. Types come with the names, so a walk that only needs
  // to tell directories from the rest stats nothing.
  virtual absl::StatusOr<std::vector<DirEntry>> ReadDir(int dir_fd, const std::string& path) = 0;

  // ReadDir's names alone.
  absl::StatusOr<std::vector<std::string>> ListDir(int dir_fd, const std::string& path);

  // Reads up to n bytes; 0 at end of file.
  virtual absl::StatusOr<size_t> Read(int fd, char* buf, size_t n, const std::string& path) = 0;

  virtual absl::Status StatFs(int fd, struct statfs* st, const std::string& path) = 0;

  // Writes the dirty pages of the filesystem holding `fd` to disk, and waits
  // (syncfs), as a hint: it never fails and promises nothing, and is not a
  // fault point; Syncfs is the promise. A copy that will be synced calls it
  // from a helper thread as the copy grows, so that the final Syncfs waits
  // for the last part only, the disk writing while the copy goes on.
  virtual void WriteBack(int fd) = 0;

  // flock(fd, operation); LOCK_NB gives EWOULDBLOCK when another holds it.
  virtual absl::Status Flock(int fd, int operation, const std::string& path) = 0;

  // ---- Mutations: each one is a fault-injection point. ----

  virtual absl::Status MkdirAt(int dir_fd, const std::string& name, mode_t mode,
                               const std::string& path) = 0;

  virtual absl::Status SymlinkAt(const std::string& target, int dir_fd, const std::string& name,
                                 const std::string& path) = 0;

  // renameat2 with `flags` (0, RENAME_NOREPLACE or RENAME_EXCHANGE). Where the
  // kernel or filesystem lacks the flag the call fails with EINVAL or ENOSYS;
  // callers own the fallback, so that it stays journaled and recoverable.
  virtual absl::Status RenameAt(int from_dir, const std::string& from_name, int to_dir,
                                const std::string& to_name, unsigned flags,
                                const std::string& from_path, const std::string& to_path) = 0;

  // unlinkat(dir_fd, name, flags); AT_REMOVEDIR removes an empty directory.
  virtual absl::Status UnlinkAt(int dir_fd, const std::string& name, int flags,
                                const std::string& path) = 0;

  // Writes all n bytes or fails.
  virtual absl::Status Write(int fd, const char* buf, size_t n, const std::string& path) = 0;

  // copy_file_range from the current offsets; returns bytes copied, 0 at EOF.
  virtual absl::StatusOr<size_t> CopyFileRange(int in_fd, int out_fd, size_t n,
                                               const std::string& path) = 0;

  // linkat(from_dir, from_name, to_dir, to_name, 0): a second name for a
  // file, never for a symlink's target.
  virtual absl::Status LinkAt(int from_dir, const std::string& from_name, int to_dir,
                              const std::string& to_name, const std::string& path) = 0;

  // ioctl(out_fd, FICLONE, in_fd): out_fd's content becomes in_fd's, sharing
  // its blocks copy-on-write. EOPNOTSUPP, EXDEV or EINVAL where the
  // filesystem cannot.
  virtual absl::Status CloneFile(int in_fd, int out_fd, const std::string& path) = 0;

  virtual absl::Status Ftruncate(int fd, off_t length, const std::string& path) = 0;

  // fallocate(fd, mode, offset, length): blocks for a range of the file, so
  // that writing into it later needs no free space (FALLOC_FL_KEEP_SIZE:
  // without changing the file's size). EOPNOTSUPP where the filesystem
  // cannot.
  virtual absl::Status Fallocate(int fd, int mode, off_t offset, off_t length,
                                 const std::string& path) = 0;

  // Adds FS_NOCOW_FL (chattr +C) to the file or directory open at fd. On
  // btrfs, the files then created in such a directory are overwritten in
  // place rather than copied on write, so that on a full disk a write into
  // blocks a file already has still succeeds. EOPNOTSUPP, ENOTTY or EINVAL
  // where the filesystem has no such flag.
  virtual absl::Status SetNoCow(int fd, const std::string& path) = 0;

  // fchownat(dir_fd, name, uid, gid, AT_SYMLINK_NOFOLLOW); name "" changes
  // dir_fd's own owner.
  virtual absl::Status ChownAt(int dir_fd, const std::string& name, uid_t uid, gid_t gid,
                               const std::string& path) = 0;

  virtual absl::Status Fchmod(int fd, mode_t mode, const std::string& path) = 0;

  // fchmodat on a non-symlink entry.
  virtual absl::Status FchmodAt(int dir_fd, const std::string& name, mode_t mode,
                                const std::string& path) = 0;

  // utimensat(dir_fd, name, times, AT_SYMLINK_NOFOLLOW); name "" sets dir_fd's.
  virtual absl::Status UtimensAt(int dir_fd, const std::string& name,
                                 const struct timespec times[2], const std::string& path) = 0;

  virtual absl::Status Fsync(int fd, const std::string& path) = 0;

  // Flushes the whole filesystem holding fd: one call instead of one fsync
  // per file of a staged tree.
  virtual absl::Status Syncfs(int fd, const std::string& path) = 0;

  // Called before every journal write (an LMDB commit), which does its own
  // I/O outside this interface. A fault Env stops the write here.
  virtual absl::Status BeforeJournalWrite(const std::string& what) = 0;
};

}  // namespace persist

#endif  // PERSIST_FSOPS_ENV_H_
