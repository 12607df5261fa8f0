// Copyright persist authors.
//
// CopyTree's workers, its manifest and its dedupe. The basic copy (modes,
// times, symlinks, refusals) is in tree_test.cc.

#include "fsops/copy_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fsops/describe_op.h"
#include "fsops/digest.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "fsops/testing/env_wrapper.h"
#include "fsops/testing/fault_env.h"
#include "gtest/gtest.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::DiffSnapshots;
using ::persist::testing::MakeDir;
using ::persist::testing::MakeSymlink;
using ::persist::testing::ReadFile;
using ::persist::testing::TakeSnapshot;
using ::persist::testing::TempDir;
using ::persist::testing::WriteFile;

struct stat StatOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st;
}

void SetMtime(const std::string& path, time_t sec) {
  struct timespec times[2] = {{sec, 5}, {sec, 5}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

// A release of `dirs` directories of `files` files each, a read-only
// directory among them, with fixed mtimes.
void BuildRelease(const std::string& root, int dirs, int files) {
  for (int d = 0; d < dirs; ++d) {
    for (int f = 0; f < files; ++f) {
      const std::string path = absl::StrCat(root, "/vendor/pkg", d, "/src/File", f, ".php");
      WriteFile(path, absl::StrCat("<?php // ", d, "/", f, "\n", std::string(f * 97 % 5000, 'x')),
                f % 7 == 0 ? 0755 : 0644);
      SetMtime(path, 1700000000 + f);
    }
  }
  MakeSymlink("../vendor", root + "/public/vendor-link");
  MakeDir(root + "/config", 0555);
  SetMtime(root + "/vendor/pkg0/src", 1600000000);
}

// Collects a copy's manifest, and notes any Add that overlapped another.
class CollectingSink : public ManifestSink {
 public:
  void Clear() override { manifest.clear_entry(); }
  void Add(const ManifestEntry& entry) override {
    if (inside_.exchange(true)) overlapped = true;
    *manifest.add_entry() = entry;
    inside_ = false;
  }

  Manifest manifest;
  bool overlapped = false;

 private:
  std::atomic<bool> inside_{false};
};

absl::Status Copy(const std::string& from, const std::string& to, const CopyOptions& options,
                  Env* env = Env::Default()) {
  return CopyTree(env, Entry{AT_FDCWD, from, from}, Entry{AT_FDCWD, to, to}, options);
}

TEST(CopyTreeWorkersTest, ManyWorkersCopyExactlyWhatOneWorkerCopies) {
  TempDir tmp;
  BuildRelease(tmp.path() + "/src", 20, 30);
  CopyOptions one;
  one.workers = 1;
  CopyOptions many;
  many.workers = 4;
  ASSERT_TRUE(Copy(tmp.path() + "/src", tmp.path() + "/one", one).ok());
  ASSERT_TRUE(Copy(tmp.path() + "/src", tmp.path() + "/many", many).ok());
  const auto source = TakeSnapshot(tmp.path() + "/src");
  EXPECT_EQ(DiffSnapshots(source, TakeSnapshot(tmp.path() + "/one")), "");
  EXPECT_EQ(DiffSnapshots(source, TakeSnapshot(tmp.path() + "/many")), "");
}

TEST(CopyTreeWorkersTest, TheManifestIsInSortedWalkOrderWithTheDigestOfEveryFile) {
  TempDir tmp;
  BuildRelease(tmp.path() + "/src", 6, 25);
  // Names whose plain string order is not their walk order.
  ASSERT_EQ(mkdir((tmp.path() + "/src/a").c_str(), 0755), 0);
  WriteFile(tmp.path() + "/src/a/b", "in a/");
  WriteFile(tmp.path() + "/src/a-c", "beside a/");
  CollectingSink sink;
  sink.Add(ManifestEntry());  // left from an earlier copy: dropped
  CopyStats stats;
  CopyOptions options;
  options.workers = 4;
  options.manifest = &sink;
  options.stats = &stats;
  ASSERT_TRUE(Copy(tmp.path() + "/src", tmp.path() + "/dst", options).ok());
  const Manifest& manifest = sink.manifest;
  EXPECT_FALSE(sink.overlapped);
  EXPECT_EQ(stats.files, 152u);
  ASSERT_GT(manifest.entry_size(), 152);
  EXPECT_EQ(manifest.entry(0).path(), "");
  EXPECT_EQ(manifest.entry(0).type(), DIRECTORY);
  for (int i = 1; i < manifest.entry_size(); ++i) {
    EXPECT_TRUE(PathBefore(manifest.entry(i - 1).path(), manifest.entry(i).path()))
        << manifest.entry(i - 1).path() << " then " << manifest.entry(i).path();
  }
  std::vector<std::string> paths;
  for (const ManifestEntry& entry : manifest.entry()) paths.push_back(entry.path());
  const auto at = [&](const std::string& path) {
    return std::find(paths.begin(), paths.end(), path) - paths.begin();
  };
  EXPECT_LT(at("a"), at("a/b"));
  EXPECT_LT(at("a/b"), at("a-c"));
  EXPECT_LT(at("a-c"), static_cast<long>(paths.size()));
  int files = 0;
  for (const ManifestEntry& entry : manifest.entry()) {
    if (entry.type() != REGULAR) continue;
    ++files;
    EXPECT_EQ(entry.digest(), DigestBytes(ReadFile(tmp.path() + "/dst/" + entry.path())))
        << entry.path();
  }
  EXPECT_EQ(files, 152);
}

// Counts the write-backs a copy asks for.
class WriteBackCounter : public FaultEnv {
 public:
  using FaultEnv::FaultEnv;
  void WriteBack(int fd) override {
    ++write_backs_;
    FaultEnv::WriteBack(fd);
  }
  int write_backs() const { return write_backs_.load(); }

 private:
  std::atomic<int> write_backs_{0};
};

TEST(CopyTreeWriteBackTest, ACopyToBeSyncedIsFlushedAsItGrowsAndCopiedExactly) {
  TempDir tmp;
  BuildRelease(tmp.path() + "/src", 8, 30);  // about 300 KB of files
  WriteBackCounter env(Env::Default());
  CopyOptions options;
  options.workers = 2;
  options.write_back_every = 32 * 1024;
  ASSERT_TRUE(Copy(tmp.path() + "/src", tmp.path() + "/dst", options, &env).ok());
  EXPECT_EQ(DiffSnapshots(TakeSnapshot(tmp.path() + "/src"), TakeSnapshot(tmp.path() + "/dst")), "");
  // The helper may fall behind and flush once for several steps, but it
  // flushes: each flush waits for the next 32 KiB after it.
  EXPECT_GE(env.write_backs(), 1);
  EXPECT_LE(env.write_backs(), 300 * 1024 / (32 * 1024) + 1);
  EXPECT_EQ(env.mutations(), [&] {
    FaultEnv plain(Env::Default());
    CopyOptions without = options;
    without.write_back_every = 0;
    EXPECT_TRUE(Copy(tmp.path() + "/src", tmp.path() + "/plain", without, &plain).ok());
    return plain.mutations();
  }()) << "a write-back is a hint, not a fault point: the campaigns' counts stay the same";
}

TEST(CopyTreeWriteBackTest, NoWriteBackUnlessAsked) {
  TempDir tmp;
  BuildRelease(tmp.path() + "/src", 8, 30);
  WriteBackCounter env(Env::Default());
  CopyOptions options;
  ASSERT_TRUE(Copy(tmp.path() + "/src", tmp.path() + "/dst", options, &env).ok());
  EXPECT_EQ(env.write_backs(), 0);
}

TEST(CopyTreeWorkersTest, AnErrorInAWorkerFailsTheCopyWithThatError) {
  TempDir tmp;
  BuildRelease(tmp.path() + "/src", 5, 20);
  FaultEnv env(Env::Default());
  env.FailAt(37, ENOSPC, FaultEnv::Kind::kWrite);
  CopyOptions options;
  options.workers = 3;
  CollectingSink sink;
  options.manifest = &sink;
  absl::Status status = Copy(tmp.path() + "/src", tmp.path() + "/dst", options, &env);
  EXPECT_EQ(StatusErrno(status), ENOSPC) << status;
  EXPECT_TRUE(env.injected());
}

// Deploys src over prev as `dedupe` says; returns the stats.
CopyStats CopyWithDedupe(const std::string& src, const std::string& prev, const std::string& to,
                         DedupeMode dedupe) {
  CopyStats stats;
  CopyOptions options;
  options.previous = Entry{AT_FDCWD, prev, prev};
  options.dedupe = dedupe;
  options.stats = &stats;
  CollectingSink sink;
  options.manifest = &sink;
  absl::Status status = Copy(src, to, options);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(DiffSnapshots(TakeSnapshot(src), TakeSnapshot(to)), "");
  for (const ManifestEntry& entry : sink.manifest.entry()) {
    if (entry.type() == REGULAR) {
      EXPECT_EQ(entry.digest(), DigestBytes(ReadFile(to + "/" + entry.path()))) << entry.path();
    }
  }
  return stats;
}

TEST(CopyTreeDedupeTest, HardlinkSharesTheInodesOfUnchangedFilesOnly) {
  TempDir tmp;
  const std::string v1 = tmp.path() + "/v1", v2 = tmp.path() + "/v2";
  BuildRelease(v1, 4, 10);
  BuildRelease(v2, 4, 10);
  // Changed content, same size and mtime: must be copied.
  WriteFile(v2 + "/vendor/pkg1/src/File3.php", std::string(ReadFile(v1 + "/vendor/pkg1/src/File3.php").size(), 'Y'));
  SetMtime(v2 + "/vendor/pkg1/src/File3.php", 1700000003);
  // Same content, another mode: a hard link would change the old release's.
  ASSERT_EQ(chmod((v2 + "/vendor/pkg2/src/File1.php").c_str(), 0600), 0);
  // Same content, another mtime.
  SetMtime(v2 + "/vendor/pkg3/src/File2.php", 1500000000);
  ASSERT_EQ(system(absl::StrCat("cp -a ", v1, " ", tmp.path(), "/prev").c_str()), 0);

  CopyStats stats = CopyWithDedupe(v2, tmp.path() + "/prev", tmp.path() + "/new", DEDUPE_HARDLINK);
  EXPECT_EQ(stats.files, 40u);
  EXPECT_EQ(stats.linked, 37u);
  auto same_inode = [&](const std::string& rel) {
    return StatOf(tmp.path() + "/prev/" + rel).st_ino == StatOf(tmp.path() + "/new/" + rel).st_ino;
  };
  EXPECT_TRUE(same_inode("vendor/pkg0/src/File0.php"));
  EXPECT_FALSE(same_inode("vendor/pkg1/src/File3.php"));
  EXPECT_FALSE(same_inode("vendor/pkg2/src/File1.php"));
  EXPECT_FALSE(same_inode("vendor/pkg3/src/File2.php"));
  // The previous release is untouched.
  EXPECT_EQ(DiffSnapshots(TakeSnapshot(v1), TakeSnapshot(tmp.path() + "/prev")), "");
}

TEST(CopyTreeDedupeTest, AFileEditedInPlaceInThePreviousReleaseIsCopiedNotSpread) {
  TempDir tmp;
  const std::string v1 = tmp.path() + "/v1";
  BuildRelease(v1, 2, 5);
  ASSERT_EQ(system(absl::StrCat("cp -a ", v1, " ", tmp.path(), "/prev").c_str()), 0);
  // Tampered with, size and mtime kept, as an attacker would.
  const std::string tampered = tmp.path() + "/prev/vendor/pkg0/src/File2.php";
  const std::string original = ReadFile(tampered);
  WriteFile(tampered, std::string(original.size(), '!'), 0644);
  SetMtime(tampered, 1700000002);
  CopyStats stats = CopyWithDedupe(v1, tmp.path() + "/prev", tmp.path() + "/new", DEDUPE_HARDLINK);
  EXPECT_EQ(stats.linked, 9u);
  EXPECT_EQ(ReadFile(tmp.path() + "/new/vendor/pkg0/src/File2.php"), original);
}

// Reads a collected manifest back, as the journal's reader does.
class VectorSource : public ManifestSource {
 public:
  explicit VectorSource(const Manifest& manifest) : manifest_(manifest) {}
  bool Next(ManifestEntry* entry) override {
    if (next_ >= manifest_.entry_size()) return false;
    *entry = manifest_.entry(next_++);
    return true;
  }

 private:
  const Manifest& manifest_;
  int next_ = 0;
};

// Stages `src` at `to` with dedupe against `prev` and its manifest; returns
// the new manifest.
Manifest StageWithManifest(const std::string& src, const std::string& to, const std::string& prev,
                           const Manifest* prev_manifest, CopyStats* stats) {
  CollectingSink sink;
  CopyOptions options;
  options.manifest = &sink;
  options.stats = stats;
  std::unique_ptr<VectorSource> source;
  if (prev_manifest != nullptr) {
    source = std::make_unique<VectorSource>(*prev_manifest);
    options.previous = Entry{AT_FDCWD, prev, prev};
    options.previous_manifest = source.get();
    options.dedupe = DEDUPE_HARDLINK;
  }
  absl::Status status = Copy(src, to, options);
  EXPECT_TRUE(status.ok()) << status;
  return sink.manifest;
}

TEST(CopyTreeDedupeTest, TheManifestRecordsEveryFilesIdentityAsStaged) {
  TempDir tmp;
  BuildRelease(tmp.path() + "/v1", 2, 5);
  CopyStats stats;
  const Manifest first = StageWithManifest(tmp.path() + "/v1", tmp.path() + "/r1", "", nullptr, &stats);
  const Manifest second =
      StageWithManifest(tmp.path() + "/v1", tmp.path() + "/r2", tmp.path() + "/r1", &first, &stats);
  EXPECT_EQ(stats.linked, 10u);
  for (const auto& [manifest, dir] : {std::make_pair(&first, "/r1"), std::make_pair(&second, "/r2")}) {
    int files = 0;
    for (const ManifestEntry& entry : manifest->entry()) {
      if (entry.type() != REGULAR) continue;
      ++files;
      // Hard-linked files: the identity after the link, which moved the ctime.
      const struct stat st = StatOf(tmp.path() + dir + "/" + entry.path());
      EXPECT_EQ(entry.inode(), st.st_ino) << dir << " " << entry.path();
      if (manifest == &second) {
        EXPECT_EQ(entry.ctime_ns(), TimespecNs(st.st_ctim)) << entry.path();
      }
    }
    EXPECT_EQ(files, 10) << dir;
  }
}

// White-box: a manifest entry that matches the previous file's identity is
// taken at its word, the previous file unread. Here the entry is forged (the
// digest of other content): the link proves the previous file was not read.
// Only someone who can write the journal can forge one; and every write to
// the file itself moves its ctime (next test).
TEST(CopyTreeDedupeTest, APreviousFileOfUnchangedIdentityIsComparedByItsManifestDigest) {
  TempDir tmp;
  const std::string v1 = tmp.path() + "/v1";
  BuildRelease(v1, 2, 5);
  CopyStats stats;
  Manifest first = StageWithManifest(v1, tmp.path() + "/r1", "", nullptr, &stats);
  const std::string rel = "vendor/pkg1/src/File3.php";
  const std::string shipped = ReadFile(v1 + "/" + rel);
  const std::string v2 = tmp.path() + "/v2";
  ASSERT_EQ(system(absl::StrCat("cp -a ", v1, " ", v2).c_str()), 0);
  WriteFile(v2 + "/" + rel, std::string(shipped.size(), 'Z'));
  SetMtime(v2 + "/" + rel, 1700000003);
  for (ManifestEntry& entry : *first.mutable_entry()) {
    if (entry.path() == rel) entry.set_digest(DigestBytes(std::string(shipped.size(), 'Z')));
  }
  StageWithManifest(v2, tmp.path() + "/r2", tmp.path() + "/r1", &first, &stats);
  EXPECT_EQ(stats.linked, 10u);
  EXPECT_EQ(StatOf(tmp.path() + "/r2/" + rel).st_ino, StatOf(tmp.path() + "/r1/" + rel).st_ino);
}

// White-box: a release made from the previous one itself (an update
// package's base) reads none of its files: a source that is the previous
// file, unchanged since its manifest, is known by that manifest. The entry's
// digest is forged, and the copy's manifest carries it: nothing was read.
TEST(CopyTreeDedupeTest, ACopyOfThePreviousReleaseItselfReadsNoFile) {
  TempDir tmp;
  BuildRelease(tmp.path() + "/v1", 2, 5);
  CopyStats stats;
  Manifest first = StageWithManifest(tmp.path() + "/v1", tmp.path() + "/r1", "", nullptr, &stats);
  const std::string rel = "vendor/pkg1/src/File3.php";
  const std::string forged = DigestBytes("not what the file holds");
  for (ManifestEntry& entry : *first.mutable_entry()) {
    if (entry.path() == rel) entry.set_digest(forged);
  }
  stats = CopyStats();
  const Manifest second = StageWithManifest(tmp.path() + "/r1", tmp.path() + "/r2",
                                            tmp.path() + "/r1", &first, &stats);
  EXPECT_EQ(stats.linked, 10u);
  for (const ManifestEntry& entry : second.entry()) {
    if (entry.path() == rel) {
      EXPECT_EQ(entry.digest(), forged);
    }
  }
}

// Counts, by the path each call names, the stats of named entries and the
// directories opened.
class CountingEnv : public EnvWrapper {
 public:
  using EnvWrapper::EnvWrapper;

  absl::Status StatAt(int dir_fd, const std::string& name, struct stat* st,
                      const std::string& path) override {
    if (!name.empty()) Count(&stats_, path);
    return EnvWrapper::StatAt(dir_fd, name, st, path);
  }
  absl::StatusOr<int> OpenAt(int dir_fd, const std::string& name, int flags, mode_t mode,
                             const std::string& path) override {
    if ((flags & O_DIRECTORY) != 0) Count(&dir_opens_, path);
    return EnvWrapper::OpenAt(dir_fd, name, flags, mode, path);
  }

  int stats(const std::string& path) { return Get(stats_, path); }
  int dir_opens(const std::string& path) { return Get(dir_opens_, path); }
  int all_stats() {
    std::lock_guard<std::mutex> lock(mu_);
    int all = 0;
    for (const auto& [path, n] : stats_) all += n;
    return all;
  }

 private:
  void Count(std::map<std::string, int>* counts, const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    ++(*counts)[path];
  }
  int Get(const std::map<std::string, int>& counts, const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = counts.find(path);
    return it == counts.end() ? 0 : it->second;
  }

  std::mutex mu_;
  std::map<std::string, int> stats_, dir_opens_;
};

// Options that hard-link what `previous` holds byte for byte, listing the
// copy in `sink` and counting in `stats`.
CopyOptions HardLinkingFrom(const std::string& previous, CollectingSink* sink, CopyStats* stats) {
  CopyOptions options;
  options.previous = Entry{AT_FDCWD, previous, previous};
  options.dedupe = DEDUPE_HARDLINK;
  options.manifest = sink;
  options.stats = stats;
  return options;
}

// White-box: a copy of the previous release itself stats each of its files
// once, for the source and the previous file alike (they are one), then the
// link it made, for the manifest; and it opens each of its directories once,
// but for the top (the source and the previous release, found to be one).
// Every file is linked all the same, and the manifest holds its digest.
TEST(CopyTreeDedupeTest, ACopyOfThePreviousReleaseItselfStatsEachFileOnce) {
  TempDir tmp;
  const std::string r1 = tmp.path() + "/r1", r2 = tmp.path() + "/r2";
  BuildRelease(r1, 3, 4);
  CountingEnv env(Env::Default());
  CollectingSink sink;
  CopyStats stats;
  CopyOptions options = HardLinkingFrom(r1, &sink, &stats);
  const absl::Status status = Copy(r1, r2, options, &env);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(stats.files, 12u);
  EXPECT_EQ(stats.linked, 12u);
  EXPECT_EQ(DiffSnapshots(TakeSnapshot(r1), TakeSnapshot(r2)), "");
  int files = 0, dirs = 0;
  for (const ManifestEntry& entry : sink.manifest.entry()) {
    SCOPED_TRACE(entry.path());
    const std::string source = entry.path().empty() ? r1 : r1 + "/" + entry.path();
    if (entry.type() == REGULAR) {
      ++files;
      EXPECT_EQ(StatOf(r2 + "/" + entry.path()).st_ino, StatOf(source).st_ino);
      EXPECT_EQ(entry.digest(), DigestBytes(ReadFile(source)));
      EXPECT_EQ(env.stats(source), 1);
    } else if (entry.type() == DIRECTORY) {
      ++dirs;
      EXPECT_EQ(env.dir_opens(source), entry.path().empty() ? 2 : 1);
    }
  }
  EXPECT_EQ(files, 12);
  EXPECT_GT(dirs, 3);
  EXPECT_EQ(env.all_stats(), sink.manifest.entry_size() + files);
}

// An entry the caller leaves out is neither made nor listed, and nothing
// beneath it is asked about; the rest is copied as ever, hard-linked here.
TEST(CopyTreeDedupeTest, LeftOutEntriesAreNeitherCopiedNorListed) {
  TempDir tmp;
  const std::string r1 = tmp.path() + "/r1", r2 = tmp.path() + "/r2";
  BuildRelease(r1, 3, 4);
  const std::set<std::string> left_out = {"vendor/pkg1", "vendor/pkg0/src/File2.php",
                                          "public/vendor-link"};
  std::map<std::string, mode_t> asked;
  CollectingSink sink;
  CopyStats stats;
  CopyOptions options = HardLinkingFrom(r1, &sink, &stats);
  options.leave_out = [&](const std::string& rel, const struct stat& st) {
    EXPECT_TRUE(asked.emplace(rel, st.st_mode & S_IFMT).second) << "asked twice: " << rel;
    return left_out.count(rel) != 0;
  };
  const absl::Status status = Copy(r1, r2, options);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(DiffSnapshots(TakeSnapshot(r1, left_out), TakeSnapshot(r2)), "");
  EXPECT_EQ(stats.files, 7u);
  EXPECT_EQ(stats.linked, 7u);
  EXPECT_EQ(asked.count(""), 0u);
  EXPECT_EQ(asked["vendor/pkg1"], static_cast<mode_t>(S_IFDIR));
  EXPECT_EQ(asked["vendor/pkg0/src/File2.php"], static_cast<mode_t>(S_IFREG));
  EXPECT_EQ(asked["public/vendor-link"], static_cast<mode_t>(S_IFLNK));
  for (const auto& [rel, type] : asked) {
    EXPECT_FALSE(IsWithin(rel, "vendor/pkg1") && rel != "vendor/pkg1") << "asked about " << rel;
  }
  int files = 0;
  for (const ManifestEntry& entry : sink.manifest.entry()) {
    SCOPED_TRACE(entry.path());
    for (const std::string& gone : left_out) EXPECT_FALSE(IsWithin(entry.path(), gone));
    if (entry.type() == REGULAR) ++files;
  }
  EXPECT_EQ(files, 7);
}

TEST(CopyTreeDedupeTest, APreviousFileWrittenSinceItsManifestIsComparedByteForByte) {
  TempDir tmp;
  const std::string v1 = tmp.path() + "/v1";
  BuildRelease(v1, 2, 5);
  CopyStats stats;
  const Manifest first = StageWithManifest(v1, tmp.path() + "/r1", "", nullptr, &stats);
  // Tampered with in place, size and mtime put back: the ctime moved.
  const std::string rel = "vendor/pkg0/src/File2.php";
  const std::string tampered = tmp.path() + "/r1/" + rel;
  const std::string original = ReadFile(tampered);
  WriteFile(tampered, std::string(original.size(), '!'), 0644);
  SetMtime(tampered, 1700000002);
  const Manifest second =
      StageWithManifest(v1, tmp.path() + "/r2", tmp.path() + "/r1", &first, &stats);
  EXPECT_EQ(stats.linked, 9u);
  EXPECT_EQ(ReadFile(tmp.path() + "/r2/" + rel), original);
  EXPECT_NE(StatOf(tmp.path() + "/r2/" + rel).st_ino, StatOf(tampered).st_ino);
  EXPECT_EQ(DiffSnapshots(TakeSnapshot(v1), TakeSnapshot(tmp.path() + "/r2")), "");
}

TEST(CopyTreeDedupeTest, NothingBeneathASymlinkInThePreviousReleaseIsUsed) {
  TempDir tmp;
  const std::string v1 = tmp.path() + "/v1";
  BuildRelease(v1, 2, 3);
  // The previous release's vendor/ is a link elsewhere (as storage/ links into shared/).
  ASSERT_EQ(system(absl::StrCat("cp -a ", v1, "/vendor ", tmp.path(), "/elsewhere").c_str()), 0);
  MakeDir(tmp.path() + "/prev");
  MakeSymlink(tmp.path() + "/elsewhere", tmp.path() + "/prev/vendor");
  CopyStats stats = CopyWithDedupe(v1, tmp.path() + "/prev", tmp.path() + "/new", DEDUPE_HARDLINK);
  EXPECT_EQ(stats.linked, 0u);
  EXPECT_EQ(stats.files, 6u);
}

TEST(CopyTreeDedupeTest, AutoCopiesWhereTheFilesystemCannotReflink) {
  TempDir tmp;
  const std::string v1 = tmp.path() + "/v1";
  BuildRelease(v1, 2, 4);
  ASSERT_EQ(system(absl::StrCat("cp -a ", v1, " ", tmp.path(), "/prev").c_str()), 0);
  CopyStats stats = CopyWithDedupe(v1, tmp.path() + "/prev", tmp.path() + "/new", DEDUPE_AUTO);
  EXPECT_EQ(stats.files, 8u);
  EXPECT_EQ(stats.linked, 0u);
  // Wherever the files were cloned, each still has its own inode.
  EXPECT_NE(StatOf(tmp.path() + "/prev/vendor/pkg0/src/File0.php").st_ino,
            StatOf(tmp.path() + "/new/vendor/pkg0/src/File0.php").st_ino);
}

TEST(CopyTreeDedupeTest, ReflinkWhereTheFilesystemCannotIsAClearError) {
  TempDir tmp;
  const std::string v1 = tmp.path() + "/v1";
  BuildRelease(v1, 1, 2);
  ASSERT_EQ(system(absl::StrCat("cp -a ", v1, " ", tmp.path(), "/prev").c_str()), 0);
  // Probe: can this filesystem reflink at all?
  int in = open((tmp.path() + "/prev/vendor/pkg0/src/File0.php").c_str(), O_RDONLY);
  int out = open((tmp.path() + "/probe").c_str(), O_WRONLY | O_CREAT, 0600);
  const bool can_clone = Env::Default()->CloneFile(in, out, "probe").ok();
  close(in);
  close(out);
  if (can_clone) GTEST_SKIP() << "this filesystem can reflink";
  CopyOptions options;
  options.previous = Entry{AT_FDCWD, tmp.path() + "/prev", "prev"};
  options.dedupe = DEDUPE_REFLINK;
  absl::Status status = Copy(v1, tmp.path() + "/new", options);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(std::string(status.message()).find("cannot share blocks between files (reflink)"), std::string::npos)
      << status;
}

TEST(CopyTreeOwnerTest, EverythingCreatedTakesTheGivenOwner) {
  if (geteuid() != 0) GTEST_SKIP() << "changing owners needs root";
  TempDir tmp;
  BuildRelease(tmp.path() + "/src", 2, 3);
  ASSERT_EQ(chmod((tmp.path() + "/src/vendor/pkg0/src/File0.php").c_str(), 04755), 0);
  CopyOptions options;
  options.uid = 65534;
  options.gid = 65534;
  absl::Status status = Copy(tmp.path() + "/src", tmp.path() + "/dst", options);
  ASSERT_TRUE(status.ok()) << status;
  for (const std::string rel : {"", "/vendor", "/vendor/pkg1/src/File2.php", "/public/vendor-link",
                                "/config"}) {
    struct stat st = StatOf(tmp.path() + "/dst" + rel);
    EXPECT_EQ(st.st_uid, 65534u) << rel;
    EXPECT_EQ(st.st_gid, 65534u) << rel;
  }
  // The mode is set after the owner, so the set-user-ID bit survives.
  EXPECT_EQ(StatOf(tmp.path() + "/dst/vendor/pkg0/src/File0.php").st_mode & 07777, 04755u);
}

TEST(DedupeTest, EachModeHasItsFlagWordAndAnUnknownOneIsOff) {
  EXPECT_STREQ(DedupeName(DEDUPE_OFF), "off");
  EXPECT_STREQ(DedupeName(DEDUPE_AUTO), "auto");
  EXPECT_STREQ(DedupeName(DEDUPE_REFLINK), "reflink");
  EXPECT_STREQ(DedupeName(DEDUPE_HARDLINK), "hardlink");
  EXPECT_STREQ(DedupeName(static_cast<DedupeMode>(42)), "off");
}

}  // namespace
}  // namespace persist
