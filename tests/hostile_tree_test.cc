// Copyright persist authors.
//
// Hostile trees through whole deploys: names of any bytes (spaces, newlines,
// invalid UTF-8, 255 bytes), trees 100 levels deep (and paths longer than
// PATH_MAX), and symlinks leading out of the release. Each is deployed exactly (every byte of every name, file
// and link target, every mode and mtime), recorded in a manifest that reads
// back whole, pruned by a vendor update and undone exactly; no link is ever
// followed. Everything happens in the test's temporary directory: the links
// that lead "out" lead to a directory there, or are only read as links.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "workflows/deploy_flow.h"
#include "fsops/env.h"
#include "fsops/path.h"
#include "gtest/gtest.h"
#include "journal/recovery.h"
#include "journal/site.h"
#include "journal/transaction.h"
#include "planner/audit.h"
#include "spdlog/spdlog.h"
#include "tests/testing/sample_release.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace testing {
namespace {

// Names no shell script or UTF-8 decoder is ready for.
std::vector<std::string> HostileNames() {
  return {
      "a name with spaces.php",
      "new\nline.php",
      std::string("caf\xe9-latin1.php"),       // ISO-8859-1, not UTF-8
      std::string("\xff\xfe\xfd", 3),          // no text at all
      "emoji-\xf0\x9f\x98\x80.txt",            // valid UTF-8, four bytes
      std::string(251, 'n') + ".php",          // 255 bytes, the most a name holds
      "-rf",
      " leading space",
      "trailing space ",
      "back\\slash",
      "tab\tname",
      std::string("\x01\x7f", 2),
      "*?[glob].php",
      "quote'\"s.php",
  };
}

// A Laravel release whose app code and persistent paths hold every hostile
// name, trees 100 levels deep, and a persistent directory whose own name is
// not UTF-8 (public/*upload*/ takes it).
// The sample release's public/qrcodes/ is left out: kPersistent lists the
// persistent roots whose links the test checks.
void WriteHostileRelease(const std::string& dir, const std::string& version) {
  SampleRelease release = SampleRelease::Laravel(version);
  release.Without("public/qrcodes");
  for (const std::string& name : HostileNames()) {
    release.File("app/odd/" + name, "app file " + name + " " + version)
        .File("public/uploads/demo/" + name, "demo upload " + name)
        .Dir("public/css/" + name.substr(0, 250) + ".d", 0750);
  }
  const std::string long_dir = std::string(255, 'D');
  release.File("app/" + long_dir + "/" + std::string(255, 'f'), "at the end of two long names")
      .File("storage/app/" + long_dir + "/kept.txt", "storage under a long name")
      .File("public/\xff" "uploads/raw.jpg", "a directory named with a raw byte");
  std::string app_deep = "app/deep", storage_deep = "storage/app/deep";
  for (int i = 0; i < 100; ++i) {
    app_deep += "/d" + std::to_string(i);
    storage_deep += "/d" + std::to_string(i);
  }
  release.File(app_deep + "/leaf.php", "<?php // bottom of the app " + version + "\n")
      .File(storage_deep + "/leaf.php", "bottom of storage\n")
      .Write(dir);
}

absl::StatusOr<persist::Run> Deploy(const std::string& site, const std::string& source,
                                    const std::string& id, int keep = 5) {
  absl::StatusOr<std::unique_ptr<Site>> opened = Site::OpenForWriting(Env::Default(), site, "deploy");
  if (!opened.ok()) return opened.status();
  DeployRequest request;
  request.source = source;
  request.release_id = id;
  absl::StatusOr<DeployPlan> planned = PlanSiteDeploy(**opened, request, keep);
  if (!planned.ok()) return planned.status();
  RunOptions options;
  options.kind = "deploy";
  options.release = id;
  return ExecutePlan(**opened, planned->plan, options);
}

absl::StatusOr<persist::Run> Undo(const std::string& site) {
  absl::StatusOr<std::unique_ptr<Site>> opened = Site::OpenForWriting(Env::Default(), site, "undo");
  if (!opened.ok()) return opened.status();
  return UndoLatest(**opened, "");
}

// The entries of `snapshot` beneath `prefix`, keyed relative to it.
Snapshot Beneath(const Snapshot& snapshot, const std::string& prefix) {
  Snapshot out;
  for (const auto& [path, desc] : snapshot) {
    if (absl::StartsWith(path, prefix + "/")) out[path.substr(prefix.size() + 1)] = desc;
  }
  return out;
}

// `snapshot` without the entries at or beneath any of `roots`.
Snapshot Outside(const Snapshot& snapshot, const std::set<std::string>& roots) {
  Snapshot out;
  for (const auto& [path, desc] : snapshot) {
    bool inside = false;
    for (const std::string& root : roots) {
      inside = inside || path == root || absl::StartsWith(path, root + "/");
    }
    if (!inside) out[path] = desc;
  }
  return out;
}

// The persistent roots of WriteHostileRelease: in shared/, linked from it.
const std::set<std::string> kPersistent = {"storage", "bootstrap/cache", "public/uploads",
                                           "public/\xff" "uploads"};

class HostileTreeTest : public ::testing::Test {
 protected:
  HostileTreeTest() { spdlog::set_level(spdlog::level::warn); }
  std::string site() const { return dir_.Sub("site"); }

