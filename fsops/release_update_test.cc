// Copyright persist authors.
//
// release_update on real files in a temporary site: a release built from
// the live one and a vendor's update package (a directory, or a zip made by
// Info-ZIP's zip), compared path by path with what UpdateResult predicts,
// with what the package says it should be, and with the base release and
// shared/ as they were before.

#include "fsops/release_update.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "fsops/copy_tree.h"
#include "fsops/digest.h"
#include "fsops/entry.h"
#include "fsops/env.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "fsops/release_archive.h"
#include "fsops/root.h"
#include "fsops/source_tree.h"
#include "fsops/testing/env_wrapper.h"
#include "fsops/tree.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/journal.pb.h"
#include "tests/testing/shell.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::DiffSnapshots;
using ::persist::testing::Quote;
using ::persist::testing::Sh;
using ::persist::testing::MakeDir;
using ::persist::testing::MakeSymlink;
using ::persist::testing::PathExists;
using ::persist::testing::ReadFile;
using ::persist::testing::Snapshot;
using ::persist::testing::TakeTreeSnapshot;
using ::persist::testing::TempDir;
using ::persist::testing::TreeSnapshotOptions;
using ::persist::testing::WriteFile;
using ::testing::ElementsAreArray;

constexpr int64_t kSecond = 1000000000;

// ---------------------------------------------------------------------------
// Files and times.

void SetWholeSecondMtime(const std::string& path, int64_t seconds) {
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = seconds;
  times[0].tv_nsec = times[1].tv_nsec = 0;
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0)
      << path << ": " << strerror(errno);
}

// ---------------------------------------------------------------------------
// An independent walk of a tree with plain POSIX calls.

struct Seen {
  struct stat st;
  std::string link_target;         // a symlink's
  std::string content;             // a regular file's
  std::vector<std::string> names;  // a directory's, sorted byte by byte
};

FileType TypeOfMode(mode_t mode) {
  if (S_ISREG(mode)) return REGULAR;
  if (S_ISDIR(mode)) return DIRECTORY;
  if (S_ISLNK(mode)) return SYMLINK;
  return OTHER;
}

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * kSecond + st.st_mtim.tv_nsec;
}

void WalkInto(const std::string& root, const std::string& rel, std::map<std::string, Seen>* out) {
  const std::string path = rel.empty() ? root : root + "/" + rel;
  Seen seen;
  ASSERT_EQ(lstat(path.c_str(), &seen.st), 0) << path << ": " << strerror(errno);
  if (S_ISLNK(seen.st.st_mode)) {
    char target[4096];
    const ssize_t n = readlink(path.c_str(), target, sizeof(target));
    ASSERT_GE(n, 0) << path;
    seen.link_target.assign(target, n);
  } else if (S_ISREG(seen.st.st_mode)) {
    seen.content = ReadFile(path);
  } else if (S_ISDIR(seen.st.st_mode)) {
    DIR* dir = opendir(path.c_str());
    ASSERT_NE(dir, nullptr) << path;
    while (struct dirent* entry = readdir(dir)) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") seen.names.push_back(name);
    }
    closedir(dir);
    std::sort(seen.names.begin(), seen.names.end());
  }
  const std::vector<std::string> names = seen.names;
  (*out)[rel] = std::move(seen);
  for (const std::string& name : names) WalkInto(root, JoinPath(rel, name), out);
}

// Every path beneath `root`, "" for `root` itself.
std::map<std::string, Seen> Walk(const std::string& root) {
  std::map<std::string, Seen> out;
  WalkInto(root, "", &out);
  return out;
}

std::set<std::string> PathsOf(const std::map<std::string, Seen>& tree) {
  std::set<std::string> paths;
  for (const auto& [rel, seen] : tree) paths.insert(rel);
  return paths;
}

// Every path `tree` holds, by List from its top ("" included).
void ListAll(const SourceTree& tree, const std::string& rel, std::set<std::string>* out) {
  out->insert(rel);
  absl::StatusOr<PathState> state = tree.Observe(rel, false);
  if (!state.ok()) {
    ADD_FAILURE() << "UpdateResult Observe(" << rel << "): " << state.status();
    return;
  }
  if (state->type() != DIRECTORY) return;
  absl::StatusOr<std::vector<std::string>> names = tree.List(rel);
  if (!names.ok()) {
    ADD_FAILURE() << "UpdateResult List(" << rel << "): " << names.status();
    return;
  }
  for (const std::string& name : *names) ListAll(tree, JoinPath(rel, name), out);
}

std::string Joined(const std::set<std::string>& paths) {
  std::string out;
  for (const std::string& p : paths) absl::StrAppend(&out, "  '", p, "'\n");
  return out;
}

