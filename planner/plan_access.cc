// Copyright persist authors.

#include "planner/plan_access.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "fsops/user_name.h"
#include "planner/shared_links.h"

namespace persist {
namespace {

bool Denied(const absl::Status& status) {
  const int err = StatusErrno(status);
  return err == EACCES || err == EPERM || err == EROFS;
}

// Walks a plan's ops in order, following each path back to where it is
// before the run, and asks the kernel about each change.
class AccessChecker {
 public:
  explicit AccessChecker(const Root& site) : site_(site) {}

  absl::Status Check(const Op& op) {
    switch (op.kind_case()) {
      case Op::kMove:
        return CheckMove(op.move().from(), op.move().to());
      case Op::kMkdir:
        return Created(op.mkdir().path());
      case Op::kSymlink:
        return Created(op.symlink().path());
      case Op::kWrite:
        return Created(op.write().path());
      case Op::kChmod:
        return CheckOwner(op.chmod().path());
      case Op::kRecord:
        return CheckReadable(op.record().release());
      default:
        return absl::OkStatus();
    }
  }

  std::vector<AccessProblem> TakeProblems() { return std::move(problems_); }

 private:
  // Where the planned `path` is before the run; nullopt when the plan
  // creates it (or what holds it).
  std::optional<std::string> Original(const std::string& path) const {
    for (auto it = placed_.rbegin(); it != placed_.rend(); ++it) {
      const auto& [planned, origin] = *it;
      if (!IsWithin(path, planned)) continue;
      if (!origin.has_value()) return std::nullopt;
      return path.size() == planned.size() ? *origin
                                           : JoinPath(*origin, path.substr(planned.size() + 1));
    }
    return path;
  }

  // The stat of `rel` as it is now; nullopt when it does not exist.
  absl::StatusOr<std::optional<struct stat>> Stat(const std::string& rel) const {
    absl::StatusOr<struct stat> st = site_.Lstat(rel);
    if (StatusErrno(st.status()) == ENOENT) return std::nullopt;
    if (!st.ok()) return st.status();
    return *st;
  }

  // Names `rel` with its first problem only: one fix answers them all.
  void Add(const std::string& rel, const struct stat& st, absl::string_view what,
           absl::string_view need) {
    if (!named_.insert(rel).second) return;
    problems_.push_back(
        AccessProblem{rel, st.st_uid,
                      absl::StrFormat("%s of %s, mode %04o: %s", what, DescribeUser(st.st_uid),
                                      st.st_mode & 07777, need)});
  }

  // Asks once whether `rel` (before the run) allows `mode`; names it with
  // `what` and `need` when it does not.
  absl::Status Ask(const std::string& rel, int mode, absl::string_view what,
                   absl::string_view need) {
    if (!asked_.insert(absl::StrCat(rel, "\n", mode)).second) return absl::OkStatus();
    absl::StatusOr<std::optional<struct stat>> st = Stat(rel);
    if (!st.ok()) return st.status();
    if (!st->has_value()) return absl::OkStatus();
    absl::Status allowed = site_.Access(rel, mode);
    if (allowed.ok()) return absl::OkStatus();
    if (!Denied(allowed)) return allowed;
    Add(rel, **st, what, need);
    return absl::OkStatus();
  }

  // Entries change in the directory holding the planned `path`.
  absl::Status ChangesIn(const std::string& path) {
    std::optional<std::string> dir = Original(SplitParent(path).first);
    if (!dir.has_value()) return absl::OkStatus();
    return Ask(*dir, W_OK | X_OK, "a directory",
               "this user cannot write it, and entries of it must be moved or made");
  }

  absl::Status Created(const std::string& path) {
    absl::Status status = ChangesIn(path);
    placed_.emplace_back(path, std::nullopt);
    return status;
  }

  absl::Status CheckMove(const std::string& from, const std::string& to) {
    absl::Status status = ChangesIn(from);
    if (status.ok()) status = ChangesIn(to);
    if (!status.ok()) return status;
    std::optional<std::string> origin = Original(from);
    if (origin.has_value() && SplitParent(from).first != SplitParent(to).first) {
      absl::StatusOr<std::optional<struct stat>> st = Stat(*origin);
      if (!st.ok()) return st.status();
      if (st->has_value() && S_ISDIR((*st)->st_mode)) {
        status = Ask(*origin, W_OK, "a directory",
                     "this user cannot write it, and a directory moves into another only when "
                     "its mover may (its \"..\" changes)");
        if (!status.ok()) return status;
      }
    }
    placed_.emplace_back(to, origin);
    if (origin.has_value()) moved_away_.insert(*origin);
    return absl::OkStatus();
  }

