// Copyright persist authors.
//
// The error campaign over persist deploy: ENOSPC, EIO and EACCES injected at
// every mutating call (each fsync, syncfs and journal commit included) of
// a first deploy and of a vendor update over a live site, and EXDEV and
// EINVAL at every renameat2. Each deploy must either fail with a message
// naming the cause, having undone itself (the whole site byte for byte as
// before, .persist/ aside; no stash or rescue left by the failed run), or
// absorb the error through a documented fallback (EINVAL: no RENAME_NOREPLACE
// or RENAME_EXCHANGE; EXDEV: a move across filesystems) and deploy exactly
// what an undisturbed deploy does, which `persist undo` then reverses
// exactly.
//
// Sharded by scenario and errno (tests/BUILD.bazel): each case builds its
// sites from a template made once, by copying, so that a case costs one
// deploy and its undo.

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "workflows/deploy_flow.h"
#include "fsops/testing/fault_env.h"
#include "gtest/gtest.h"
#include "base/error_kind.h"
#include "journal/recovery.h"
#include "journal/site.h"
#include "journal/transaction.h"
#include "spdlog/spdlog.h"
#include "tests/campaign.h"
#include "tests/testing/sample_release.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace testing {
namespace {

// The sample Laravel release, with a symlink in its app code and a
// persistent public/invoices/; new in v3, public/reports/, a persistent
// path the update seeds into shared/ by a move.
void WriteRelease(const std::string& dir, const std::string& version) {
  SampleRelease release = SampleRelease::Laravel(version);
  release.Symlink("public/autoload.php", "../vendor/autoload.php")
      .File("public/invoices/.gitkeep", "");
  if (version == "v3") release.File("public/reports/.gitkeep", "");
  release.Write(dir);
}

// Copies the tree `from` to `to` (which must not exist) with plain POSIX
// calls: modes, mtimes and symlinks kept, so that a copy of a template site
// compares equal to it.
void CopyFixture(const std::string& from, const std::string& to) {
  struct stat st;
  ASSERT_EQ(lstat(from.c_str(), &st), 0) << from;
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = readlink(from.c_str(), target, sizeof(target));
    ASSERT_GE(n, 0) << from;
    ASSERT_EQ(symlink(std::string(target, n).c_str(), to.c_str()), 0) << to;
  } else if (S_ISDIR(st.st_mode)) {
    ASSERT_EQ(mkdir(to.c_str(), 0700), 0) << to;
    DIR* dir = opendir(from.c_str());
    ASSERT_NE(dir, nullptr) << from;
    std::vector<std::string> names;
    while (struct dirent* entry = readdir(dir)) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    closedir(dir);
    for (const std::string& name : names) CopyFixture(from + "/" + name, to + "/" + name);
    ASSERT_EQ(chmod(to.c_str(), st.st_mode & 07777), 0) << to;
  } else {
    ASSERT_TRUE(S_ISREG(st.st_mode)) << from;
    WriteFile(to, ReadFile(from), st.st_mode & 07777);
  }
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, to.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << to;
}

// The campaign is about what persist does with an error, not about
// durability (power_cut_test is): fsync and syncfs still go through the
// fault Env, where they are counted and fail on cue, but reach no disk. A
// real syncfs flushes the whole filesystem, hundreds of times per case.
class NoSyncEnv : public FaultEnv {
 public:
  NoSyncEnv() : FaultEnv(Env::Default()) {}
  absl::Status Fsync(int, const std::string&) override { return absl::OkStatus(); }
  absl::Status Syncfs(int, const std::string&) override { return absl::OkStatus(); }
};

// One per thread: a FaultEnv counts its calls.
Env* NoSync() {
  thread_local NoSyncEnv env;
  return &env;
}

absl::StatusOr<persist::Run> Deploy(Env* env, const std::string& site, const std::string& source,
                                    const std::string& id) {
  absl::StatusOr<std::unique_ptr<Site>> opened = Site::OpenForWriting(env, site, "deploy");
  if (!opened.ok()) return opened.status();
  DeployRequest request;
  request.source = source;
  request.release_id = id;
  absl::StatusOr<DeployPlan> planned = PlanSiteDeploy(**opened, request, /*keep=*/2);
  if (!planned.ok()) return planned.status();
  return ExecutePlan(**opened, planned->plan, DeployRunOptions(**opened, *planned));
}

absl::StatusOr<std::vector<persist::Run>> Runs(const std::string& site) {
  absl::StatusOr<std::unique_ptr<Site>> opened = Site::OpenForReading(Env::Default(), site);
  if (!opened.ok()) return opened.status();
  return (*opened)->store().ListRuns();
}

enum class Scenario { kFirst, kUpdate };

