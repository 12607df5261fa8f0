// Copyright persist authors.
//
// persist backup and persist restore: parse, call the workflow, print.

#include <iostream>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "fsops/path.h"
#include "workflows/backup.h"

namespace persist {
namespace {

std::string Plural(uint64_t n, const char* one, const char* many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

std::string DescribeCounts(const ArchiveSummary& counts) {
  return absl::StrCat(Plural(counts.files, "file", "files"), " (", counts.bytes, " bytes), ",
                      Plural(counts.directories, "directory", "directories"), ", ",
                      Plural(counts.symlinks, "symlink", "symlinks"));
}

}  // namespace

absl::Status RunBackup(const Args& args) {
  absl::Status status = ExpectPositionals("backup", args, 0, 0);
  if (!status.ok()) return status;
  BackupOptions options;
  options.root_dir = RootOf(args);
  options.out = args.Get("out", "");
  options.out_given = args.values.count("out") > 0;
  absl::StatusOr<BackupResult> backup = Backup(options);
  if (!backup.ok()) return backup.status();
  std::cout << "wrote " << PrintablePath(backup->path) << ": shared/ of " << options.root_dir
            << ", " << DescribeCounts(backup->archived) << "; mode 0600, since it holds .env\n";
  for (const std::string& skipped : backup->archived.skipped) {
    std::cout << "skipped " << PrintablePath(skipped)
              << ": a fifo, socket or device, which an archive cannot hold\n";
  }
  std::cout << "`persist restore " << PrintablePath(backup->path) << " --root " << options.root_dir
            << "` brings shared/ back as it is now\n";
  return absl::OkStatus();
}

absl::Status RunRestore(const Args& args) {
  absl::Status status = ExpectPositionals("restore", args, 1, 1);
  if (!status.ok()) return status;
  const std::string& file = args.positional[0];
  absl::StatusOr<RestoreResult> restored =
      Restore(RestoreOptions{SiteRequest{RootOf(args), "restore", args.Has("allow-root")}, file});
  if (!restored.ok()) return restored.status();
  const std::string run_id = restored->run.id();
  std::cout << "restored shared/ of " << RootOf(args) << " from " << PrintablePath(file)
            << " as run " << run_id << ": " << DescribeCounts(restored->restored)
            << ", as archived\n";
  for (const std::string& line : restored->kept) std::cout << line << "\n";
  if (!restored->keep_failed.ok()) return restored->keep_failed;
  if (!restored->kept.empty()) {
    std::cout << "what the archive lacks is copied to .persist/rescued/restore-" << run_id
              << "/shared/, where it stays after the run's stash is purged\n";
  }
  std::cout << "the shared/ it replaced is in the run's stash: `persist undo` puts it back exactly "
               "(and keeps this restored copy in .persist/rescued/"
            << run_id << "/, since the extraction it came from is gone)\n";
  return absl::OkStatus();
}

}  // namespace persist
