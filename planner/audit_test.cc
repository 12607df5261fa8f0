// Copyright persist authors.

#include "planner/audit.h"

#include <fcntl.h>

#include "fsops/env.h"
#include "fsops/copy_tree.h"
#include "fsops/tree.h"
#include "journal/manifest_stream.h"
#include "gtest/gtest.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using testing::MakeDir;
using testing::MakeSymlink;
using testing::WriteFile;

// Copies `from` (absolute) to site/releases/<id> recording the manifest, as
// an import does.
std::string Stage(const Root& site, const std::string& from, const std::string& id) {
  ManifestWriter manifest;
  CopyOptions options;
  options.manifest = &manifest;
  absl::StatusOr<Fd> releases = site.OpenDir("releases");
  EXPECT_TRUE(releases.ok());
  absl::Status status = CopyTree(Env::Default(), Entry{AT_FDCWD, from, from},
                                 Entry{releases->get(), id, "releases/" + id}, options);
  EXPECT_TRUE(status.ok()) << status;
  return manifest.Finish("releases/" + id, id).record();
}

ManifestReader Read(const std::string& record) {
  absl::StatusOr<ManifestReader> reader = ManifestReader::Open(record);
  EXPECT_TRUE(reader.ok()) << reader.status();
  return *std::move(reader);
}

std::vector<std::string> Diff(const std::string& a, const std::string& b) {
  ManifestReader ra = Read(a), rb = Read(b);
  absl::StatusOr<std::vector<Change>> changes = DiffManifests(ra, rb);
  EXPECT_TRUE(changes.ok()) << changes.status();
  std::vector<std::string> got;
  if (!changes.ok()) return got;
  for (const Change& c : *changes) got.push_back(std::string(ChangeName(c.kind)) + " " + c.path);
  return got;
}

absl::StatusOr<ReleaseCheck> Check(const Root& site, const std::string& m, bool quick) {
  ManifestReader reader = Read(m);
  return CheckRelease(site, reader.release_path(), reader, quick);
}

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.Sub("v1/app/Controller.php"), "<?php // v1\n");
    WriteFile(dir_.Sub("v1/public/css/app.css"), "body{}\n");
    WriteFile(dir_.Sub("v1/legacy.js"), "old\n");
    WriteFile(dir_.Sub("v1/artisan"), "#!php\n", 0755);
    MakeSymlink("app/Controller.php", dir_.Sub("v1/link"));
    WriteFile(dir_.Sub("v1/public/uploads/demo.jpg"), "demo");
    WriteFile(dir_.Sub("v2/app/Controller.php"), "<?php // v2\n");
    WriteFile(dir_.Sub("v2/public/css/app.css"), "body{}\n");
    WriteFile(dir_.Sub("v2/artisan"), "#!php\n", 0700);
    MakeDir(dir_.Sub("v2/legacy.js"));
    MakeSymlink("app/Other.php", dir_.Sub("v2/link"));
    WriteFile(dir_.Sub("v2/app/New.php"), "<?php\n");
    WriteFile(dir_.Sub("v2/public/uploads/demo.jpg"), "demo");
    MakeDir(dir_.Sub("site/releases"));
    MakeDir(dir_.Sub("site/shared/public/uploads"));
    root_ = *Root::Open(Env::Default(), dir_.Sub("site"));
  }

  testing::TempDir dir_;
  std::unique_ptr<Root> root_;
};

TEST_F(AuditTest, DiffNamesExactlyWhatChangedBetweenTwoReleases) {
  std::string a = Stage(*root_, dir_.Sub("v1"), "r1");
  std::string b = Stage(*root_, dir_.Sub("v2"), "r2");
  EXPECT_EQ(Diff(a, b), (std::vector<std::string>{"modified app/Controller.php", "added app/New.php",
                                                  "mode artisan", "type legacy.js", "modified link"}));
  EXPECT_TRUE(Diff(a, a).empty());
  EXPECT_EQ(Diff(b, a), (std::vector<std::string>{"modified app/Controller.php", "removed app/New.php",
                                                  "mode artisan", "type legacy.js", "modified link"}));
}