// The tree at `dir` against what `result` says it is, path by path, both
// ways. Directory mtimes are not compared (journal.proto: exactness leaves
// them out, and laying the package's entries in a base directory moves its
// mtime), except for the directories the package ships, which take the
// package's.
void ExpectTreeIsResult(const std::string& dir, const UpdateResult& result) {
  const std::map<std::string, Seen> disk = Walk(dir);
  for (const auto& [rel, seen] : disk) {
    SCOPED_TRACE("path '" + rel + "'");
    absl::StatusOr<PathState> state = result.Observe(rel, true);
    ASSERT_TRUE(state.ok()) << state.status();
    const FileType type = TypeOfMode(seen.st.st_mode);
    EXPECT_EQ(FileType_Name(state->type()), FileType_Name(type));
    if (state->type() != type) continue;
    EXPECT_EQ(state->mode(), seen.st.st_mode & 07777)
        << "predicted " << std::oct << state->mode() << ", on disk " << (seen.st.st_mode & 07777);
    if (type == REGULAR) {
      EXPECT_EQ(state->size(), static_cast<uint64_t>(seen.st.st_size));
      EXPECT_EQ(HexDigest(state->digest()), HexDigest(DigestBytes(seen.content)));
    }
    if (type == SYMLINK) {
      EXPECT_EQ(state->link_target(), seen.link_target);
    }
    if (type != DIRECTORY) {
      EXPECT_EQ(state->mtime_ns(), MtimeNs(seen.st));
    } else if (!rel.empty()) {
      absl::StatusOr<PathState> shipped = result.package().Observe(rel, false);
      ASSERT_TRUE(shipped.ok()) << shipped.status();
      if (shipped->type() == DIRECTORY) {
        EXPECT_EQ(state->mtime_ns(), MtimeNs(seen.st)) << "a directory the package ships";
      }
    }
    if (type == DIRECTORY) {
      absl::StatusOr<std::vector<std::string>> names = result.List(rel);
      ASSERT_TRUE(names.ok()) << names.status();
      EXPECT_THAT(*names, ElementsAreArray(seen.names)) << "List against readdir";
    }
  }
  std::set<std::string> predicted;
  ListAll(result, "", &predicted);
  const std::set<std::string> made = PathsOf(disk);
  std::set<std::string> missing, extra;
  std::set_difference(predicted.begin(), predicted.end(), made.begin(), made.end(),
                      std::inserter(missing, missing.end()));
  std::set_difference(made.begin(), made.end(), predicted.begin(), predicted.end(),
                      std::inserter(extra, extra.end()));
  EXPECT_TRUE(missing.empty()) << "predicted by UpdateResult, not built:\n" << Joined(missing);
  EXPECT_TRUE(extra.empty()) << "built, not predicted by UpdateResult:\n" << Joined(extra);
}

// Collects the manifest BuildUpdate hands over.
class CollectingSink : public ManifestSink {
 public:
  void Clear() override {
    entries.clear();
    ++clears;
  }
  void Add(const ManifestEntry& entry) override { entries.push_back(entry); }
  std::vector<ManifestEntry> entries;
  int clears = 0;
};

// ---------------------------------------------------------------------------
// The site: releases/v1, a small Laravel app whose storage/ and
// public/uploads are links into shared/, and an update package for it.

struct Made {
  const char* rel;
  const char* content;
  uint32_t mode;
  int64_t mtime;
};

constexpr Made kBaseFiles[] = {
    {"artisan", "#!/usr/bin/env php\n<?php\n// artisan v1\n", 0755, 1700000001},
    {"composer.json", "{\"name\": \"vendor/shop\", \"version\": \"1.0\"}\n", 0644, 1700000002},
    {"app/A.php", "<?php\nclass A { /* v1 */ }\n", 0644, 1700000003},
    {"app/B.php", "<?php\nclass B {}\n", 0640, 1700000004},
    {"app/Obsolete.php", "<?php\nclass Obsolete {}\n", 0644, 1700000005},
    {"app/Old/Legacy.php", "<?php\nclass Legacy {}\n", 0644, 1700000006},
    {"app/Support/Str.php", "<?php\nclass Str {}\n", 0644, 1700000007},
    {"config/app.php", "<?php return ['v' => 1];\n", 0644, 1700000008},
    {"config/old.php", "<?php return [];\n", 0644, 1700000009},
    {"docs", "Read me (v1: a file)\n", 0644, 1700000010},
    {"public/index.php", "<?php\nrequire __DIR__.'/../vendor/autoload.php';\n", 0644, 1700000011},
};
constexpr const char* kBaseDirs[] = {"app", "app/Old", "app/Support", "config", "public"};

constexpr Made kSharedFiles[] = {
    {"shared/storage/app/x", "uploaded by a user\n", 0640, 1700000100},
    {"shared/storage/app/public/avatar.png", "PNG...\n", 0644, 1700000101},
    {"shared/storage/logs/laravel.log", "[2024] log\n", 0644, 1700000102},
    {"shared/public/uploads/z.jpg", "JPEG...\n", 0644, 1700000103},
};

// The package, beneath its directory "update".
constexpr Made kPackageFiles[] = {
    {"app/A.php", "<?php\nclass A { /* v2, changed */ }\n", 0644, 1700001002},
    {"app/New/C.php", "<?php\nclass C {}\n", 0644, 1700001004},
    {"app/Support", "a file where the base has a directory\n", 0644, 1700001006},
    {"config/app.php", "<?php return ['v' => 2];\n", 0644, 1700001008},
    {"docs/index.md", "# Docs (v2: a directory)\n", 0644, 1700001010},
    {"storage/app/public/y.txt", "shipped by the vendor\n", 0644, 1700001012},
};
struct MadeDirEntry {
  const char* rel;
  uint32_t mode;
  int64_t mtime;
};
// Deepest first, so that each mtime is set after what it holds.
constexpr MadeDirEntry kPackageDirs[] = {
    {"storage/app/public", 0755, 1700001100},
    {"storage/app", 0755, 1700001102},
    {"storage", 0755, 1700001104},
    {"docs", 0755, 1700001106},
    {"config", 0755, 1700001108},
    {"app/New", 0755, 1700001110},
    {"app", 0755, 1700001112},
    {"public", 0755, 1700001114},
};
constexpr char kPackageLink[] = "public/storage";
constexpr char kPackageLinkTarget[] = "../storage/app/public";

const std::vector<std::string>& Deleted() {
  static const std::vector<std::string> deleted = {
      "app/Obsolete.php",      // a base file
      "app/Old",               // a base directory
      "config",                // a base directory the package ships again
      "storage/app/x",         // behind the base's storage symlink: stays in shared/
      "public/uploads/z.jpg",  // behind the base's public/uploads symlink
      "public/media",          // a base symlink: the link goes, not what it leads to
      "nope/missing.php",      // nowhere
      "artisan/x",             // beneath a base file
  };
  return deleted;
}

