// Copyright persist authors.

#include "workflows/site_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/error_kind.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "fsops/real_path.h"
#include "fsops/root.h"

namespace persist {
namespace {

// "/var/www/example.com/" as its parent ("/var/www") and last component
// ("example.com"); "site" as "." and "site".
void SplitSiteDir(const std::string& root_dir, std::string* parent, std::string* leaf) {
  absl::string_view dir = root_dir;
  while (dir.size() > 1 && absl::ConsumeSuffix(&dir, "/")) {
  }
  const size_t slash = dir.rfind('/');
  if (slash == absl::string_view::npos) {
    *parent = ".";
    *leaf = std::string(dir);
  } else {
    *parent = slash == 0 ? "/" : std::string(dir.substr(0, slash));
    *leaf = std::string(dir.substr(slash + 1));
  }
}

}  // namespace

absl::StatusOr<bool> MakeMissingSiteDir(const std::string& root_dir, bool dry_run) {
  Env* env = Env::Default();
  struct stat st;
  absl::Status exists = env->StatAt(AT_FDCWD, root_dir, &st, root_dir);
  if (exists.ok() || StatusErrno(exists) != ENOENT) return false;  // Root::Open reports the rest
  std::string parent, leaf;
  SplitSiteDir(root_dir, &parent, &leaf);
  if (leaf.empty() || leaf == "." || leaf == "..") return false;
  absl::StatusOr<std::unique_ptr<Root>> above = Root::Open(env, parent);
  if (!above.ok()) {
    return UsageError(absl::StrCat("cannot create the site directory ", root_dir, ": its parent ",
                                   parent, " cannot be opened (", above.status().message(),
                                   "); create the parent first (mkdir -p ", parent,
                                   ") or give another --root"));
  }
  if (dry_run) return true;
  absl::Status made = env->MkdirAt((*above)->fd(), leaf, 0755, root_dir);
  if (made.ok()) made = TakeParentOwner(env, (*above)->fd(), leaf, root_dir);
  if (!made.ok()) {
    return UsageError(absl::StrCat("cannot create the site directory ", root_dir, ": ",
                                   made.message(), "; create it yourself, or give another --root"));
  }
  return true;
}

absl::StatusOr<std::string> MakeStandInSiteDir() {
  std::string dir = JoinPath(TemporaryDirectory(), "persist-dry-run.XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) {
    return UsageError(absl::StrCat("cannot make ", dir,
                                   " to plan the deploy into a new site: ", std::strerror(errno),
                                   "; set TMPDIR to a writable directory, or mkdir the site "
                                   "directory first"));
  }
  return dir;
}

void RemoveSiteDirIfEmpty(const std::string& root_dir) {
  std::string parent, leaf;
  SplitSiteDir(root_dir, &parent, &leaf);
  absl::StatusOr<std::unique_ptr<Root>> above = Root::Open(Env::Default(), parent);
  if (!above.ok()) return;
  // AT_REMOVEDIR fails with ENOTEMPTY on a directory that holds anything.
  (void)Env::Default()->UnlinkAt((*above)->fd(), leaf, AT_REMOVEDIR, root_dir);
}

}  // namespace persist