TEST_F(AuditTest, AnUntouchedReleaseMatchesItsManifest) {
  std::string m = Stage(*root_, dir_.Sub("v1"), "r1");
  absl::StatusOr<ReleaseCheck> check = Check(*root_, m, false);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_TRUE(check->tampered.empty()) << check->tampered[0].path << " " << check->tampered[0].what;
  EXPECT_TRUE(check->drifted.empty());
  EXPECT_EQ(check->checked, 11);  // the release, 4 directories, 5 files, a link
}

TEST_F(AuditTest, ATamperedFileIsFoundEvenWhenItsSizeAndMtimeAreKept) {
  std::string m = Stage(*root_, dir_.Sub("v1"), "r1");
  const std::string file = dir_.Sub("site/releases/r1/app/Controller.php");
  struct stat before;
  ASSERT_EQ(lstat(file.c_str(), &before), 0);
  WriteFile(file, "<?php // v9\n");  // same length
  struct timespec times[2] = {before.st_atim, before.st_mtim};
  utimensat(AT_FDCWD, file.c_str(), times, 0);
  absl::StatusOr<ReleaseCheck> full = Check(*root_, m, false);
  ASSERT_TRUE(full.ok());
  ASSERT_EQ(full->tampered.size(), 1u);
  EXPECT_EQ(full->tampered[0].path, "releases/r1/app/Controller.php");
  EXPECT_NE(full->tampered[0].what.find("SHA-256"), std::string::npos);
  absl::StatusOr<ReleaseCheck> quick = Check(*root_, m, true);
  ASSERT_TRUE(quick.ok());
  EXPECT_TRUE(quick->tampered.empty()) << "--quick trusts size and mtime, as documented";
}

TEST_F(AuditTest, MissingAndModeChangedFilesAreTampering) {
  std::string m = Stage(*root_, dir_.Sub("v1"), "r1");
  unlink(dir_.Sub("site/releases/r1/legacy.js").c_str());
  chmod(dir_.Sub("site/releases/r1/artisan").c_str(), 0777);
  absl::StatusOr<ReleaseCheck> check = Check(*root_, m, false);
  ASSERT_TRUE(check.ok());
  ASSERT_EQ(check->tampered.size(), 2u);
  EXPECT_EQ(check->tampered[0].path, "releases/r1/artisan");
  EXPECT_NE(check->tampered[0].what.find("mode"), std::string::npos);
  EXPECT_EQ(check->tampered[1].path, "releases/r1/legacy.js");
  EXPECT_NE(check->tampered[1].what.find("missing"), std::string::npos);
}

TEST_F(AuditTest, DriftIsNamedAtItsTopWithTheCommandThatProtectsIt) {
  std::string m = Stage(*root_, dir_.Sub("v1"), "r1");
  WriteFile(dir_.Sub("site/releases/r1/public/gallery/a.jpg"), "a");
  WriteFile(dir_.Sub("site/releases/r1/public/gallery/b.jpg"), "b");
  WriteFile(dir_.Sub("site/releases/r1/app/shell.php"), "<?php system($_GET['c']);");
  absl::StatusOr<ReleaseCheck> check = Check(*root_, m, false);
  ASSERT_TRUE(check.ok());
  ASSERT_EQ(check->drifted.size(), 2u);
  EXPECT_EQ(check->drifted[0].path, "releases/r1/app/shell.php");
  EXPECT_EQ(check->drifted[1].path, "releases/r1/public/gallery");
  EXPECT_NE(check->drifted[1].fix.find("persist custom add public/gallery/"), std::string::npos);
}

TEST_F(AuditTest, PathsLinkedIntoSharedAreSharedDataNotDrift) {
  std::string m = Stage(*root_, dir_.Sub("v1"), "r1");
  testing::RemoveAll(dir_.Sub("site/releases/r1/public/uploads"));
  MakeSymlink("../../../shared/public/uploads", dir_.Sub("site/releases/r1/public/uploads"));
  WriteFile(dir_.Sub("site/shared/public/uploads/user.jpg"), "u");
  absl::StatusOr<ReleaseCheck> check = Check(*root_, m, false);
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->tampered.empty()) << check->tampered[0].path;
  EXPECT_TRUE(check->drifted.empty()) << check->drifted[0].path;
}