// What v2 must hold, by path, whatever UpdateResult says.
const std::set<std::string>& ExpectedPaths() {
  static const std::set<std::string> paths = {
      "",
      "app",
      "app/A.php",
      "app/B.php",
      "app/New",
      "app/New/C.php",
      "app/Support",
      "artisan",
      "composer.json",
      "config",
      "config/app.php",
      "docs",
      "docs/index.md",
      "public",
      "public/index.php",
      "public/storage",
      "public/uploads",
      "storage",
      "storage/app",
      "storage/app/public",
      "storage/app/public/y.txt",
  };
  return paths;
}

void BuildSite(const std::string& site) {
  const std::string v1 = site + "/releases/v1";
  MakeDir(v1, 0755);
  for (const Made& f : kBaseFiles) WriteFile(v1 + "/" + f.rel, f.content, f.mode);
  MakeSymlink("../../shared/storage", v1 + "/storage");
  MakeSymlink("../../../shared/public/uploads", v1 + "/public/uploads");
  MakeSymlink("../../../shared/public/uploads", v1 + "/public/media");
  for (const Made& f : kSharedFiles) WriteFile(site + "/" + f.rel, f.content, f.mode);
  for (const Made& f : kBaseFiles) SetWholeSecondMtime(v1 + "/" + f.rel, f.mtime);
  SetWholeSecondMtime(v1 + "/storage", 1700000050);
  SetWholeSecondMtime(v1 + "/public/uploads", 1700000051);
  SetWholeSecondMtime(v1 + "/public/media", 1700000052);
  for (const Made& f : kSharedFiles) SetWholeSecondMtime(site + "/" + f.rel, f.mtime);
  int64_t t = 1690000000;
  for (const char* d : kBaseDirs) SetWholeSecondMtime(v1 + "/" + d, t++);
  SetWholeSecondMtime(v1, t++);
}

// The package at `dir` (its top directory, "update"), every mtime a whole
// second.
void BuildPackage(const std::string& dir) {
  MakeDir(dir, 0755);
  for (const Made& f : kPackageFiles) WriteFile(dir + "/" + f.rel, f.content, f.mode);
  MakeSymlink(kPackageLinkTarget, dir + "/" + kPackageLink);
  for (const Made& f : kPackageFiles) SetWholeSecondMtime(dir + "/" + f.rel, f.mtime);
  SetWholeSecondMtime(dir + "/" + kPackageLink, 1700001050);
  for (const MadeDirEntry& d : kPackageDirs) {
    ASSERT_EQ(chmod((dir + "/" + d.rel).c_str(), d.mode), 0) << d.rel;
    SetWholeSecondMtime(dir + "/" + d.rel, d.mtime);
  }
  SetWholeSecondMtime(dir, 1700001200);
}

// ---------------------------------------------------------------------------
// One build, for each kind of package and each dedupe mode.

enum class Kind { kDirectory, kInfoZip };

struct Case {
  Kind kind;
  DedupeMode dedupe;
};

std::string CaseName(const Case& c) {
  return absl::StrCat(c.kind == Kind::kDirectory ? "Directory" : "InfoZip",
                      c.dedupe == DEDUPE_OFF        ? "DedupeOff"
                      : c.dedupe == DEDUPE_AUTO     ? "DedupeAuto"
                      : c.dedupe == DEDUPE_HARDLINK ? "DedupeHardlink"
                                                    : "DedupeOther");
}

void PrintTo(const Case& c, std::ostream* os) { *os << CaseName(c); }

class ReleaseUpdateTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    site_ = tmp_.Sub("site");
    BuildSite(site_);
    BuildPackage(tmp_.Sub("package/update"));
    WriteFile(tmp_.Sub("package/CHANGELOG.txt"), "v2: A changed, C added\n");
    op_.set_base("releases/v1");
    op_.set_to("releases/v2");
    op_.set_dedupe(GetParam().dedupe);
    for (const std::string& gone : Deleted()) op_.add_deleted(gone);
    if (GetParam().kind == Kind::kDirectory) {
      op_.set_package_dir(tmp_.Sub("package/update"));
    } else {
      const std::string archive = tmp_.Sub("update.zip");
      ASSERT_TRUE(
          Sh(tmp_.Sub("package"), "zip -q -r -y " + Quote(archive) + " update CHANGELOG.txt"));
      struct stat st;
      ASSERT_EQ(stat(archive.c_str(), &st), 0);
      UnpackOp* package = op_.mutable_package_archive();
      package->set_archive(archive);
      package->set_dir("update");
      package->set_archive_size(st.st_size);
      package->set_archive_mtime_ns(MtimeNs(st));
    }
    absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), site_);
    ASSERT_TRUE(root.ok()) << root.status();
    root_ = *std::move(root);
  }

  // BuildUpdate into releases/v2 through `env`, with `manifest` when given.
  absl::Status Build(ManifestSink* manifest = nullptr, CopyStats* stats = nullptr,
                     Env* env = Env::Default()) {
    absl::StatusOr<Fd> releases = root_->OpenDir("releases");
    if (!releases.ok()) return releases.status();
    UpdateOptions options;
    options.dedupe = GetParam().dedupe;
    options.manifest = manifest;
    options.stats = stats;
    return BuildUpdate(env, op_, Entry{releases->get(), "v1", "releases/v1"},
                       Entry{releases->get(), "v2", "releases/v2"}, options);
  }

  std::unique_ptr<UpdateResult> Result() {
    absl::StatusOr<std::unique_ptr<UpdateResult>> result = UpdateResult::Open(*root_, op_);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *std::move(result) : nullptr;
  }

  std::string V1() const { return site_ + "/releases/v1"; }
  std::string V2() const { return site_ + "/releases/v2"; }

  TempDir tmp_;
  std::string site_;
  UpdateOp op_;
  std::unique_ptr<Root> root_;
};