  absl::Status CheckOwner(const std::string& path) {
    std::optional<std::string> origin = Original(path);
    if (!origin.has_value() || geteuid() == 0) return absl::OkStatus();
    absl::StatusOr<std::optional<struct stat>> st = Stat(*origin);
    if (!st.ok()) return st.status();
    if (!st->has_value() || (*st)->st_uid == geteuid()) return absl::OkStatus();
    Add(*origin, **st, "a file",
        "this user does not own it, and only its owner may change its mode (persist takes "
        "away what all users may do with it)");
    return absl::OkStatus();
  }

  // Every directory and file of the planned `release`, as it is now.
  absl::Status CheckReadable(const std::string& release) {
    std::optional<std::string> origin = Original(release);
    if (!origin.has_value()) return absl::OkStatus();
    return CheckTree(*origin);
  }

  absl::Status CheckTree(const std::string& dir) {
    absl::Status status =
        Ask(dir, R_OK | X_OK, "a directory",
            "this user cannot list it, and the release's manifest reads all it holds");
    if (!status.ok()) return status;
    absl::StatusOr<Fd> fd = site_.OpenDir(dir);
    if (!fd.ok()) return Denied(fd.status()) ? absl::OkStatus() : fd.status();
    absl::StatusOr<std::vector<DirEntry>> entries = site_.env()->ReadDir(fd->get(), dir);
    if (!entries.ok()) return entries.status();
    for (const DirEntry& entry : *entries) {
      const std::string path = JoinPath(dir, entry.name);
      if (moved_away_.contains(path)) continue;
      if (entry.type == DT_DIR) {
        status = CheckTree(path);
      } else if (entry.type == DT_REG) {
        status = Ask(path, R_OK, "a file",
                     "this user cannot read it, and the release's manifest hashes it");
      }
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }

  const Root& site_;
  // What the plan has put where so far: a planned path, and where it is
  // before the run (nullopt: the plan made it).
  std::vector<std::pair<std::string, std::optional<std::string>>> placed_;
  absl::flat_hash_set<std::string> moved_away_;
  absl::flat_hash_set<std::string> asked_;  // path and mode
  absl::flat_hash_set<std::string> named_;
  std::vector<AccessProblem> problems_;
};

}  // namespace

absl::StatusOr<std::vector<AccessProblem>> FindAccessProblems(const Root& site, const Plan& plan) {
  AccessChecker checker(site);
  for (const Op& op : plan.op()) {
    absl::Status status = checker.Check(op);
    if (!status.ok()) return status;
  }
  return checker.TakeProblems();
}

absl::Status AccessRefusal(const Root& site, const std::vector<AccessProblem>& problems,
                           const std::string& command) {
  constexpr size_t kShown = 10;
  const std::string user = UserName(geteuid());
  std::string listed;
  // chown -R of a directory takes what it holds: those are not named again.
  std::vector<std::string> roots;
  for (size_t i = 0; i < problems.size() && i < kShown; ++i) {
    const std::string& path = problems[i].path;
    absl::StrAppend(&listed, "\n  ", PrintablePath(JoinPath(site.dir(), path)), ": ",
                    problems[i].why);
    if (!roots.empty() && IsWithin(path, roots.back())) continue;
    roots.push_back(path);
  }
  if (problems.size() > kShown) {
    absl::StrAppend(&listed, "\n  and ", problems.size() - kShown, " more like them");
  }
  std::vector<std::string> paths;
  for (const std::string& root : roots) {
    paths.push_back(PrintablePath(JoinPath(site.dir(), root)));
  }
  return Refuse(absl::StrCat("persist cannot make this change as ", DescribeUser(geteuid()),
                             ", and touched nothing:", listed,
                             "\nRun it as root, which keeps every owner: sudo ", command,
                             " --allow-root; or make these paths yours first: sudo chown -R ", user,
                             ": ", absl::StrJoin(paths, " ")));
}

}  // namespace persist