// Names whose string order is not their walk order ("a-c" < "a/b" as
// strings): the merges must not take one for missing or added.
TEST_F(AuditTest, NamesThatSortDifferentlyAsStringsAreMatched) {
  WriteFile(dir_.Sub("v3/a/b"), "b");
  WriteFile(dir_.Sub("v3/a-c"), "c");
  WriteFile(dir_.Sub("v3/a.d/e"), "e");
  std::string m = Stage(*root_, dir_.Sub("v3"), "r3");
  absl::StatusOr<ReleaseCheck> check = Check(*root_, m, false);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_TRUE(check->tampered.empty()) << check->tampered[0].path << " " << check->tampered[0].what;
  EXPECT_TRUE(check->drifted.empty()) << check->drifted[0].path;
  EXPECT_EQ(check->checked, 6);

  WriteFile(dir_.Sub("v4/a/b"), "b2");
  WriteFile(dir_.Sub("v4/a-c"), "c");
  WriteFile(dir_.Sub("v4/a/bb"), "new");
  std::string n = Stage(*root_, dir_.Sub("v4"), "r4");
  EXPECT_EQ(Diff(m, n), (std::vector<std::string>{"modified a/b", "added a/bb", "removed a.d",
                                                  "removed a.d/e"}));
}

TEST_F(AuditTest, AMissingDirectoryIsNamedOnceAndWhatItHeldNot) {
  std::string m = Stage(*root_, dir_.Sub("v1"), "r1");
  testing::RemoveAll(dir_.Sub("site/releases/r1/public"));
  absl::StatusOr<ReleaseCheck> check = Check(*root_, m, false);
  ASSERT_TRUE(check.ok()) << check.status();
  ASSERT_EQ(check->tampered.size(), 1u);
  EXPECT_EQ(check->tampered[0].path, "releases/r1/public");
  EXPECT_NE(check->tampered[0].what.find("missing"), std::string::npos);
}

TEST_F(AuditTest, ADirectoryReplacedByAFileIsATypeChangeAndItsEntriesAreMissing) {
  std::string m = Stage(*root_, dir_.Sub("v1"), "r1");
  testing::RemoveAll(dir_.Sub("site/releases/r1/app"));
  WriteFile(dir_.Sub("site/releases/r1/app"), "not a directory");
  absl::StatusOr<ReleaseCheck> check = Check(*root_, m, false);
  ASSERT_TRUE(check.ok()) << check.status();
  ASSERT_EQ(check->tampered.size(), 2u);
  EXPECT_EQ(check->tampered[0].path, "releases/r1/app");
  EXPECT_NE(check->tampered[0].what.find("was a directory"), std::string::npos)
      << check->tampered[0].what;
  EXPECT_EQ(check->tampered[1].path, "releases/r1/app/Controller.php");
}

TEST_F(AuditTest, ADamagedManifestIsAnErrorNotACleanResult) {
  std::string good = Stage(*root_, dir_.Sub("v1"), "r1");
  absl::StatusOr<Manifest> whole = DecodeManifest(good);
  ASSERT_TRUE(whole.ok());
  whole->mutable_entry(3)->set_path("../../etc");
  const std::string bad = EncodeManifest(*whole).record();
  ManifestReader reader = Read(bad);
  absl::StatusOr<ReleaseCheck> check = CheckRelease(*root_, "releases/r1", reader, false);
  EXPECT_TRUE(absl::IsDataLoss(check.status())) << check.status();

  ManifestReader a = Read(good), b = Read(bad);
  absl::StatusOr<std::vector<Change>> changes = DiffManifests(a, b);
  EXPECT_TRUE(absl::IsDataLoss(changes.status())) << changes.status();
}

}  // namespace
}  // namespace persist