TEST_P(ReleaseUpdateTest, BuildsExactlyWhatUpdateResultDescribes) {
  // Predicted before the build, as the planner does.
  std::unique_ptr<UpdateResult> result = Result();
  ASSERT_NE(result, nullptr);
  const absl::Status built = Build();
  ASSERT_TRUE(built.ok()) << built;
  ExpectTreeIsResult(V2(), *result);
}

TEST_P(ReleaseUpdateTest, BuildsTheTreeThePackageAndDeletionsSay) {
  const absl::Status built = Build();
  ASSERT_TRUE(built.ok()) << built;
  const std::map<std::string, Seen> v2 = Walk(V2());
  const std::set<std::string> paths = PathsOf(v2);
  std::set<std::string> missing, extra;
  std::set_difference(ExpectedPaths().begin(), ExpectedPaths().end(), paths.begin(), paths.end(),
                      std::inserter(missing, missing.end()));
  std::set_difference(paths.begin(), paths.end(), ExpectedPaths().begin(), ExpectedPaths().end(),
                      std::inserter(extra, extra.end()));
  EXPECT_TRUE(missing.empty()) << "missing from v2:\n" << Joined(missing);
  EXPECT_TRUE(extra.empty()) << "extra in v2:\n" << Joined(extra);
  auto type_of = [&](const std::string& rel) {
    auto it = v2.find(rel);
    return it == v2.end() ? ABSENT : TypeOfMode(it->second.st.st_mode);
  };
  // Each package entry stands, with its content, mode and mtime.
  for (const Made& f : kPackageFiles) {
    SCOPED_TRACE(f.rel);
    ASSERT_EQ(type_of(f.rel), REGULAR);
    const Seen& seen = v2.at(f.rel);
    EXPECT_EQ(seen.content, f.content);
    EXPECT_EQ(seen.st.st_mode & 07777, f.mode);
    EXPECT_EQ(MtimeNs(seen.st), f.mtime * kSecond);
  }
  for (const MadeDirEntry& d : kPackageDirs) {
    SCOPED_TRACE(d.rel);
    ASSERT_EQ(type_of(d.rel), DIRECTORY);
    EXPECT_EQ(v2.at(d.rel).st.st_mode & 07777, d.mode);
    EXPECT_EQ(MtimeNs(v2.at(d.rel).st), d.mtime * kSecond);
  }
  ASSERT_EQ(type_of(kPackageLink), SYMLINK);
  EXPECT_EQ(v2.at(kPackageLink).link_target, kPackageLinkTarget);
  // The base's storage symlink gave way to a real directory; its uploads
  // link, which the package leaves alone, is still a link.
  EXPECT_EQ(type_of("storage"), DIRECTORY);
  ASSERT_EQ(type_of("public/uploads"), SYMLINK);
  EXPECT_EQ(v2.at("public/uploads").link_target, "../../../shared/public/uploads");
  EXPECT_EQ(MtimeNs(v2.at("public/uploads").st), 1700000051 * kSecond);
  // The base's files the package leaves alone, as they were.
  for (const char* rel : {"artisan", "composer.json", "app/B.php", "public/index.php"}) {
    SCOPED_TRACE(rel);
    ASSERT_EQ(type_of(rel), REGULAR);
    for (const Made& f : kBaseFiles) {
      if (std::string(f.rel) != rel) continue;
      EXPECT_EQ(v2.at(rel).content, f.content);
      EXPECT_EQ(v2.at(rel).st.st_mode & 07777, f.mode);
      EXPECT_EQ(MtimeNs(v2.at(rel).st), f.mtime * kSecond);
    }
  }
}

TEST_P(ReleaseUpdateTest, LeavesTheBaseReleaseSharedAndThePackageByteForByte) {
  TreeSnapshotOptions all;
  all.root = true;
  all.exclude = {"releases/v2"};
  const Snapshot site_before = TakeTreeSnapshot(site_, all);
  TreeSnapshotOptions whole;
  whole.root = true;
  whole.exclude = {};
  const Snapshot shared_before = TakeTreeSnapshot(site_ + "/shared", whole);
  const Snapshot package_before = TakeTreeSnapshot(tmp_.Sub("package"), whole);
  const std::map<std::string, Seen> v1_before = Walk(V1());
  const std::map<std::string, Seen> shared_walk_before = Walk(site_ + "/shared");

  const absl::Status built = Build();
  ASSERT_TRUE(built.ok()) << built;

  EXPECT_EQ(DiffSnapshots(site_before, TakeTreeSnapshot(site_, all)), "");
  EXPECT_EQ(DiffSnapshots(shared_before, TakeTreeSnapshot(site_ + "/shared", whole)), "");
  EXPECT_EQ(DiffSnapshots(package_before, TakeTreeSnapshot(tmp_.Sub("package"), whole)), "");
  // More than the snapshots hold: the same objects (inodes), and directory
  // mtimes too.
  for (const auto& [label, before, root] :
       {std::make_tuple("releases/v1", &v1_before, V1()),
        std::make_tuple("shared", &shared_walk_before, site_ + "/shared")}) {
    const std::map<std::string, Seen> after = Walk(root);
    EXPECT_EQ(Joined(PathsOf(*before)), Joined(PathsOf(after))) << label;
    for (const auto& [rel, was] : *before) {
      auto now = after.find(rel);
      if (now == after.end()) continue;
      SCOPED_TRACE(absl::StrCat(label, ": '", rel, "'"));
      EXPECT_EQ(now->second.st.st_ino, was.st.st_ino);
      EXPECT_EQ(now->second.st.st_mode, was.st.st_mode);
      EXPECT_EQ(MtimeNs(now->second.st), MtimeNs(was.st));
      EXPECT_EQ(now->second.content, was.content);
      EXPECT_EQ(now->second.link_target, was.link_target);
      EXPECT_EQ(now->second.names, was.names);
    }
  }
  // Nothing the package ships landed in shared/ through the old link.
  EXPECT_FALSE(PathExists(site_ + "/shared/storage/app/public/y.txt"));
  EXPECT_TRUE(PathExists(site_ + "/shared/storage/app/x"));
  EXPECT_TRUE(PathExists(site_ + "/shared/public/uploads/z.jpg"));
}