  // Reads the manifest of `release` from the site's journal, every entry,
  // and checks the live release against it, as persist verify does.
  void ReadAndCheck(const std::string& release, std::vector<ManifestEntry>* entries,
                    ReleaseCheck* check) {
    absl::StatusOr<std::unique_ptr<Site>> reader = Site::OpenForReading(Env::Default(), site());
    ASSERT_TRUE(reader.ok()) << reader.status();
    absl::StatusOr<std::unique_ptr<Store::ManifestView>> view =
        (*reader)->store().ReadManifest(release);
    ASSERT_TRUE(view.ok()) << view.status();
    ManifestReader& manifest = (*view)->reader();
    ManifestEntry entry;
    while (manifest.Next(&entry)) entries->push_back(entry);
    ASSERT_TRUE(manifest.status().ok()) << manifest.status();
    manifest.Rewind();
    absl::StatusOr<ReleaseCheck> checked =
        CheckRelease((*reader)->root(), release, manifest, /*quick=*/false);
    ASSERT_TRUE(checked.ok()) << checked.status();
    *check = *std::move(checked);
  }
  std::string upload(const std::string& v) const { return dir_.Sub("uploads/" + v); }

  // The release and shared/ hold exactly what the upload holds: app code in
  // the release, each persistent root in shared/ and a link to it in its place.
  void ExpectDeployedExactly(const std::string& v, const std::set<std::string>& persistent = kPersistent) {
    const Snapshot shipped = TakeSnapshot(upload(v));
    const Snapshot deployed = TakeSnapshot(site());
    const Snapshot release = Beneath(deployed, "releases/" + v);
    std::set<std::string> links = persistent;
    links.insert(".env");
    links.insert("public/.well-known");  // made in shared/ and linked though not shipped
    EXPECT_EQ(DiffSnapshots(Outside(shipped, links), Outside(release, links)), "")
        << "app code of " << v << " differs from its upload";
    for (const std::string& root : persistent) {
      ASSERT_EQ(release.count(root), 1u) << root;
      EXPECT_TRUE(absl::StrContains(release.at(root), "symlink -> ")) << root << ": " << release.at(root);
    }
  }

