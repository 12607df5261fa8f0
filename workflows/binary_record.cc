// Copyright persist authors.

#include "workflows/binary_record.h"

#include <fcntl.h>

#include <string>

#include "fsops/fd.h"
#include "fsops/real_path.h"

namespace persist {

void RecordPersistBinary(const Site& site) {
  const absl::StatusOr<std::string> resolved = RealPath("/proc/self/exe");
  if (!resolved.ok()) return;
  const std::string line = *resolved + "\n";
  constexpr char kRecord[] = ".persist/persist-binary";
  absl::StatusOr<std::string> old = site.root().ReadFile(kRecord, 4096);
  absl::StatusOr<Fd> dir = site.root().OpenDir(".persist");
  if (!dir.ok()) return;
  Env* env = site.env();
  if (old.ok() && *old == line) {
    (void)RestoreParentOwner(env, dir->get(), "persist-binary", kRecord);
    return;
  }
  absl::StatusOr<int> fd =
      env->OpenAt(dir->get(), "persist-binary", O_WRONLY | O_CREAT | O_TRUNC, 0644, kRecord);
  if (!fd.ok()) return;
  Fd file(env, *fd, kRecord);
  if (!env->Write(file.get(), line.data(), line.size(), kRecord).ok()) return;
  (void)TakeParentOwner(env, dir->get(), "persist-binary", kRecord);
}

}  // namespace persist