TEST_P(ReleaseUpdateTest, SharesInodesWithTheBaseOnlyAsTheDedupeModeSays) {
  const std::map<std::string, Seen> v1 = Walk(V1());
  std::map<ino_t, std::string> v1_inodes;
  for (const auto& [rel, seen] : v1) {
    if (S_ISREG(seen.st.st_mode)) v1_inodes[seen.st.st_ino] = rel;
  }
  CopyStats stats;
  const absl::Status built = Build(nullptr, &stats);
  ASSERT_TRUE(built.ok()) << built;
  const std::map<std::string, Seen> v2 = Walk(V2());
  const std::set<std::string> unchanged = {"artisan", "composer.json", "app/B.php",
                                           "public/index.php"};
  uint64_t files = 0, bytes = 0, linked = 0;
  for (const auto& [rel, seen] : v2) {
    if (!S_ISREG(seen.st.st_mode)) continue;
    SCOPED_TRACE("v2 '" + rel + "'");
    auto shared = v1_inodes.find(seen.st.st_ino);
    const std::string with = shared == v1_inodes.end() ? "" : shared->second;
    ++files;
    bytes += seen.st.st_size;
    if (!with.empty()) ++linked;
    if (GetParam().dedupe == DEDUPE_HARDLINK && unchanged.count(rel)) {
      EXPECT_EQ(with, rel) << "an unchanged file, not hard-linked to v1's";
    } else {
      EXPECT_EQ(with, "") << "shares its inode with v1's '" << with << "'";
    }
  }
  EXPECT_EQ(stats.files, files);
  EXPECT_EQ(stats.bytes, bytes);
  EXPECT_EQ(stats.linked, linked);
  EXPECT_EQ(stats.linked, GetParam().dedupe == DEDUPE_HARDLINK ? unchanged.size() : 0u);
}

TEST_P(ReleaseUpdateTest, TheManifestListsEveryPathInWalkOrderWithItsDigest) {
  CollectingSink sink;
  const absl::Status built = Build(&sink);
  ASSERT_TRUE(built.ok()) << built;
  const std::map<std::string, Seen> v2 = Walk(V2());
  std::set<std::string> listed;
  for (size_t i = 0; i < sink.entries.size(); ++i) {
    const ManifestEntry& entry = sink.entries[i];
    SCOPED_TRACE("manifest '" + entry.path() + "'");
    if (i > 0) {
      EXPECT_TRUE(PathBefore(sink.entries[i - 1].path(), entry.path()))
          << "'" << sink.entries[i - 1].path() << "' then '" << entry.path() << "'";
    }
    EXPECT_TRUE(listed.insert(entry.path()).second) << "listed twice";
    auto it = v2.find(entry.path());
    if (it == v2.end()) {
      ADD_FAILURE() << "not in v2";
      continue;
    }
    const Seen& seen = it->second;
    const FileType type = TypeOfMode(seen.st.st_mode);
    EXPECT_EQ(FileType_Name(entry.type()), FileType_Name(type));
    EXPECT_EQ(entry.mode(), seen.st.st_mode & 07777);
    if (type == REGULAR) {
      EXPECT_EQ(entry.size(), static_cast<uint64_t>(seen.st.st_size));
      EXPECT_EQ(HexDigest(entry.digest()), HexDigest(DigestBytes(seen.content)));
      EXPECT_EQ(entry.inode(), seen.st.st_ino);
      EXPECT_EQ(entry.ctime_ns(), TimespecNs(seen.st.st_ctim));
    }
    if (type == SYMLINK) {
      EXPECT_EQ(entry.link_target(), seen.link_target);
    }
    // Directories too: those the package laid entries in, after the copy
    // gave them the base's mtime, as they are now.
    EXPECT_EQ(entry.mtime_ns(), MtimeNs(seen.st));
  }
  const std::set<std::string> on_disk = PathsOf(v2);
  std::set<std::string> missing;
  std::set_difference(on_disk.begin(), on_disk.end(), listed.begin(), listed.end(),
                      std::inserter(missing, missing.end()));
  EXPECT_TRUE(missing.empty()) << "in v2, not in the manifest:\n" << Joined(missing);
}