  testing::TempDir dir_;
};

TEST_F(HostileTreeTest, NamesOfAnyBytesAndTreesAHundredLevelsDeepAreDeployedPrunedAndUndoneExactly) {
  MakeDir(site());
  WriteHostileRelease(upload("v1"), "v1");
  WriteHostileRelease(upload("v2"), "v2");
  const Snapshot empty = TakeSnapshot(site());

  absl::StatusOr<persist::Run> first = Deploy(site(), upload("v1"), "v1");
  ASSERT_TRUE(first.ok()) << first.status();
  ExpectDeployedExactly("v1");
  // A first deploy moves the release's persistent roots into shared/ whole.
  const Snapshot shipped = TakeSnapshot(upload("v1"));
  const Snapshot shared = TakeSnapshot(site() + "/shared");
  for (const std::string& root : kPersistent) {
    EXPECT_EQ(DiffSnapshots(Beneath(shipped, root), Beneath(shared, root)), "") << root;
  }

  {
    // The manifest reads back with every name, byte for byte, and the live
    // release checks clean against it.
    std::vector<ManifestEntry> entries;
    ReleaseCheck check;
    ASSERT_NO_FATAL_FAILURE(ReadAndCheck("releases/v1", &entries, &check));
    std::set<std::string> recorded;
    for (const ManifestEntry& entry : entries) recorded.insert(entry.path());
    for (const std::string& name : HostileNames()) {
      EXPECT_EQ(recorded.count("app/odd/" + name), 1u) << PrintablePath(name);
    }
    EXPECT_TRUE(check.tampered.empty()) << check.tampered.front().path;
    EXPECT_TRUE(check.drifted.empty()) << check.drifted.front().path;
    EXPECT_GT(check.checked, 100) << "the deep tree alone has a hundred levels";
    absl::StatusOr<std::unique_ptr<Site>> reader = Site::OpenForReading(Env::Default(), site());
    ASSERT_TRUE(reader.ok()) << reader.status();
    absl::StatusOr<std::vector<persist::Run>> runs = (*reader)->store().ListRuns();
    ASSERT_TRUE(runs.ok()) << runs.status();
  }

  // A user uploads a file with a raw name into the live release (drift),
  // then the vendor's update prunes v1 (keep 1).
  WriteFile(site() + "/releases/v1/public/css/user\xff.css", "written after the deploy");
  const Snapshot live = TakeSnapshot(site());
  absl::StatusOr<persist::Run> second = Deploy(site(), upload("v2"), "v2", /*keep=*/1);
  ASSERT_TRUE(second.ok()) << second.status();
  ExpectDeployedExactly("v2");
  EXPECT_FALSE(PathExists(site() + "/releases/v1"));

  absl::StatusOr<persist::Run> undone = Undo(site());
  ASSERT_TRUE(undone.ok()) << undone.status();
  EXPECT_EQ(DiffSnapshots(live, TakeSnapshot(site())), "") << "undo of the vendor update";
  undone = Undo(site());
  ASSERT_TRUE(undone.ok()) << undone.status();
  // The drifted file was not the deploy's: undo keeps it in .persist/rescued/
  // and records its raw name in the run, which must stay readable.
  EXPECT_EQ(DiffSnapshots(empty, TakeSnapshot(site())), "") << "undo of the first deploy";
  absl::StatusOr<std::unique_ptr<Site>> reader = Site::OpenForReading(Env::Default(), site());
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<std::vector<persist::Run>> runs = (*reader)->store().ListRuns();
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 2u);
  std::vector<std::string> rescued(runs->front().rescued().begin(), runs->front().rescued().end());
  ASSERT_EQ(rescued.size(), 1u);
  EXPECT_TRUE(absl::EndsWith(rescued[0], "user\xff.css")) << PrintablePath(rescued[0]);
  EXPECT_EQ(ContentOrMissing(site() + "/" + rescued[0]), "written after the deploy");
}

// A release whose app code and shared data hold symlinks leading out of it:
// to /etc, to a directory outside the site, relative ones climbing out,
// dangling ones, a loop, a target that is not text. Each is deployed as the
// same link, recorded as a link, pruned and undone as a link: never read
// through, never written through, never removed through. The one directory
// they could be followed into that a test may watch is `outside`.
void WriteReleaseWithOutwardLinks(const std::string& dir, const std::string& outside,
                                  const std::string& version) {
  WriteFile(dir + "/.env.example", "APP_KEY=\n");
  WriteFile(dir + "/public/index.php", "<?php // " + version + "\n");
  MakeDir(dir + "/storage/logs");
  MakeDir(dir + "/bootstrap/cache");
  MakeSymlink("/etc", dir + "/public/etc");
  MakeSymlink("/etc/passwd", dir + "/app/passwd");
  MakeSymlink("../../../../../../../../etc/shadow", dir + "/app/shadow");
  MakeSymlink(outside, dir + "/app/outside");
  MakeSymlink(outside + "/secret.txt", dir + "/app/secret.txt");
  MakeSymlink("/nonexistent/persist-hostile-test", dir + "/app/dangling");
  MakeSymlink("loop-b", dir + "/app/loop-a");
  MakeSymlink("loop-a", dir + "/app/loop-b");
  MakeSymlink(std::string("\xff\n/etc", 6), dir + "/app/raw-target");
  // Inside persistent paths: they move into shared/ as links.
  MakeSymlink(outside, dir + "/public/uploads/outside");
  MakeSymlink("/etc", dir + "/storage/app/etc");
  int64_t t = 1700000000;
  for (const auto& [rel, desc] : TakeSnapshot(dir)) {
    if (desc.rfind("dir ", 0) != 0) SetMtime(dir + "/" + rel, t++);
  }
}

