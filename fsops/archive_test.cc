// Copyright persist authors.

#include "fsops/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/testing/fault_env.h"
#include "base/next_step.h"
#include "gtest/gtest.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::DiffSnapshots;
using ::persist::testing::MakeDir;
using ::persist::testing::MakeSymlink;
using ::persist::testing::PathExists;
using ::persist::testing::ReadFile;
using ::persist::testing::TakeSnapshot;
using ::persist::testing::TempDir;
using ::persist::testing::WriteFile;

// A file or directory fd opened with plain POSIX, closed at scope end.
class PosixFd {
 public:
  PosixFd(const std::string& path, int flags, mode_t mode = 0)
      : fd_(open(path.c_str(), flags | O_CLOEXEC, mode)) {
    EXPECT_GE(fd_, 0) << path;
  }
  ~PosixFd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

void SetMtimeNs(const std::string& path, int64_t sec, long nsec) {
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = sec;
  times[0].tv_nsec = times[1].tv_nsec = nsec;
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

// Archives `dir`/shared into `dir`/backup.tar.
absl::StatusOr<ArchiveCounts> Archive(const TempDir& dir) {
  PosixFd parent(dir.path(), O_RDONLY | O_DIRECTORY);
  PosixFd out(dir.Sub("backup.tar"), O_WRONLY | O_CREAT | O_EXCL, 0600);
  return WriteArchive(Env::Default(), Entry{parent.get(), "shared", dir.Sub("shared")}, "shared",
                      out.get(), dir.Sub("backup.tar"));
}

// Extracts `archive` as `dir`/out.
absl::StatusOr<ArchiveCounts> Extract(const std::string& archive, const TempDir& dir) {
  PosixFd in(archive, O_RDONLY);
  PosixFd parent(dir.path(), O_RDONLY | O_DIRECTORY);
  return ExtractArchive(Env::Default(), in.get(), archive, "shared",
                        Entry{parent.get(), "out", dir.Sub("out")});
}

// A tree with everything an archive must keep.
void BuildSharedTree(const std::string& shared) {
  MakeDir(shared, 0751);
  WriteFile(shared + "/.env", "APP_KEY=base64:c2VjcmV0\n", 0600);
  WriteFile(shared + "/.persistence-config", "user: \"public/attachments/\"\n", 0644);
  WriteFile(shared + "/storage/app/run.sh", "#!/bin/sh\necho hi\n", 0755);
  WriteFile(shared + "/storage/logs/laravel.log", std::string(300000, 'x'), 0640);
  WriteFile(shared + "/public/uploads/a name with a space\nand a newline.png", "png bytes", 0644);
  WriteFile(shared + "/public/uploads/caf\xc3\xa9 and lat\xe9.txt", "names of any bytes", 0644);
  WriteFile(shared + "/public/uploads/empty", "", 0600);
  MakeDir(shared + "/bootstrap/cache", 0775);
  MakeDir(shared + "/storage/empty", 0700);
  MakeDir(shared + "/storage/readonly", 0755);
  WriteFile(shared + "/storage/readonly/kept.txt", "read-only dir\n", 0444);
  ASSERT_EQ(chmod((shared + "/storage/readonly").c_str(), 0555), 0);
  MakeSymlink("../storage/app/run.sh", shared + "/public/run-link");
  MakeSymlink("/nonexistent/absolute target", shared + "/public/dangling");
  int64_t second = 1700000000;
  long nsec = 123456789;
  for (const char* rel :
       {".env", ".persistence-config", "storage/app/run.sh", "storage/logs/laravel.log",
        "public/uploads/empty", "public/uploads/a name with a space\nand a newline.png",
        "public/uploads/caf\xc3\xa9 and lat\xe9.txt", "storage/readonly/kept.txt",
        "public/run-link", "public/dangling"}) {
    SetMtimeNs(shared + "/" + rel, second++, nsec);
    nsec = (nsec * 7 + 13) % 1000000000;
  }
}

TEST(ArchiveTest, RoundTripGivesAnIdenticalTree) {
  TempDir dir;
  BuildSharedTree(dir.Sub("shared"));
  const auto before = TakeSnapshot(dir.Sub("shared"), {});

  absl::StatusOr<ArchiveCounts> wrote = Archive(dir);
  ASSERT_TRUE(wrote.ok()) << wrote.status();
  EXPECT_EQ(wrote->files, 8u);
  EXPECT_EQ(wrote->symlinks, 2u);
  EXPECT_EQ(wrote->directories, 10u);
  EXPECT_TRUE(wrote->skipped.empty());

  absl::StatusOr<ArchiveCounts> read = Extract(dir.Sub("backup.tar"), dir);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->files, wrote->files);
  EXPECT_EQ(read->symlinks, wrote->symlinks);
  EXPECT_EQ(read->directories, wrote->directories);
  EXPECT_EQ(read->bytes, wrote->bytes);
  EXPECT_EQ(DiffSnapshots(before, TakeSnapshot(dir.Sub("out"), {})), "");

  struct stat st;
  ASSERT_EQ(stat(dir.Sub("out").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0751u) << "the top directory keeps its mode";
  ASSERT_EQ(stat(dir.Sub("out/storage/readonly").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0555u);
}

TEST(ArchiveTest, ArchiveIsPaxWithNanosecondMtimesAndMembersUnderTop) {
  TempDir dir;
  BuildSharedTree(dir.Sub("shared"));
  ASSERT_TRUE(Archive(dir).ok());
  struct stat backup;
  ASSERT_EQ(stat(dir.Sub("backup.tar").c_str(), &backup), 0);

  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  ASSERT_EQ(archive_read_open_filename(a, dir.Sub("backup.tar").c_str(), 10240), ARCHIVE_OK);
  struct archive_entry* e;
  std::vector<std::string> names;
  bool saw_nanoseconds = false;
  int rc;
  while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
    EXPECT_EQ(archive_format(a), ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE);
    names.push_back(archive_entry_pathname(e));
    if (names.back() == "shared/.persistence-config") {
      EXPECT_EQ(archive_entry_mtime(e), 1700000001);
      EXPECT_NE(archive_entry_mtime_nsec(e), 0);
      saw_nanoseconds = true;
    }
    if (names.back() == "shared/public/run-link") {
      EXPECT_EQ(archive_entry_filetype(e), static_cast<mode_t>(AE_IFLNK));
      EXPECT_STREQ(archive_entry_symlink(e), "../storage/app/run.sh");
    }
  }
  EXPECT_EQ(rc, ARCHIVE_EOF);
  archive_read_free(a);
  EXPECT_TRUE(saw_nanoseconds);
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "shared/");
  for (const std::string& name : names) {
    EXPECT_TRUE(absl::StartsWith(name, "shared/")) << name;
  }
}

TEST(ArchiveTest, SymlinksAreStoredNeverFollowed) {
  TempDir dir;
  WriteFile(dir.Sub("outside/secret.txt"), "not for the archive\n");
  MakeDir(dir.Sub("shared"));
  MakeSymlink("../outside", dir.Sub("shared/to-outside"));
  absl::StatusOr<ArchiveCounts> wrote = Archive(dir);
  ASSERT_TRUE(wrote.ok()) << wrote.status();
  EXPECT_EQ(wrote->files, 0u);
  EXPECT_EQ(wrote->symlinks, 1u);
  ASSERT_TRUE(Extract(dir.Sub("backup.tar"), dir).ok());
  char target[64] = {};
  ASSERT_GT(readlink(dir.Sub("out/to-outside").c_str(), target, sizeof(target) - 1), 0);
  EXPECT_STREQ(target, "../outside");
}

TEST(ArchiveTest, FifosAreSkippedAndReported) {
  TempDir dir;
  WriteFile(dir.Sub("shared/a.txt"), "a\n");
  ASSERT_EQ(mkfifo(dir.Sub("shared/queue").c_str(), 0600), 0);
  absl::StatusOr<ArchiveCounts> wrote = Archive(dir);
  ASSERT_TRUE(wrote.ok()) << wrote.status();
  ASSERT_EQ(wrote->skipped.size(), 1u);
  EXPECT_EQ(wrote->skipped[0], dir.Sub("shared/queue"));
  ASSERT_TRUE(Extract(dir.Sub("backup.tar"), dir).ok());
  EXPECT_TRUE(PathExists(dir.Sub("out/a.txt")));
  EXPECT_FALSE(PathExists(dir.Sub("out/queue")));
}

// ---- Hostile and broken archives ----

struct Member {
  Member(std::string name, mode_t type, std::string content = "", std::string link = "")
      : name(std::move(name)), type(type), content(std::move(content)), link(std::move(link)) {}
  std::string name;
  mode_t type;
  std::string content;
  std::string link;  // symlink target, or hard link target with type 0
};

void WriteCraftedArchive(const std::string& path, const std::vector<Member>& members,
                         bool gzip = false) {
  struct archive* a = archive_write_new();
  archive_write_set_format_pax(a);
  if (gzip) archive_write_add_filter_gzip(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const Member& m : members) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_copy_pathname(e, m.name.c_str());
    if (m.type == 0) {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_copy_hardlink(e, m.link.c_str());
    } else {
      archive_entry_set_filetype(e, m.type);
    }
    archive_entry_set_perm(e, m.type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_size(e, m.type == AE_IFREG ? m.content.size() : 0);
    if (m.type == AE_IFLNK) archive_entry_copy_symlink(e, m.link.c_str());
    archive_entry_set_mtime(e, 1600000000, 5);
    ASSERT_GE(archive_write_header(a, e), ARCHIVE_WARN) << archive_error_string(a);
    if (m.type == AE_IFREG) archive_write_data(a, m.content.data(), m.content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

// Extraction of `members` is refused as bad input (exit 2), naming
// `expected` in its message, and writes nothing outside dir/out.
void ExpectRefused(const std::vector<Member>& members, const std::string& expected) {
  TempDir dir;
  MakeDir(dir.Sub("victim"));
  WriteCraftedArchive(dir.Sub("bad.tar"), members);
  const auto victim = TakeSnapshot(dir.Sub("victim"), {});
  absl::StatusOr<ArchiveCounts> read = Extract(dir.Sub("bad.tar"), dir);
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(read.status())) << read.status();
  EXPECT_TRUE(absl::StrContains(read.status().message(), expected)) << read.status();
  EXPECT_TRUE(absl::StrContains(read.status().message(), dir.Sub("bad.tar"))) << read.status();
  EXPECT_EQ(DiffSnapshots(victim, TakeSnapshot(dir.Sub("victim"), {})), "");
  EXPECT_FALSE(PathExists(dir.Sub("evil")));
  EXPECT_FALSE(PathExists("/tmp/persist-archive-test-evil"));
}

TEST(ArchiveTest, RefusesMembersThatClimbOut) {
  ExpectRefused({{"shared", AE_IFDIR}, {"shared/../evil", AE_IFREG, "x"}}, "shared/../evil");
  ExpectRefused({{"../evil", AE_IFREG, "x"}}, "../evil");
}

TEST(ArchiveTest, RefusesAbsoluteMembers) {
  ExpectRefused({{"/tmp/persist-archive-test-evil", AE_IFREG, "x"}}, "absolute");
}

TEST(ArchiveTest, RefusesMembersOutsideTop) {
  ExpectRefused({{"shared", AE_IFDIR}, {"victim/evil", AE_IFREG, "x"}}, "outside shared/");
}

TEST(ArchiveTest, NeverWritesThroughASymlinkMember) {
  TempDir dir;
  MakeDir(dir.Sub("victim"));
  WriteCraftedArchive(dir.Sub("bad.tar"), {{"shared", AE_IFDIR},
                                           {"shared/link", AE_IFLNK, "", dir.Sub("victim")},
                                           {"shared/link/evil", AE_IFREG, "x"}});
  absl::StatusOr<ArchiveCounts> read = Extract(dir.Sub("bad.tar"), dir);
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(read.status())) << read.status();
  EXPECT_TRUE(absl::StrContains(read.status().message(), "symlink")) << read.status();
  EXPECT_FALSE(PathExists(dir.Sub("victim/evil")));
}

TEST(ArchiveTest, RefusesDuplicatesHardLinksAndDevices) {
  ExpectRefused({{"shared", AE_IFDIR}, {"shared/a", AE_IFREG, "1"}, {"shared/a", AE_IFREG, "2"}},
                "twice");
  ExpectRefused(
      {{"shared", AE_IFDIR}, {"shared/a", AE_IFREG, "1"}, {"shared/b", 0, "", "shared/a"}},
      "hard link");
  ExpectRefused({{"shared", AE_IFDIR}, {"shared/q", AE_IFIFO}}, "fifo");
  ExpectRefused({{"other", AE_IFDIR}}, "outside shared/");
  ExpectRefused({}, "nothing under shared/");
}

TEST(ArchiveTest, GarbledEmptyAndTruncatedInputIsBadInput) {
  TempDir dir;
  WriteFile(dir.Sub("garbled.tar"), std::string(5000, '\x7f') + "not an archive");
  WriteFile(dir.Sub("empty.tar"), "");
  WriteFile(dir.Sub("shared/big.bin"), std::string(200000, 'b'));
  ASSERT_TRUE(Archive(dir).ok());
  const std::string whole = ReadFile(dir.Sub("backup.tar"));
  WriteFile(dir.Sub("truncated.tar"), whole.substr(0, 100000));
  for (const char* name : {"garbled.tar", "empty.tar", "truncated.tar"}) {
    TempDir out;
    absl::StatusOr<ArchiveCounts> read = Extract(dir.Sub(name), out);
    ASSERT_FALSE(read.ok()) << name;
    EXPECT_TRUE(absl::IsInvalidArgument(read.status())) << name << ": " << read.status();
    EXPECT_TRUE(absl::StrContains(read.status().message(), dir.Sub(name))) << read.status();
    EXPECT_EQ(NextStepOf(read.status()).step, NextStep::kGiveABackup) << read.status();
  }
}

TEST(ArchiveTest, ReadsGzippedArchivesAndLeadingDotSlash) {
  TempDir dir;
  WriteCraftedArchive(dir.Sub("b.tar.gz"),
                      {{"./shared/", AE_IFDIR}, {"./shared/sub/f.txt", AE_IFREG, "gz\n"}},
                      /*gzip=*/true);
  absl::StatusOr<ArchiveCounts> read = Extract(dir.Sub("b.tar.gz"), dir);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(ReadFile(dir.Sub("out/sub/f.txt")), "gz\n");
  struct stat st;
  ASSERT_EQ(stat(dir.Sub("out/sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u) << "a directory the archive implies gets 0755";
}

TEST(ArchiveTest, ErrorsOfTheEnvKeepTheirErrno) {
  TempDir dir;
  WriteFile(dir.Sub("shared/a.txt"), std::string(50000, 'a'));
  WriteFile(dir.Sub("shared/b.txt"), "b\n");
  ASSERT_TRUE(Archive(dir).ok());
  {
    // A full disk while the archive is written.
    FaultEnv env(Env::Default());
    env.FailAt(1, ENOSPC, FaultEnv::Kind::kWrite);
    PosixFd parent(dir.path(), O_RDONLY | O_DIRECTORY);
    PosixFd out(dir.Sub("full.tar"), O_WRONLY | O_CREAT | O_EXCL, 0600);
    absl::StatusOr<ArchiveCounts> wrote =
        WriteArchive(&env, Entry{parent.get(), "shared", dir.Sub("shared")}, "shared", out.get(),
                     dir.Sub("full.tar"));
    ASSERT_FALSE(wrote.ok());
    EXPECT_EQ(StatusErrno(wrote.status()), ENOSPC) << wrote.status();
  }
  {
    // A full disk where the archive is extracted: not bad input (exit 2).
    FaultEnv env(Env::Default());
    env.FailAt(2, ENOSPC, FaultEnv::Kind::kWrite);
    PosixFd in(dir.Sub("backup.tar"), O_RDONLY);
    PosixFd parent(dir.path(), O_RDONLY | O_DIRECTORY);
    absl::StatusOr<ArchiveCounts> read =
        ExtractArchive(&env, in.get(), dir.Sub("backup.tar"), "shared",
                       Entry{parent.get(), "out", dir.Sub("out")});
    ASSERT_FALSE(read.ok());
    EXPECT_EQ(StatusErrno(read.status()), ENOSPC) << read.status();
    EXPECT_FALSE(absl::IsInvalidArgument(read.status())) << read.status();
  }
}

}  // namespace
}  // namespace persist