// The template: the site before the deploy under test, and the upload it
// deploys, in w/ (what each case copies). A first deploy (v1) goes into an
// empty site; the update (v3) goes over a site with two deploys, user data,
// a real public_html directory and a release to prune (keep 2).
class Template {
 public:
  explicit Template(Scenario scenario) {
    spdlog::set_level(spdlog::level::off);
    id_ = scenario == Scenario::kFirst ? "v1" : "v3";
    WriteRelease(dir_.Sub("w/uploads/" + id_), id_);
    const std::string site = dir_.Sub("w/site");
    MakeDir(site);
    if (scenario == Scenario::kUpdate) {
      WriteRelease(dir_.Sub("setup/v1"), "v1");
      WriteRelease(dir_.Sub("setup/v2"), "v2");
      EXPECT_TRUE(Deploy(NoSync(), site, dir_.Sub("setup/v1"), "v1").ok());
      WriteFile(site + "/shared/public/uploads/user-42.jpg", "a user's photo");
      WriteFile(site + "/shared/.env", "APP_KEY=base64:secret\n", 0600);
      EXPECT_TRUE(Deploy(NoSync(), site, dir_.Sub("setup/v2"), "v2").ok());
      WriteFile(site + "/shared/public/qrcodes/order-7.png", "qr");
      WriteFile(site + "/public_html/index.html", "hosting panel placeholder");
    }
  }
  std::string dir() const { return dir_.Sub("w"); }
  const std::string& id() const { return id_; }

 private:
  TempDir dir_;
  std::string id_;
};

// One case: the template's w/ copied into a fresh directory.
class Case {
 public:
  explicit Case(const Template& from) { CopyFixture(from.dir(), root()); }
  std::string root() const { return dir_.Sub("w"); }
  std::string site() const { return root() + "/site"; }
  std::string upload(const std::string& id) const { return root() + "/uploads/" + id; }

 private:
  TempDir dir_;
};

// What a deploy's own .persist/ holds that a failed run must not leave.
Snapshot Leftovers(const std::string& site) {
  Snapshot out;
  for (const char* dir : {"stash", "rescued"}) {
    const std::string path = site + "/.persist/" + dir;
    if (!PathExists(path)) continue;
    for (const auto& [rel, desc] : TakeSnapshot(path, {})) out[std::string(dir) + "/" + rel] = desc;
  }
  return out;
}

struct Totals {
  int failed = 0;
  int absorbed = 0;
  int best_effort = 0;  // errors in calls made on a best-effort basis (BestEffortCall)
};

// What went wrong in one case, one line each; "" when nothing did. Cases run
// on worker threads, which report through here rather than through gtest's
// assertions, so that the first failure can stop the others.
class Problems {
 public:
  explicit Problems(std::string at) : at_(std::move(at)) {}
  // Records `what` unless `ok`.
  void Check(bool ok, const std::string& what) {
    if (!ok) absl::StrAppend(&text_, at_, ": ", what, "\n");
  }
  // Records the difference of two snapshots, if any.
  void Same(const Snapshot& expected, const Snapshot& actual, const std::string& what) {
    const std::string diff = DiffSnapshots(expected, actual);
    Check(diff.empty(), absl::StrCat(what, ":\n", diff));
  }
  const std::string& text() const { return text_; }

 private:
  std::string at_;
  std::string text_;
};

// Injects `err` at call `n` of `kind` of the deploy and checks the outcome.
std::string InjectAt(const Template& fixture, int n, int err, FaultEnv::Kind kind,
                     const Snapshot& reference, Totals* totals) {
  Case c(fixture);
  const Snapshot before = TakeSnapshot(c.site());
  const Snapshot leftovers = Leftovers(c.site());
  absl::StatusOr<std::vector<persist::Run>> runs_before = Runs(c.site());
  const size_t run_count = runs_before.ok() ? runs_before->size() : 0;
  FaultEnv faulty(NoSync());
  faulty.FailAt(n, err, kind);
  absl::StatusOr<persist::Run> run = Deploy(&faulty, c.site(), c.upload(fixture.id()), fixture.id());
  Problems problems(absl::StrCat(strerrorname_np(err), " at call ", n));
  problems.Check(faulty.injected(), "the call was never made");
  if (run.ok()) {
    // A fallback took the error: the deploy is what an undisturbed one makes
    // (times aside: what it creates gets the time of the run)...
    if (BestEffortCall(faulty)) {
      ++totals->best_effort;
    } else {
      ++totals->absorbed;
    }
    problems.Same(WithoutMtimes(reference), WithoutMtimes(TakeSnapshot(c.site())),
                  "absorbed, but the site differs from an undisturbed deploy's");
    // ...and undone exactly.
    absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(NoSync(), c.site(), "undo");
    absl::StatusOr<persist::Run> undone =
        site.ok() ? UndoLatest(**site, "") : absl::StatusOr<persist::Run>(site.status());
    problems.Check(undone.ok(), absl::StrCat("undo failed: ", undone.status().ToString()));
    problems.Same(before, TakeSnapshot(c.site()), "undo of the absorbed deploy is not exact");
    return problems.text();
  }
  ++totals->failed;
  const std::string message(run.status().message());
  problems.Check(absl::StrContains(message, strerror(err)), "the cause is missing from: " + message);
  problems.Same(before, TakeSnapshot(c.site()), "the site changed; the error was: " + message);
  problems.Same(leftovers, Leftovers(c.site()), "the failed run left a stash or a rescue");
  const ErrorKind error_kind = ErrorKindOf(run.status());
  absl::StatusOr<std::vector<persist::Run>> runs = Runs(c.site());
  if (!runs.ok()) {
    // Only a first deploy that failed preparing .persist/ has no journal.
    problems.Check(!PathExists(c.site() + "/.persist/journal/data.mdb"),
                   "the journal does not read: " + runs.status().ToString());
    problems.Check(!run.ok(), "no error reported");
  } else if (runs->size() == run_count) {
    // Failed before the run was recorded (preparing .persist/, or
    // committing the run's intent): nothing was touched.
    problems.Check(!run.ok(), "no error reported");
  } else {
    problems.Check(runs->size() == run_count + 1, "more than one run was recorded");
    problems.Check(runs->back().state() == RUN_FAILED, "the run is not recorded as failed: " + message);
    problems.Check(error_kind == ErrorKind::kFailed, "a failed run is not reported as failed: " + message);
    problems.Check(absl::StrContains(message, "was undone"), "the message does not say it was undone: " + message);
  }
  return problems.text();
}