TEST_F(HostileTreeTest, SymlinksLeadingOutOfTheReleaseAreDeployedAsLinksAndNeverFollowed) {
  const std::string outside = dir_.Sub("outside");
  WriteFile(outside + "/secret.txt", "the secret outside the site\n");
  WriteFile(outside + "/sub/deeper.txt", "deeper outside\n");
  const Snapshot outside_before = TakeSnapshot(outside);
  MakeDir(site());
  WriteReleaseWithOutwardLinks(upload("v1"), outside, "v1");
  WriteReleaseWithOutwardLinks(upload("v2"), outside, "v2");
  const std::set<std::string> persistent = {"storage", "bootstrap/cache", "public/uploads"};
  const Snapshot empty = TakeSnapshot(site());

  absl::StatusOr<persist::Run> first = Deploy(site(), upload("v1"), "v1");
  ASSERT_TRUE(first.ok()) << first.status();
  ExpectDeployedExactly("v1", persistent);
  const Snapshot deployed = TakeSnapshot(site());
  EXPECT_EQ(deployed.at("shared/public/uploads/outside"), TakeSnapshot(upload("v1")).at("public/uploads/outside"));
  EXPECT_EQ(deployed.at("shared/storage/app/etc"), TakeSnapshot(upload("v1")).at("storage/app/etc"));
  for (const auto& [path, desc] : deployed) {
    EXPECT_FALSE(absl::StrContains(desc, "the secret outside the site")) << path << " was read through a link";
    EXPECT_FALSE(absl::StrContains(desc, "root:")) << path << " was read through a link";
  }
  {
    std::vector<ManifestEntry> entries;
    ReleaseCheck check;
    ASSERT_NO_FATAL_FAILURE(ReadAndCheck("releases/v1", &entries, &check));
    int links = 0;
    for (const ManifestEntry& entry : entries) {
      if (entry.type() == SYMLINK) ++links;
      if (entry.path() == "app/passwd") {
        EXPECT_EQ(entry.type(), SYMLINK);
        EXPECT_EQ(entry.link_target(), "/etc/passwd");
      }
    }
    EXPECT_EQ(links, 11) << "every link recorded as a link";
    EXPECT_TRUE(check.tampered.empty()) << check.tampered.front().path;
    EXPECT_TRUE(check.drifted.empty()) << check.drifted.front().path;
  }

  const Snapshot live = TakeSnapshot(site());
  absl::StatusOr<persist::Run> second = Deploy(site(), upload("v2"), "v2", /*keep=*/1);
  ASSERT_TRUE(second.ok()) << second.status();
  ExpectDeployedExactly("v2", persistent);
  absl::StatusOr<persist::Run> undone = Undo(site());
  ASSERT_TRUE(undone.ok()) << undone.status();
  EXPECT_EQ(DiffSnapshots(live, TakeSnapshot(site())), "");
  undone = Undo(site());
  ASSERT_TRUE(undone.ok()) << undone.status();
  EXPECT_EQ(DiffSnapshots(empty, TakeSnapshot(site())), "");
  EXPECT_EQ(DiffSnapshots(outside_before, TakeSnapshot(outside)), "") << "changed through a link";
}

// ---- Trees whose paths are longer than PATH_MAX ----
//
// 100 levels of 255-byte names make paths of 25,600 bytes, which no system
// call takes whole: everything here, as in persist, goes directory by open
// directory.

std::string LongName(int level) { return absl::StrCat(1000 + level, std::string(251, 'd')); }

// Makes `levels` directories below the directory open at `fd`, and a file
// at the bottom.
void WriteVeryDeepTree(int fd, int levels, const std::string& content) {
  int dir = dup(fd);
  for (int i = 0; i < levels; ++i) {
    ASSERT_EQ(mkdirat(dir, LongName(i).c_str(), 0755), 0);
    const int next = openat(dir, LongName(i).c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(next, 0);
    close(dir);
    dir = next;
  }
  const int file = openat(dir, "leaf.php", O_WRONLY | O_CREAT | O_EXCL, 0644);
  ASSERT_GE(file, 0);
  ASSERT_EQ(write(file, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  close(file);
  close(dir);
}

// A snapshot as TakeSnapshot makes it (type, mode, size, content, link
// target), mtimes aside, of the directory open at `fd`, by open directories.
void SnapshotAt(int fd, const std::string& rel, Snapshot* out) {
  DIR* dir = fdopendir(dup(fd));
  ASSERT_NE(dir, nullptr);
  std::vector<std::string> names;
  while (struct dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != ".." && !(rel.empty() && name == ".persist")) names.push_back(name);
  }
  closedir(dir);
  for (const std::string& name : names) {
    const std::string child = rel.empty() ? name : rel + "/" + name;
    struct stat st;
    ASSERT_EQ(fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW), 0) << child;
    if (S_ISDIR(st.st_mode)) {
      (*out)[child] = absl::StrCat("dir ", st.st_mode & 07777);
      const int sub = openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      ASSERT_GE(sub, 0) << child;
      SnapshotAt(sub, child, out);
      close(sub);
    } else if (S_ISLNK(st.st_mode)) {
      char target[4096];
      const ssize_t n = readlinkat(fd, name.c_str(), target, sizeof(target));
      ASSERT_GE(n, 0) << child;
      (*out)[child] = "symlink -> " + std::string(target, n);
    } else {
      std::string content(st.st_size, '\0');
      const int file = openat(fd, name.c_str(), O_RDONLY | O_NOFOLLOW);
      ASSERT_GE(file, 0) << child;
      ASSERT_EQ(read(file, content.data(), content.size()), st.st_size) << child;
      close(file);
      (*out)[child] = absl::StrCat("file ", st.st_mode & 07777, " ", content);
    }
  }
}

Snapshot TakeDeepSnapshot(const std::string& root) {
  Snapshot out;
  const int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY);
  EXPECT_GE(fd, 0) << root;
  SnapshotAt(fd, "", &out);
  close(fd);
  return out;
}