// The base's files where the package lays something (a file, or a
// directory in place of a file) and those it deletes are left out of the
// copy: never linked, so not even their ctime moves; the release holds the
// package's own, with an inode of its own.
TEST_P(ReleaseUpdateTest, TheBasesFilesThePackageReplacesOrDeletesAreLeftUntouched) {
  const std::map<std::string, Seen> before = Walk(V1());
  const absl::Status built = Build();
  ASSERT_TRUE(built.ok()) << built;
  const std::map<std::string, Seen> after = Walk(V1());
  for (const char* rel : {"app/A.php", "app/Support/Str.php", "config/app.php", "config/old.php",
                          "docs", "app/Obsolete.php", "app/Old/Legacy.php"}) {
    SCOPED_TRACE(rel);
    ASSERT_EQ(before.count(rel), 1u);
    ASSERT_EQ(after.count(rel), 1u);
    const Seen& was = before.at(rel);
    const Seen& now = after.at(rel);
    EXPECT_EQ(now.st.st_ino, was.st.st_ino);
    EXPECT_EQ(now.st.st_nlink, was.st.st_nlink);
    EXPECT_EQ(TimespecNs(now.st.st_ctim), TimespecNs(was.st.st_ctim));
    EXPECT_EQ(now.content, was.content);
  }
  const std::map<std::string, Seen> v2 = Walk(V2());
  for (const char* rel : {"app/A.php", "config/app.php"}) {
    SCOPED_TRACE(rel);
    ASSERT_EQ(v2.count(rel), 1u);
    EXPECT_NE(v2.at(rel).st.st_ino, after.at(rel).st.st_ino);
    EXPECT_EQ(v2.at(rel).st.st_nlink, 1u);
  }
  EXPECT_EQ(v2.at("app/A.php").content, kPackageFiles[0].content);
  EXPECT_EQ(v2.at("config/app.php").content, kPackageFiles[3].content);
}

// What was built is what undo recognises as made by the update: removing
// it rescues nothing and leaves the base release and shared/ as they were.
TEST_P(ReleaseUpdateTest, UndoRemovesAllItBuiltAndNothingElse) {
  TreeSnapshotOptions all;
  all.root = true;
  all.exclude = {"releases/v2"};
  const Snapshot before = TakeTreeSnapshot(site_, all);
  const std::map<std::string, Seen> v1_before = Walk(V1());
  const absl::Status built = Build();
  ASSERT_TRUE(built.ok()) << built;
  std::unique_ptr<UpdateResult> result = Result();
  ASSERT_NE(result, nullptr);
  absl::StatusOr<Fd> releases = root_->OpenDir("releases");
  ASSERT_TRUE(releases.ok()) << releases.status();
  Created created;
  created.tree = result.get();
  std::vector<std::string> rescued;
  int count = 0;
  const absl::Status removed = RemoveCreated(
      Env::Default(), Entry{releases->get(), "v2", "releases/v2"}, created,
      [&](const Entry& entry) {
        rescued.push_back(entry.path);
        return absl::OkStatus();
      },
      &count);
  ASSERT_TRUE(removed.ok()) << removed;
  EXPECT_EQ(count, 0);
  EXPECT_THAT(rescued, ::testing::IsEmpty());
  EXPECT_FALSE(PathExists(V2()));
  EXPECT_EQ(DiffSnapshots(before, TakeTreeSnapshot(site_, all)), "");
  const std::map<std::string, Seen> v1_after = Walk(V1());
  ASSERT_EQ(Joined(PathsOf(v1_before)), Joined(PathsOf(v1_after)));
  for (const auto& [rel, was] : v1_before) {
    SCOPED_TRACE(rel);
    EXPECT_EQ(v1_after.at(rel).st.st_ino, was.st.st_ino);
    EXPECT_EQ(v1_after.at(rel).st.st_nlink, was.st.st_nlink);
  }
}

// Removes a file of the package directory as the copy of the base starts:
// the package changing while it is applied.
class PackageFileVanishes : public EnvWrapper {
 public:
  PackageFileVanishes(Env* target, std::string victim)
      : EnvWrapper(target), victim_(std::move(victim)) {}
  absl::Status MkdirAt(int dir_fd, const std::string& name, mode_t mode,
                       const std::string& path) override {
    if (!victim_.empty()) {
      EXPECT_EQ(unlink(victim_.c_str()), 0) << victim_ << ": " << strerror(errno);
      victim_.clear();
    }
    return EnvWrapper::MkdirAt(dir_fd, name, mode, path);
  }

 private:
  std::string victim_;
};

// The copy of the base left out the file the package lays over it; a
// package that no longer holds that file must not leave the release
// without it.
TEST_P(ReleaseUpdateTest, APackageThatLosesAFileWhileItIsAppliedIsRefused) {
  if (GetParam().kind != Kind::kDirectory) GTEST_SKIP() << "a directory package only";
  PackageFileVanishes env(Env::Default(), tmp_.Sub("package/update/app/A.php"));
  const absl::Status built = Build(nullptr, nullptr, &env);
  EXPECT_TRUE(absl::IsFailedPrecondition(built)) << built;
  EXPECT_THAT(std::string(built.message()), ::testing::HasSubstr("app/A.php"));
  EXPECT_EQ(ReadFile(V1() + "/app/A.php"), kBaseFiles[2].content);
}

// Two names of one inode in the base, both hard-linked into the release:
// the second link moved the ctime the first one's entry was made with, and
// the manifest says what the inode's ctime is once the release is whole.
TEST_P(ReleaseUpdateTest, TheManifestHasTheFinalIdentityOfFilesSharingAnInode) {
  ASSERT_EQ(link((V1() + "/app/B.php").c_str(), (V1() + "/app/B2.php").c_str()), 0);
  ASSERT_EQ(link((V1() + "/composer.json").c_str(), (V1() + "/public/composer.json").c_str()), 0);
  CollectingSink sink;
  const absl::Status built = Build(&sink);
  ASSERT_TRUE(built.ok()) << built;
  int checked = 0;
  for (const ManifestEntry& entry : sink.entries) {
    if (entry.type() != REGULAR) continue;
    SCOPED_TRACE(entry.path());
    struct stat st;
    ASSERT_EQ(lstat((V2() + "/" + entry.path()).c_str(), &st), 0);
    EXPECT_EQ(entry.inode(), st.st_ino);
    EXPECT_EQ(entry.ctime_ns(), TimespecNs(st.st_ctim));
    EXPECT_EQ(entry.size(), static_cast<uint64_t>(st.st_size));
    ++checked;
  }
  EXPECT_EQ(checked, 12);
}