using Param = std::tuple<Scenario, int>;

constexpr int kParallelCases = 8;

class DeployErrorCampaignTest : public ::testing::TestWithParam<Param> {};

TEST_P(DeployErrorCampaignTest, AnErrorAtEveryCallFailsAndUndoesTheDeployOrIsAbsorbed) {
  const auto [scenario, err] = GetParam();
  const Template fixture(scenario);
  // EXDEV and EINVAL are what renameat2 says (across filesystems; flag not
  // supported): injected at every rename. The others anywhere.
  const FaultEnv::Kind kind = err == EXDEV || err == EINVAL ? FaultEnv::Kind::kRename
                                                            : FaultEnv::Kind::kAny;
  Snapshot reference;
  int calls = 0;
  {
    Case c(fixture);
    FaultEnv counting(NoSync());
    absl::StatusOr<persist::Run> run = Deploy(&counting, c.site(), c.upload(fixture.id()), fixture.id());
    ASSERT_TRUE(run.ok()) << run.status();
    reference = TakeSnapshot(c.site());
    calls = kind == FaultEnv::Kind::kAny ? counting.mutations() : counting.count_of(kind);
    ASSERT_GT(calls, 10);
  }
  // The journal's commits are synced (LMDB's own fdatasync, outside the
  // Env) and a case waits on them more than it computes: cases run eight at
  // a time, each in its own directory with its own journal.
  // The first failure stops the campaign: the cases after it would mostly
  // repeat it.
  Totals totals;
  std::mutex mu;
  std::atomic<int> next{1};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < kParallelCases; ++t) {
    workers.emplace_back([&] {
      Totals mine;
      for (int n = next++; n <= calls && !stop; n = next++) {
        const std::string problems = InjectAt(fixture, n, err, kind, reference, &mine);
        if (problems.empty()) continue;
        stop = true;
        ADD_FAILURE() << problems;
      }
      std::lock_guard<std::mutex> lock(mu);
      totals.failed += mine.failed;
      totals.absorbed += mine.absorbed;
      totals.best_effort += mine.best_effort;
    });
  }
  for (std::thread& worker : workers) worker.join();
  if (stop) return;
  if (err == EXDEV) {
    EXPECT_GT(totals.absorbed, 0) << "a move across filesystems becomes a copy";
    EXPECT_GT(totals.failed, 0) << "a rename into the stash or of a staged object has no fallback";
  } else if (err == EINVAL) {
    EXPECT_GT(totals.absorbed, 0) << "renameat2 without RENAME_NOREPLACE or RENAME_EXCHANGE";
  } else {
    EXPECT_EQ(totals.absorbed, 0) << "only renameat2's EXDEV and EINVAL have fallbacks";
    EXPECT_EQ(totals.failed + totals.best_effort, calls);
  }
  RecordProperty("calls", calls);
  RecordProperty("absorbed", totals.absorbed);
}

std::string ParamName(const ::testing::TestParamInfo<Param>& info) {
  return absl::StrCat(std::get<0>(info.param) == Scenario::kFirst ? "FirstDeploy" : "VendorUpdate", "_",
                      strerrorname_np(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(Errnos, DeployErrorCampaignTest,
                         ::testing::Combine(::testing::Values(Scenario::kFirst, Scenario::kUpdate),
                                            ::testing::Values(ENOSPC, EIO, EACCES, EXDEV, EINVAL)),
                         ParamName);

}  // namespace
}  // namespace testing
}  // namespace persist