// Removes everything in the directory open at `fd`, by open directories
// (TempDir's nftw works by path string).
void EmptyAt(int fd) {
  DIR* dir = fdopendir(dup(fd));
  if (dir == nullptr) return;
  std::vector<std::string> names;
  while (struct dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(dir);
  for (const std::string& name : names) {
    const int sub = openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (sub >= 0) {
      fchmod(sub, 0700);
      EmptyAt(sub);
      close(sub);
      unlinkat(fd, name.c_str(), AT_REMOVEDIR);
    } else {
      unlinkat(fd, name.c_str(), 0);
    }
  }
}

// Empties a directory on the way out, pass or fail.
class EmptiedAtExit {
 public:
  explicit EmptiedAtExit(std::string dir) : dir_(std::move(dir)) {}
  ~EmptiedAtExit() {
    const int fd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return;
    EmptyAt(fd);
    close(fd);
  }

 private:
  std::string dir_;
};

TEST_F(HostileTreeTest, PathsLongerThanPathMaxAreDeployedCheckedPrunedAndUndoneExactly) {
  const EmptiedAtExit cleanup(dir_.path());
  MakeDir(site());
  for (const char* v : {"v1", "v2"}) {
    WriteFile(upload(v) + "/.env.example", "APP_KEY=\n");
    WriteFile(upload(v) + "/public/index.php", absl::StrCat("<?php // ", v, "\n"));
    MakeDir(upload(v) + "/app");
    MakeDir(upload(v) + "/storage/app");
    for (const char* under : {"/app", "/storage/app"}) {
      const int fd = open((upload(v) + under).c_str(), O_RDONLY | O_DIRECTORY);
      ASSERT_GE(fd, 0);
      WriteVeryDeepTree(fd, 100, absl::StrCat("<?php // the bottom of ", v, under, "\n"));
      close(fd);
    }
  }
  const Snapshot empty = TakeDeepSnapshot(site());
  ASSERT_TRUE(Deploy(site(), upload("v1"), "v1").ok());
  Snapshot shipped = TakeDeepSnapshot(upload("v1"));
  Snapshot deployed = TakeDeepSnapshot(site());
  EXPECT_EQ(DiffSnapshots(Beneath(shipped, "app"), Beneath(deployed, "releases/v1/app")), "");
  EXPECT_EQ(DiffSnapshots(Beneath(shipped, "storage"), Beneath(deployed, "shared/storage")), "");
  {
    std::vector<ManifestEntry> entries;
    ReleaseCheck check;
    ASSERT_NO_FATAL_FAILURE(ReadAndCheck("releases/v1", &entries, &check));
    EXPECT_TRUE(check.tampered.empty());
    EXPECT_TRUE(check.drifted.empty());
    EXPECT_GT(check.checked, 100);
  }
  const Snapshot live = TakeDeepSnapshot(site());
  absl::StatusOr<persist::Run> update = Deploy(site(), upload("v2"), "v2", /*keep=*/1);
  ASSERT_TRUE(update.ok()) << update.status().ToString().substr(0, 600);
  EXPECT_FALSE(PathExists(site() + "/releases/v1"));
  ASSERT_TRUE(Undo(site()).ok());
  EXPECT_EQ(DiffSnapshots(live, TakeDeepSnapshot(site())), "");
  ASSERT_TRUE(Undo(site()).ok());
  EXPECT_EQ(DiffSnapshots(empty, TakeDeepSnapshot(site())), "");
}

}  // namespace
}  // namespace testing
}  // namespace persist