// Adds a file to the package directory as the copy of the base starts, at
// a path where the base holds one: the package changing while it is
// applied, after it was listed.
class PackageFileAppears : public EnvWrapper {
 public:
  PackageFileAppears(Env* target, std::string path) : EnvWrapper(target), path_(std::move(path)) {}
  absl::Status MkdirAt(int dir_fd, const std::string& name, mode_t mode,
                       const std::string& path) override {
    if (!path_.empty()) {
      WriteFile(path_, "<?php // appeared late\n");
      path_.clear();
    }
    return EnvWrapper::MkdirAt(dir_fd, name, mode, path);
  }

 private:
  std::string path_;
};

// The copy linked the base's file there, the overlay removed it: the
// release would hold what no listing described, so the build is refused.
TEST_P(ReleaseUpdateTest, APackageThatGainsAFileWhileItIsAppliedIsRefused) {
  if (GetParam().kind != Kind::kDirectory) GTEST_SKIP() << "a directory package only";
  PackageFileAppears env(Env::Default(), tmp_.Sub("package/update/app/B.php"));
  const absl::Status built = Build(nullptr, nullptr, &env);
  EXPECT_TRUE(absl::IsFailedPrecondition(built)) << built;
  EXPECT_THAT(std::string(built.message()), ::testing::HasSubstr("app/B.php"));
  EXPECT_EQ(ReadFile(V1() + "/app/B.php"), kBaseFiles[3].content);
}

// The release's own directory is the base's (OverlayTree), whatever mode the
// package's top directory has.
TEST_P(ReleaseUpdateTest, TheReleaseDirectoryKeepsTheBasesMode) {
  ASSERT_EQ(chmod(V1().c_str(), 0750), 0);
  std::unique_ptr<UpdateResult> result = Result();
  ASSERT_NE(result, nullptr);
  absl::StatusOr<PathState> top = result->Observe("", false);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(top->mode(), 0750u);
  const absl::Status built = Build();
  ASSERT_TRUE(built.ok()) << built;
  struct stat st;
  ASSERT_EQ(lstat(V2().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, top->mode())
      << "predicted " << std::oct << top->mode() << ", built " << (st.st_mode & 07777);
}

constexpr Case kCases[] = {
    {Kind::kDirectory, DEDUPE_OFF},      {Kind::kDirectory, DEDUPE_AUTO},
    {Kind::kDirectory, DEDUPE_HARDLINK}, {Kind::kInfoZip, DEDUPE_OFF},
    {Kind::kInfoZip, DEDUPE_AUTO},       {Kind::kInfoZip, DEDUPE_HARDLINK},
};

INSTANTIATE_TEST_SUITE_P(Packages, ReleaseUpdateTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return CaseName(info.param);
                         });

// ---------------------------------------------------------------------------
// UnpackArchive over an existing tree: a symlink of the tree gives way to
// the member at its path, and what it leads to is never written.

class UnpackOverExistingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Bait: a directory outside `into`, which every link of the tree
    // leads to, holding what the members are named.
    outside_ = tmp_.Sub("outside");
    WriteFile(outside_ + "/keep.txt", "outside, keep me\n");
    WriteFile(outside_ + "/index.php", "outside index\n");
    into_ = tmp_.Sub("into");
    MakeDir(into_ + "/public");
    MakeDir(into_ + "/nested");
    for (const char* link :
         {"link-sym", "link-file", "link-dir", "implied", "nested/link-file", "nested/link-dir"}) {
      MakeSymlink(outside_, into_ + "/" + link);  // absolute, outside the tree
    }
    WriteFile(into_ + "/public/index.php", "old index\n");
  }

  absl::StatusOr<CopyStats> UnpackOver(const std::string& archive, ManifestSink* sink) {
    UnpackOptions options;
    options.over_existing = true;
    options.manifest = sink;
    return UnpackArchive(Env::Default(), ArchivePath{archive, {}, "pkg"},
                         Entry{AT_FDCWD, into_, into_}, options);
  }

  TempDir tmp_;
  std::string outside_;
  std::string into_;
};

TEST_F(UnpackOverExistingTest, MembersReplaceSymlinksWithoutFollowingThem) {
  // The package: a symlink, a file and a directory where the tree has
  // symlinks to outside/, at the top and one level down, and a file
  // beneath a directory the zip leaves implied (-D: no directory entries).
  const std::string pkg = tmp_.Sub("src/pkg");
  MakeSymlink("public", pkg + "/link-sym");
  WriteFile(pkg + "/link-file", "a file in place of a link\n");
  WriteFile(pkg + "/link-dir/keep.txt", "inside, from the package\n");
  WriteFile(pkg + "/nested/link-file", "nested file in place of a link\n");
  WriteFile(pkg + "/nested/link-dir/index.php", "nested dir in place of a link\n");
  WriteFile(pkg + "/public/index.php", "new index\n");
  const std::string archive = tmp_.Sub("pkg.zip");
  ASSERT_TRUE(Sh(tmp_.Sub("src"), "zip -q -r -y " + Quote(archive) + " pkg"));
  WriteFile(pkg + "/implied/keep.txt", "beneath an implied directory\n");
  const std::string implied = tmp_.Sub("implied.zip");
  ASSERT_TRUE(Sh(tmp_.Sub("src"), "zip -q -D " + Quote(implied) + " pkg/implied/keep.txt"));

  TreeSnapshotOptions whole;
  whole.root = true;
  whole.exclude = {};
  const Snapshot outside_before = TakeTreeSnapshot(outside_, whole);
  const std::map<std::string, Seen> outside_walk = Walk(outside_);

  CollectingSink sink;
  absl::StatusOr<CopyStats> stats = UnpackOver(archive, &sink);
  ASSERT_TRUE(stats.ok()) << stats.status();
  absl::StatusOr<CopyStats> more = UnpackOver(implied, nullptr);
  ASSERT_TRUE(more.ok()) << more.status();

  EXPECT_EQ(DiffSnapshots(outside_before, TakeTreeSnapshot(outside_, whole)), "");
  const std::map<std::string, Seen> outside_after = Walk(outside_);
  EXPECT_EQ(Joined(PathsOf(outside_walk)), Joined(PathsOf(outside_after)));
  EXPECT_EQ(MtimeNs(outside_after.at("").st), MtimeNs(outside_walk.at("").st))
      << "outside/ was written to";

  const std::map<std::string, Seen> tree = Walk(into_);
  auto type_of = [&](const std::string& rel) {
    auto it = tree.find(rel);
    return it == tree.end() ? ABSENT : TypeOfMode(it->second.st.st_mode);
  };
  ASSERT_EQ(FileType_Name(type_of("link-sym")), "SYMLINK");
  EXPECT_EQ(tree.at("link-sym").link_target, "public");
  ASSERT_EQ(FileType_Name(type_of("link-file")), "REGULAR");
  EXPECT_EQ(tree.at("link-file").content, "a file in place of a link\n");
  ASSERT_EQ(FileType_Name(type_of("link-dir")), "DIRECTORY");
  EXPECT_EQ(tree.at("link-dir").names, std::vector<std::string>{"keep.txt"});
  EXPECT_EQ(tree.at("link-dir/keep.txt").content, "inside, from the package\n");
  ASSERT_EQ(FileType_Name(type_of("nested/link-file")), "REGULAR");
  EXPECT_EQ(tree.at("nested/link-file").content, "nested file in place of a link\n");
  ASSERT_EQ(FileType_Name(type_of("nested/link-dir")), "DIRECTORY");
  EXPECT_EQ(tree.at("nested/link-dir/index.php").content, "nested dir in place of a link\n");
  ASSERT_EQ(FileType_Name(type_of("implied")), "DIRECTORY");
  EXPECT_EQ(tree.at("implied").names, std::vector<std::string>{"keep.txt"});
  EXPECT_EQ(tree.at("implied/keep.txt").content, "beneath an implied directory\n");
  EXPECT_EQ(tree.at("public/index.php").content, "new index\n");

  // The manifest holds the members only (and the top, "pkg/", as "").
  std::set<std::string> listed;
  for (const ManifestEntry& entry : sink.entries) {
    if (!entry.path().empty()) listed.insert(entry.path());
  }
  EXPECT_EQ(Joined(listed), Joined({"link-dir", "link-dir/keep.txt", "link-file", "link-sym",
                                    "nested", "nested/link-dir", "nested/link-dir/index.php",
                                    "nested/link-file", "public", "public/index.php"}));
}

// The simplest form of the above, each case alone, so that a failure names
// the one that broke.
struct OverCase {
  const char* name;
  const char* link;       // where the tree has a symlink to outside/
  const char* member;     // the file the package ships
  const char* zip_flags;  // -D: no directory entries
};

constexpr OverCase kOverCases[] = {
    {"TopFile", "a", "a", ""},
    {"TopDirectory", "a", "a/keep.txt", ""},
    {"TopImpliedDirectory", "a", "a/keep.txt", "-D"},
    {"NestedFile", "d/a", "d/a", ""},
    {"NestedDirectory", "d/a", "d/a/keep.txt", ""},
    {"NestedImpliedDirectory", "d/a", "d/a/keep.txt", "-D"},
};

void PrintTo(const OverCase& c, std::ostream* os) { *os << c.name; }

class UnpackOverSymlinkTest : public ::testing::TestWithParam<OverCase> {};

TEST_P(UnpackOverSymlinkTest, ReplacesTheSymlinkAndLeavesItsTargetAlone) {
  TempDir tmp;
  const std::string outside = tmp.Sub("outside");
  WriteFile(outside + "/keep.txt", "outside, keep me\n");
  WriteFile(outside + "/a", "outside a\n");
  const std::string into = tmp.Sub("into");
  MakeDir(into + "/d");
  WriteFile(into + "/d/other", "other\n");
  MakeSymlink(outside, into + "/" + GetParam().link);
  WriteFile(tmp.Sub("src/pkg/") + GetParam().member, "from the package\n");
  const std::string archive = tmp.Sub("pkg.zip");
  ASSERT_TRUE(Sh(tmp.Sub("src"),
                 absl::StrCat("zip -q -r -y ", GetParam().zip_flags, " ", Quote(archive), " pkg")));
  TreeSnapshotOptions whole;
  whole.root = true;
  whole.exclude = {};
  const Snapshot before = TakeTreeSnapshot(outside, whole);
  UnpackOptions options;
  options.over_existing = true;
  absl::StatusOr<CopyStats> stats = UnpackArchive(Env::Default(), ArchivePath{archive, {}, "pkg"},
                                                  Entry{AT_FDCWD, into, into}, options);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(DiffSnapshots(before, TakeTreeSnapshot(outside, whole)), "");
  struct stat st;
  ASSERT_EQ(lstat((into + "/" + GetParam().link).c_str(), &st), 0);
  EXPECT_FALSE(S_ISLNK(st.st_mode)) << "still a symlink";
  EXPECT_EQ(testing::ContentOrMissing(into + "/" + GetParam().member), "from the package\n");
  EXPECT_EQ(testing::ContentOrMissing(into + "/d/other"), "other\n");
}

INSTANTIATE_TEST_SUITE_P(Cases, UnpackOverSymlinkTest, ::testing::ValuesIn(kOverCases),
                         [](const ::testing::TestParamInfo<OverCase>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace persist
