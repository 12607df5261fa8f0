// Copyright persist authors.
//
// release_archive on real archives, made in a temporary directory by the
// tools vendors use: Info-ZIP's zip, GNU tar (plain, -z, -J, -j, --zstd),
// and python3's zipfile and tarfile for what those will not make (entries
// made on Windows, hostile names, links and special files).

#include "fsops/release_archive.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "fsops/copy_tree.h"
#include "fsops/digest.h"
#include "fsops/entry.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "fsops/source_tree.h"
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
using ::persist::testing::TakeSnapshot;
using ::persist::testing::TakeTreeSnapshot;
using ::persist::testing::TempDir;
using ::persist::testing::TreeSnapshotOptions;
using ::persist::testing::WithoutMtimes;
using ::persist::testing::WriteFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr int64_t kSecond = 1000000000;

// ---------------------------------------------------------------------------
// Running the tools.

// Makes what zip and tar cannot: `python3 SCRIPT CASE OUT EXTRA` writes the
// archive named CASE to OUT (EXTRA: an absolute path some cases use).
constexpr char kMakeArchives[] = R"PY(
import io, sys, tarfile, zipfile

MTIME = 1700000000
ZIP_TIME = (2023, 11, 14, 22, 13, 20)

def z(name, data=b'', mode=None, windows=False, link=None):
    zi = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    zi.compress_type = zipfile.ZIP_DEFLATED
    if windows:
        zi.create_system = 0
        zi.external_attr = 0x10 if name.endswith('/') else 0x20
    elif link is not None:
        zi.create_system = 3
        zi.external_attr = 0o120777 << 16
        data = link.encode()
    else:
        zi.create_system = 3
        if mode is None:
            mode = 0o40755 if name.endswith('/') else 0o100644
        zi.external_attr = (mode << 16) | (0x10 if name.endswith('/') else 0)
    if isinstance(data, str):
        data = data.encode()
    return (zi, data)

def write_zip(out, entries):
    with zipfile.ZipFile(out, 'w') as f:
        for zi, data in entries:
            f.writestr(zi, data)

def t(name, kind='file', data=b'', mode=0o644, link=''):
    ti = tarfile.TarInfo(name)
    ti.mtime = MTIME
    ti.mode = mode
    ti.uname = ti.gname = 'root'
    if isinstance(data, str):
        data = data.encode()
    if kind == 'file':
        ti.type = tarfile.REGTYPE
        ti.size = len(data)
    elif kind == 'dir':
        ti.type = tarfile.DIRTYPE
    elif kind == 'symlink':
        ti.type = tarfile.SYMTYPE
        ti.linkname = link
    elif kind == 'hardlink':
        ti.type = tarfile.LNKTYPE
        ti.linkname = link
    elif kind == 'fifo':
        ti.type = tarfile.FIFOTYPE
    return (ti, data)

def write_tar(out, entries, mode='w:gz'):
    with tarfile.open(out, mode, format=tarfile.GNU_FORMAT) as f:
        for ti, data in entries:
            f.addfile(ti, io.BytesIO(data) if ti.type == tarfile.REGTYPE else None)

def zeros_zip(out, mib):
    zi, _ = z('zeros.bin')
    with zipfile.ZipFile(out, 'w') as f:
        with f.open(zi, 'w') as member:
            chunk = bytes(1 << 20)
            for _ in range(mib):
                member.write(chunk)

def lying_zip(out):
    # 16 MiB of zeros whose headers (local and central) declare 1000 bytes.
    write_zip(out, [z('shop/zeros.bin', bytes(16 << 20))])
    data = bytearray(open(out, 'rb').read())
    assert data[0:4] == b'PK\x03\x04'
    data[22:26] = (1000).to_bytes(4, 'little')
    central = data.find(b'PK\x01\x02')
    assert central > 0
    data[central + 24:central + 28] = (1000).to_bytes(4, 'little')
    open(out, 'wb').write(bytes(data))

ARTISAN = '#!/usr/bin/env php\n<?php\n'
case, out, extra = sys.argv[1], sys.argv[2], sys.argv[3]

if case == 'windows_zip':
    write_zip(out, [z('shop/', windows=True), z('shop/artisan', ARTISAN, windows=True),
                    z('shop/public/', windows=True),
                    z('shop/public/index.php', '<?php\n', windows=True),
                    z('shop/config/app.php', '<?php return [];\n', windows=True)])
elif case == 'setid_tar':
    write_tar(out, [t('shop/', 'dir', mode=0o755), t('shop/suid', data='#!/bin/sh\n', mode=0o4755),
                    t('shop/sgid-dir/', 'dir', mode=0o2775),
                    t('shop/open', data='open\n', mode=0o777),
                    t('shop/open-dir/', 'dir', mode=0o777)])
elif case == 'debris_zip':
    write_zip(out, [z('shop/artisan', ARTISAN), z('__MACOSX/shop/._artisan', 'apple'),
                    z('__MACOSX/._shop', 'apple'), z('.DS_Store', 'ds'),
                    z('shop/.DS_Store', 'ds'), z('shop/public/index.php', '<?php\n'),
                    z('shop/public/.DS_Store', 'ds')])
elif case == 'dotdot_zip':
    write_zip(out, [z('shop/artisan', ARTISAN), z('shop/../../evil.txt', 'evil')])
elif case == 'dotdot_tar':
    write_tar(out, [t('shop/artisan', data=ARTISAN), t('../evil.txt', data='evil')])
elif case == 'absolute_zip':
    write_zip(out, [z('shop/artisan', ARTISAN), z(extra, 'evil')])
elif case == 'absolute_tar':
    write_tar(out, [t('shop/artisan', data=ARTISAN), t(extra, data='evil')])
elif case == 'duplicate_zip':
    write_zip(out, [z('shop/artisan', 'one'), z('shop/artisan', 'two')])
elif case == 'duplicate_tar':
    write_tar(out, [t('shop/artisan', data='one'), t('shop/artisan', data='two')])
elif case == 'beneath_file_zip':
    write_zip(out, [z('shop/artisan', ARTISAN), z('shop/artisan/evil.txt', 'evil')])
elif case == 'beneath_symlink_zip':
    write_zip(out, [z('shop/artisan', ARTISAN), z('shop/link', link=extra),
                    z('shop/link/evil.txt', 'evil')])
elif case == 'beneath_symlink_tar':
    write_tar(out, [t('shop/artisan', data=ARTISAN),
                    t('shop/link', 'symlink', link='../../../outside'),
                    t('shop/link/evil.txt', data='evil')])
elif case == 'fifo_tar':
    write_tar(out, [t('shop/artisan', data=ARTISAN), t('shop/fifo', 'fifo')])
elif case == 'hardlink_outside_tar':
    write_tar(out, [t('shop/artisan', data=ARTISAN), t('shop/passwd', 'hardlink', link=extra)])
elif case == 'hardlink_missing_tar':
    write_tar(out, [t('shop/artisan', data=ARTISAN),
                    t('shop/copy', 'hardlink', link='shop/missing')])
elif case == 'hardlink_forward_tar':
    write_tar(out, [t('shop/copy', 'hardlink', link='shop/artisan'),
                    t('shop/artisan', data=ARTISAN)])
elif case == 'hardlink_back_tar':
    write_tar(out, [t('shop/', 'dir', mode=0o755), t('shop/artisan', data=ARTISAN, mode=0o755),
                    t('shop/artisan-copy', 'hardlink', link='shop/artisan')])
elif case == 'symlink_out_zip':
    write_zip(out, [z('shop/artisan', ARTISAN), z('shop/evil', link='../../etc/passwd')])
elif case == 'symlink_abs_zip':
    write_zip(out, [z('shop/artisan', ARTISAN), z('shop/abs', link='/etc/passwd')])
elif case == 'symlink_in_zip':
    write_zip(out, [z('shop/artisan', ARTISAN), z('shop/storage/app/public/'),
                    z('shop/public/storage', link='../storage/app/public')])
elif case == 'symlink_out_of_dir_zip':
    write_zip(out, [z('documentation/index.html', '<html>'), z('shop/artisan', ARTISAN),
                    z('shop/up', link='../documentation')])
elif case == 'symlink_elsewhere_zip':
    write_zip(out, [z('documentation/link', link='../../../etc'), z('shop/artisan', ARTISAN)])
elif case == 'late_dir_zip':
    write_zip(out, [z('shop/public/index.php', '<?php\n'), z('shop/public/', mode=0o40750),
                    z('shop/', mode=0o40755)])
elif case == 'sibling_prefix_zip':
    write_zip(out, [z('shop/artisan', ARTISAN), z('shop-docs/readme.txt', 'read me'),
                    z('shopping/list.txt', 'milk')])
elif case == 'hardlink_across_tar':
    write_tar(out, [t('documentation/LICENSE', data='MIT\n'),
                    t('shop/LICENSE', 'hardlink', link='documentation/LICENSE'),
                    t('shop/artisan', data=ARTISAN)])
elif case == 'utf8_zip':
    write_zip(out, [z('shop/lang/caf\u00e9.php', '<?php return [];\n')])
elif case == 'dir_and_file_zip':
    write_zip(out, [z('shop/public/'), z('shop/public/index.php', '<?php\n'),
                    z('shop/public', 'a file where the directory was')])
elif case == 'bomb_zip':
    zeros_zip(out, 300)
elif case == 'lying_zip':
    lying_zip(out)
else:
    sys.exit('unknown case ' + case)
)PY";

::testing::AssertionResult Python(const TempDir& tmp, const std::string& which,
                                  const std::string& out, const std::string& extra = "-") {
  const std::string script = tmp.Sub("make_archives.py");
  if (!PathExists(script)) WriteFile(script, kMakeArchives);
  return Sh(tmp.path(), "/usr/bin/python3 " + Quote(script) + " " + Quote(which) + " " +
                            Quote(out) + " " + Quote(extra));
}

// ---------------------------------------------------------------------------
// The Laravel-shaped tree the vendor archives.

struct ShopFile {
  const char* rel;
  const char* content;
  uint32_t mode;
  int64_t mtime;
};

constexpr ShopFile kShopFiles[] = {
    {"artisan", "#!/usr/bin/env php\n<?php\n\ndefine('LARAVEL_START', microtime(true));\n", 0755,
     1700000001},
    {"composer.json",
     "{\n    \"name\": \"vendor/shop\",\n    \"require\": {\"php\": \"^8.1\"}\n}\n", 0644,
     1700000002},
    {"public/index.php", "<?php\n\n$app = require_once __DIR__.'/../bootstrap/app.php';\n", 0644,
     1700000003},
    {"storage/app/x", "x", 0640, 1700000004},
    {"storage/app/public/.gitignore", "*\n!.gitignore\n", 0644, 1700000005},
    {"bootstrap/cache/.gitignore", "*\n", 0644, 1700000006},
};

struct ShopDir {
  const char* rel;
  uint32_t mode;
};

constexpr ShopDir kShopDirs[] = {
    {"bootstrap", 0755}, {"bootstrap/cache", 0750}, {"public", 0755},
    {"storage", 0755},   {"storage/app", 0755},     {"storage/app/public", 0755},
};

constexpr char kShopLink[] = "public/storage";
constexpr char kShopLinkTarget[] = "../storage/app/public";
constexpr int64_t kShopLinkMtime = 1700000007;
// The top-level names, as the archivers are told them.
constexpr char kShopTop[] = "artisan bootstrap composer.json public storage";

uint64_t ShopBytes() {
  uint64_t bytes = 0;
  for (const ShopFile& f : kShopFiles) bytes += std::string(f.content).size();
  return bytes;
}

void SetWholeSecondMtime(const std::string& path, int64_t seconds) {
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = seconds;
  times[0].tv_nsec = times[1].tv_nsec = 0;
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

// The tree at `root`, every mtime a whole second.
void BuildShop(const std::string& root) {
  MakeDir(root, 0755);
  for (const ShopDir& d : kShopDirs) MakeDir(root + "/" + d.rel, 0755);
  for (const ShopFile& f : kShopFiles) WriteFile(root + "/" + f.rel, f.content, f.mode);
  MakeSymlink(kShopLinkTarget, root + "/" + kShopLink);
  for (const ShopFile& f : kShopFiles) SetWholeSecondMtime(root + "/" + f.rel, f.mtime);
  SetWholeSecondMtime(root + "/" + kShopLink, kShopLinkMtime);
  int64_t dir_time = 1690000000;
  for (const ShopDir& d : kShopDirs) {
    ASSERT_EQ(chmod((root + "/" + d.rel).c_str(), d.mode), 0);
    SetWholeSecondMtime(root + "/" + d.rel, dir_time++);
  }
}

// Text that compresses a few times over, as source code does: deflate codes
// it with Huffman tables, so damage in the middle is noticed.
std::string Noise(size_t n, uint32_t seed) {
  static const char* const kWords[] = {"<?php",
                                       "return",
                                       "$app",
                                       "->make(",
                                       "'config'",
                                       ");",
                                       "\n",
                                       "function",
                                       "use",
                                       "namespace",
                                       "{",
                                       "}",
                                       "Illuminate\\Support",
                                       "$request",
                                       "=>",
                                       "null"};
  std::string out;
  uint32_t x = seed * 2654435761u + 1;
  while (out.size() < n) {
    x = x * 1664525u + 1013904223u;
    out += kWords[(x >> 16) % 16];
    out += (x & 0x100) ? ' ' : static_cast<char>('a' + (x >> 8) % 26);
    if ((x >> 24) % 5 == 0) out += std::to_string(x % 99991);
  }
  out.resize(n);
  return out;
}

// Twenty files of some 60 KB at `root`.
void BuildNoisyTree(const std::string& root) {
  for (int i = 0; i < 20; ++i) {
    WriteFile(absl::StrCat(root, "/src/File", i, ".php"), Noise(60000, i), 0644);
  }
}

off_t FileSize(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_size;
}

// XORs `n` bytes in the middle of `path`, keeping its size.
void DamageTheMiddle(const std::string& path, size_t n) {
  std::string content = ReadFile(path);
  ASSERT_GT(content.size(), 2 * n) << path;
  for (size_t i = content.size() / 2; i < content.size() / 2 + n; ++i) content[i] ^= 0x5A;
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  WriteFile(path, content, st.st_mode & 07777);
}

// ---------------------------------------------------------------------------
// Calling what is under test.

absl::StatusOr<std::unique_ptr<ArchiveListing>> Scan(
    const std::string& archive, std::vector<std::string> nested = {},
    const ArchiveLimits& limits = ArchiveLimits()) {
  return ScanArchive(Env::Default(), ArchivePath{archive, std::move(nested), ""}, limits);
}

absl::StatusOr<CopyStats> Unpack(const std::string& archive, const std::string& dir,
                                 const std::string& into,
                                 const UnpackOptions& options = UnpackOptions(),
                                 std::vector<std::string> nested = {}) {
  return UnpackArchive(Env::Default(), ArchivePath{archive, std::move(nested), dir},
                       Entry{AT_FDCWD, into, into}, options);
}

// InvalidArgument naming the archive, and the member when there is one.
void ExpectRefusal(const absl::Status& status, const std::string& archive,
                   const std::string& member) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(archive));
  if (!member.empty()) {
    EXPECT_THAT(std::string(status.message()), HasSubstr(member));
  }
}

// The names in `rel` of `listing`, or none (and a failure) on error.
std::vector<std::string> Names(const ArchiveListing& listing, const std::string& rel) {
  absl::StatusOr<std::vector<std::string>> names = listing.List(rel);
  if (!names.ok()) {
    ADD_FAILURE() << "List(" << rel << "): " << names.status();
    return {};
  }
  return *names;
}

// The mode `listing` gives `rel`, or 0xFFFF (and a failure) on error.
uint32_t ListedMode(const ArchiveListing& listing, const std::string& rel) {
  absl::StatusOr<PathState> state = listing.Observe(rel, false);
  if (!state.ok()) {
    ADD_FAILURE() << "Observe(" << rel << "): " << state.status();
    return 0xFFFF;
  }
  return state->mode();
}

struct stat LstatOf(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st;
}

uint32_t ModeOf(const std::string& path) { return LstatOf(path).st_mode & 07777; }

// Collects the manifest an unpack hands over.
class CollectingSink : public ManifestSink {
 public:
  void Clear() override { entries.clear(); }
  void Add(const ManifestEntry& entry) override { entries.push_back(entry); }
  std::vector<ManifestEntry> entries;
};

// Every path of `tmp` but `into` and what lies beneath it.
Snapshot EverythingBut(const TempDir& tmp, const std::string& into_rel) {
  TreeSnapshotOptions options;
  options.exclude = {into_rel};
  options.root = true;
  return TakeTreeSnapshot(tmp.path(), options);
}

// ---------------------------------------------------------------------------
// ReleaseMode.

TEST(ReleaseModeTest, DropsGroupWriteOfZipMembersOnly) {
  EXPECT_EQ(ReleaseMode(0664, true), 0644u);
  EXPECT_EQ(ReleaseMode(0775, true), 0755u);
  EXPECT_EQ(ReleaseMode(0664, false), 0664u);
  EXPECT_EQ(ReleaseMode(0775, false), 0775u);
}

TEST(ReleaseModeTest, DropsWorldWrite) {
  EXPECT_EQ(ReleaseMode(0777, false), 0775u);
  EXPECT_EQ(ReleaseMode(0666, false), 0664u);
  EXPECT_EQ(ReleaseMode(0777, true), 0755u);
}

TEST(ReleaseModeTest, DropsSetUidAndSetGid) {
  EXPECT_EQ(ReleaseMode(06755, false), 0755u);
  EXPECT_EQ(ReleaseMode(04755, false), 0755u);
  EXPECT_EQ(ReleaseMode(02775, false), 0775u);
}

TEST(ReleaseModeTest, KeepsSafeModesAndTheStickyBit) {
  EXPECT_EQ(ReleaseMode(0644, false), 0644u);
  EXPECT_EQ(ReleaseMode(0640, true), 0640u);
  EXPECT_EQ(ReleaseMode(0700, false), 0700u);
  EXPECT_EQ(ReleaseMode(01777, false), 01775u);
}

TEST(DescribeArchivePathTest, NamesTheArchiveTheNestedArchivesAndTheDirectory) {
  EXPECT_EQ(DescribeArchivePath(ArchivePath{"/home/u/shop.zip", {"Shop/shop.zip"}, "shop"}),
            "/home/u/shop.zip: Shop/shop.zip: shop");
  EXPECT_EQ(DescribeArchivePath(ArchivePath{"/home/u/shop.zip", {}, ""}), "/home/u/shop.zip");
}

// ---------------------------------------------------------------------------
// The same tree through every archiver.

struct Format {
  const char* name;
  const char* file;
  const char* command;  // followed by the archive and the names
};

constexpr Format kFormats[] = {
    {"InfoZip", "shop.zip", "zip -q -r -y"}, {"Tar", "shop.tar", "tar -cf"},
    {"TarGz", "shop.tar.gz", "tar -czf"},    {"TarXz", "shop.tar.xz", "tar -cJf"},
    {"TarBz2", "shop.tar.bz2", "tar -cjf"},  {"TarZst", "shop.tar.zst", "tar --zstd -cf"},
};

void PrintTo(const Format& format, std::ostream* os) { *os << format.name; }

class ShopArchiveTest : public ::testing::TestWithParam<Format> {
 protected:
  void SetUp() override {
    BuildShop(tmp_.Sub("src/shop"));
    MakeDir(tmp_.Sub("work"));
    archive_ = tmp_.Sub(GetParam().file);
    ASSERT_TRUE(Sh(tmp_.Sub("src/shop"),
                   std::string(GetParam().command) + " " + Quote(archive_) + " " + kShopTop));
  }

  std::unique_ptr<ArchiveListing> ScanOk() {
    absl::StatusOr<std::unique_ptr<ArchiveListing>> listing = Scan(archive_);
    EXPECT_TRUE(listing.ok()) << listing.status();
    return listing.ok() ? std::move(*listing) : nullptr;
  }

  TempDir tmp_;
  std::string archive_;
};

TEST_P(ShopArchiveTest, ObservesEveryFileWithItsModeSizeAndMtimeInSeconds) {
  std::unique_ptr<ArchiveListing> listing = ScanOk();
  ASSERT_NE(listing, nullptr);
  for (const ShopFile& f : kShopFiles) {
    absl::StatusOr<PathState> state = listing->Observe(f.rel, false);
    ASSERT_TRUE(state.ok()) << f.rel << ": " << state.status();
    EXPECT_EQ(state->type(), REGULAR) << f.rel;
    EXPECT_EQ(state->mode(), f.mode) << f.rel;
    EXPECT_EQ(state->size(), std::string(f.content).size()) << f.rel;
    EXPECT_EQ(state->mtime_ns(), f.mtime * kSecond) << f.rel;
  }
}

TEST_P(ShopArchiveTest, ObservesDirectoriesWithTheirModesAndTheTopAsADirectory) {
  std::unique_ptr<ArchiveListing> listing = ScanOk();
  ASSERT_NE(listing, nullptr);
  absl::StatusOr<PathState> top = listing->Observe("", false);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(top->type(), DIRECTORY);
  for (const ShopDir& d : kShopDirs) {
    absl::StatusOr<PathState> state = listing->Observe(d.rel, false);
    ASSERT_TRUE(state.ok()) << d.rel << ": " << state.status();
    EXPECT_EQ(state->type(), DIRECTORY) << d.rel;
    EXPECT_EQ(state->mode(), d.mode) << d.rel;
  }
}

TEST_P(ShopArchiveTest, ObservesTheSymlinkWithItsTarget) {
  std::unique_ptr<ArchiveListing> listing = ScanOk();
  ASSERT_NE(listing, nullptr);
  absl::StatusOr<PathState> state = listing->Observe(kShopLink, false);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->type(), SYMLINK);
  EXPECT_EQ(state->link_target(), kShopLinkTarget);
}

TEST_P(ShopArchiveTest, MembersHoldWhatTheHeadersSay) {
  std::unique_ptr<ArchiveListing> listing = ScanOk();
  ASSERT_NE(listing, nullptr);
  const auto& members = listing->members();
  ASSERT_EQ(members.count("artisan"), 1u);
  const ArchiveListing::Member& artisan = members.at("artisan");
  EXPECT_EQ(artisan.type, REGULAR);
  EXPECT_EQ(artisan.mode, 0755u);
  EXPECT_EQ(artisan.size, std::string(kShopFiles[0].content).size());
  EXPECT_EQ(artisan.mtime_ns, kShopFiles[0].mtime * kSecond);
  EXPECT_FALSE(artisan.is_archive);
  ASSERT_EQ(members.count(kShopLink), 1u);
  EXPECT_EQ(members.at(kShopLink).type, SYMLINK);
  EXPECT_EQ(members.at(kShopLink).link_target, kShopLinkTarget);
  for (const ShopFile& f : kShopFiles) EXPECT_EQ(members.count(f.rel), 1u) << f.rel;
  for (const auto& [name, member] : members) {
    EXPECT_EQ(ValidateRelativePath(name), absl::OkStatus()) << "a member named " << name;
  }
}

TEST_P(ShopArchiveTest, CountsTheFilesTheirBytesAndTheArchiveSize) {
  std::unique_ptr<ArchiveListing> listing = ScanOk();
  ASSERT_NE(listing, nullptr);
  EXPECT_EQ(listing->files(), std::size(kShopFiles));
  EXPECT_EQ(listing->bytes(), ShopBytes());
  EXPECT_EQ(listing->archive_bytes(), static_cast<uint64_t>(FileSize(archive_)));
  EXPECT_EQ(listing->debris(), 0u);
  EXPECT_TRUE(listing->setid_dropped().empty());
  EXPECT_EQ(listing->where().archive, archive_);
  EXPECT_TRUE(listing->where().nested.empty());
}

TEST_P(ShopArchiveTest, ListsEachDirectorySortedByteByByte) {
  std::unique_ptr<ArchiveListing> listing = ScanOk();
  ASSERT_NE(listing, nullptr);
  absl::StatusOr<std::vector<std::string>> top = listing->List("");
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_THAT(*top, ElementsAre("artisan", "bootstrap", "composer.json", "public", "storage"));
  absl::StatusOr<std::vector<std::string>> pub = listing->List("public");
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_THAT(*pub, ElementsAre("index.php", "storage"));
  absl::StatusOr<std::vector<std::string>> app = listing->List("storage/app");
  ASSERT_TRUE(app.ok()) << app.status();
  EXPECT_THAT(*app, ElementsAre("public", "x"));
  absl::StatusOr<std::vector<std::string>> hidden = listing->List("storage/app/public");
  ASSERT_TRUE(hidden.ok()) << hidden.status();
  EXPECT_THAT(*hidden, ElementsAre(".gitignore"));
}

// "Swift.php" sorts between "Swift" and "Swift/x.php": a listing that skips
// the directory's members must not skip its namesake file.
TEST(ReleaseArchiveTest, ListsAFileBesideADirectoryItsNameBegins) {
  TempDir tmp;
  WriteFile(tmp.Sub("src/q/Swift.php"), "<?php\n");
  WriteFile(tmp.Sub("src/q/Swift/x.php"), "<?php\n");
  WriteFile(tmp.Sub("src/q/Swift-y.php"), "<?php\n");
  ASSERT_TRUE(Sh(tmp.Sub("src"), "zip -qr ../names.zip q"));
  absl::StatusOr<std::unique_ptr<ArchiveListing>> listing = Scan(tmp.Sub("names.zip"));
  ASSERT_TRUE(listing.ok()) << listing.status();
  absl::StatusOr<std::vector<std::string>> names = (*listing)->List("q");
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_THAT(*names, ElementsAre("Swift", "Swift-y.php", "Swift.php"));
  absl::StatusOr<std::vector<std::string>> top = (*listing)->List("");
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_THAT(*top, ElementsAre("q"));
}

TEST_P(ShopArchiveTest, ListOfAFileIsAnErrorNamingIt) {
  std::unique_ptr<ArchiveListing> listing = ScanOk();
  ASSERT_NE(listing, nullptr);
  absl::StatusOr<std::vector<std::string>> names = listing->List("composer.json");
  ASSERT_FALSE(names.ok());
  EXPECT_THAT(std::string(names.status().message()), HasSubstr("composer.json"));
}

TEST_P(ShopArchiveTest, ObserveOfAMissingPathIsAbsentAndBeneathAFileIsEnotdir) {
  std::unique_ptr<ArchiveListing> listing = ScanOk();
  ASSERT_NE(listing, nullptr);
  for (const char* rel : {"vendor", "vendor/autoload.php", "storage/logs"}) {
    absl::StatusOr<PathState> state = listing->Observe(rel, false);
    ASSERT_TRUE(state.ok()) << rel << ": " << state.status();
    EXPECT_EQ(state->type(), ABSENT) << rel;
  }
  for (const char* rel : {"artisan/x", "public/storage/x"}) {
    absl::StatusOr<PathState> state = listing->Observe(rel, false);
    ASSERT_FALSE(state.ok()) << rel;
    EXPECT_EQ(StatusErrno(state.status()), ENOTDIR) << rel << ": " << state.status();
  }
}

TEST_P(ShopArchiveTest, NameShowsTheArchiveAndThePath) {
  std::unique_ptr<ArchiveListing> listing = ScanOk();
  ASSERT_NE(listing, nullptr);
  EXPECT_EQ(listing->Name("public/index.php"), archive_ + ": public/index.php");
  EXPECT_THAT(listing->Name(""), HasSubstr(archive_));
}

TEST_P(ShopArchiveTest, ObserveWithDigestGivesTheSha256OfEachFile) {
  std::unique_ptr<ArchiveListing> listing = ScanOk();
  ASSERT_NE(listing, nullptr);
  for (const ShopFile& f : kShopFiles) {
    absl::StatusOr<PathState> state = listing->Observe(f.rel, true);
    ASSERT_TRUE(state.ok()) << f.rel << ": " << state.status();
    EXPECT_EQ(HexDigest(state->digest()), HexDigest(DigestBytes(f.content))) << f.rel;
  }
}

TEST_P(ShopArchiveTest, MeasureCountsTheFilesAndTheSymlink) {
  std::unique_ptr<ArchiveListing> listing = ScanOk();
  ASSERT_NE(listing, nullptr);
  absl::StatusOr<SourceTree::Size> size = listing->Measure("");
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(size->files, static_cast<int>(std::size(kShopFiles)) + 1);
  EXPECT_EQ(size->bytes, ShopBytes());
}

TEST_P(ShopArchiveTest, UnpackMakesTheSameTree) {
  const std::string into = tmp_.Sub("work/release");
  absl::StatusOr<CopyStats> stats = Unpack(archive_, "", into);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(DiffSnapshots(WithoutMtimes(TakeSnapshot(tmp_.Sub("src/shop"))),
                          WithoutMtimes(TakeSnapshot(into))),
            "");
  for (const ShopFile& f : kShopFiles) {
    const struct stat st = LstatOf(into + "/" + f.rel);
    EXPECT_EQ(st.st_mtim.tv_sec, f.mtime) << f.rel;
  }
}

// CopyStats::files counts regular files (copy_tree.h), as
// ArchiveListing::files() does: not the symlink.
TEST_P(ShopArchiveTest, UnpackCountsTheRegularFilesAndTheirBytes) {
  std::unique_ptr<ArchiveListing> listing = ScanOk();
  ASSERT_NE(listing, nullptr);
  absl::StatusOr<CopyStats> stats = Unpack(archive_, "", tmp_.Sub("work/release"));
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->files, std::size(kShopFiles));
  EXPECT_EQ(stats->files, listing->files());
  EXPECT_EQ(stats->bytes, ShopBytes());
}

TEST_P(ShopArchiveTest, UnpackGivesSymlinksAndDirectoriesTheirMembersMtimes) {
  const std::string into = tmp_.Sub("work/release");
  absl::StatusOr<CopyStats> stats = Unpack(archive_, "", into);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(LstatOf(into + "/" + kShopLink).st_mtim.tv_sec, kShopLinkMtime);
  for (const ShopDir& d : kShopDirs) {
    EXPECT_EQ(LstatOf(into + "/" + d.rel).st_mtim.tv_sec,
              LstatOf(tmp_.Sub("src/shop/") + d.rel).st_mtim.tv_sec)
        << d.rel;
  }
}

INSTANTIATE_TEST_SUITE_P(Archivers, ShopArchiveTest, ::testing::ValuesIn(kFormats),
                         [](const ::testing::TestParamInfo<Format>& info) {
                           return std::string(info.param.name);
                         });

// ---------------------------------------------------------------------------
// How archivers really name and shape members.

TEST(ReleaseArchiveTest, AZipWithoutDirectoryEntriesImpliesTheDirectories) {
  TempDir tmp;
  BuildShop(tmp.Sub("src/shop"));
  const std::string archive = tmp.Sub("flat.zip");
  ASSERT_TRUE(Sh(tmp.Sub("src/shop"), "zip -q -r -y -D " + Quote(archive) + " " + kShopTop));
  absl::StatusOr<std::unique_ptr<ArchiveListing>> listing = Scan(archive);
  ASSERT_TRUE(listing.ok()) << listing.status();
  for (const char* rel : {"public", "storage", "storage/app", "storage/app/public", "bootstrap"}) {
    absl::StatusOr<PathState> state = (*listing)->Observe(rel, false);
    ASSERT_TRUE(state.ok()) << rel << ": " << state.status();
    EXPECT_EQ(state->type(), DIRECTORY) << rel;
    EXPECT_EQ(state->mode(), 0755u) << rel;
  }
  absl::StatusOr<std::vector<std::string>> top = (*listing)->List("");
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_THAT(*top, ElementsAre("artisan", "bootstrap", "composer.json", "public", "storage"));
  absl::StatusOr<std::vector<std::string>> storage = (*listing)->List("storage");
  ASSERT_TRUE(storage.ok()) << storage.status();
  EXPECT_THAT(*storage, ElementsAre("app"));
}

TEST(ReleaseArchiveTest, ATarOfDotHasItsNamesWithoutTheLeadingDotSlash) {
  TempDir tmp;
  BuildShop(tmp.Sub("src/shop"));
  const std::string archive = tmp.Sub("dot.tar.gz");
  ASSERT_TRUE(Sh(tmp.Sub("src/shop"), "tar -czf " + Quote(archive) + " ."));
  absl::StatusOr<std::unique_ptr<ArchiveListing>> listing = Scan(archive);
  ASSERT_TRUE(listing.ok()) << listing.status();
  absl::StatusOr<std::vector<std::string>> top = (*listing)->List("");
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_THAT(*top, ElementsAre("artisan", "bootstrap", "composer.json", "public", "storage"));
  absl::StatusOr<PathState> artisan = (*listing)->Observe("artisan", false);
  ASSERT_TRUE(artisan.ok()) << artisan.status();
  EXPECT_EQ(artisan->type(), REGULAR);
  const std::string into = tmp.Sub("release");
  absl::StatusOr<CopyStats> stats = Unpack(archive, "", into);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(DiffSnapshots(WithoutMtimes(TakeSnapshot(tmp.Sub("src/shop"))),
                          WithoutMtimes(TakeSnapshot(into))),
            "");
}

TEST(ReleaseArchiveTest, AZipMadeOnWindowsGetsFilesAt0644AndDirectoriesAt0755) {
  TempDir tmp;
  const std::string archive = tmp.Sub("windows.zip");
  ASSERT_TRUE(Python(tmp, "windows_zip", archive));
  absl::StatusOr<std::unique_ptr<ArchiveListing>> listing = Scan(archive);
  ASSERT_TRUE(listing.ok()) << listing.status();
  const std::map<std::string, uint32_t> want = {
      {"shop", 0755},        {"shop/artisan", 0644},
      {"shop/public", 0755}, {"shop/public/index.php", 0644},
      {"shop/config", 0755}, {"shop/config/app.php", 0644}};
  for (const auto& [rel, mode] : want) {
    absl::StatusOr<PathState> state = (*listing)->Observe(rel, false);
    ASSERT_TRUE(state.ok()) << rel << ": " << state.status();
    EXPECT_EQ(state->mode(), mode) << rel;
  }
  const std::string into = tmp.Sub("release");
  ASSERT_TRUE(Unpack(archive, "shop", into).ok());
  EXPECT_EQ(ModeOf(into + "/artisan"), 0644u);
  EXPECT_EQ(ModeOf(into + "/public"), 0755u);
  EXPECT_EQ(ModeOf(into + "/public/index.php"), 0644u);
  EXPECT_EQ(ModeOf(into + "/config"), 0755u);
  EXPECT_EQ(ModeOf(into + "/config/app.php"), 0644u);
}

TEST(ReleaseArchiveTest, GroupWriteIsDroppedFromAZipButKeptFromATar) {
  TempDir tmp;
  WriteFile(tmp.Sub("src/shop/config/app.php"), "<?php return [];\n", 0664);
  ASSERT_EQ(chmod(tmp.Sub("src/shop/config").c_str(), 0775), 0);
  ASSERT_TRUE(Sh(tmp.Sub("src"), "zip -q -r shop.zip shop && tar -czf shop.tar.gz shop"));
  absl::StatusOr<std::unique_ptr<ArchiveListing>> zip = Scan(tmp.Sub("src/shop.zip"));
  ASSERT_TRUE(zip.ok()) << zip.status();
  EXPECT_EQ(ListedMode(**zip, "shop/config/app.php"), 0644u);
  EXPECT_EQ(ListedMode(**zip, "shop/config"), 0755u);
  absl::StatusOr<std::unique_ptr<ArchiveListing>> tar = Scan(tmp.Sub("src/shop.tar.gz"));
  ASSERT_TRUE(tar.ok()) << tar.status();
  EXPECT_EQ(ListedMode(**tar, "shop/config/app.php"), 0664u);
  EXPECT_EQ(ListedMode(**tar, "shop/config"), 0775u);
}

TEST(ReleaseArchiveTest, SetIdBitsAndWorldWriteAreDroppedAndTheSetIdMembersNamed) {
  TempDir tmp;
  const std::string archive = tmp.Sub("setid.tar.gz");
  ASSERT_TRUE(Python(tmp, "setid_tar", archive));
  absl::StatusOr<std::unique_ptr<ArchiveListing>> listing = Scan(archive);
  ASSERT_TRUE(listing.ok()) << listing.status();
  const std::map<std::string, uint32_t> want = {
      {"shop/suid", 0755}, {"shop/sgid-dir", 0775}, {"shop/open", 0775}, {"shop/open-dir", 0775}};
  for (const auto& [rel, mode] : want) {
    absl::StatusOr<PathState> state = (*listing)->Observe(rel, false);
    ASSERT_TRUE(state.ok()) << rel << ": " << state.status();
    EXPECT_EQ(state->mode(), mode) << rel;
  }
  EXPECT_THAT((*listing)->setid_dropped(), UnorderedElementsAre("shop/suid", "shop/sgid-dir"));
}

TEST(ReleaseArchiveTest, UnpackWritesTheSafeModesOfSetIdAndWorldWritableMembers) {
  TempDir tmp;
  const std::string archive = tmp.Sub("setid.tar.gz");
  ASSERT_TRUE(Python(tmp, "setid_tar", archive));
  const std::string into = tmp.Sub("release");
  absl::StatusOr<CopyStats> stats = Unpack(archive, "shop", into);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(ModeOf(into + "/suid"), 0755u);
  EXPECT_EQ(ModeOf(into + "/sgid-dir"), 0775u);
  EXPECT_EQ(ModeOf(into + "/open"), 0775u);
  EXPECT_EQ(ModeOf(into + "/open-dir"), 0775u);
}

TEST(ReleaseArchiveTest, MacDebrisIsLeftOutAndCounted) {
  TempDir tmp;
  const std::string archive = tmp.Sub("mac.zip");
  ASSERT_TRUE(Python(tmp, "debris_zip", archive));
  absl::StatusOr<std::unique_ptr<ArchiveListing>> listing = Scan(archive);
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_EQ((*listing)->debris(), 5u);
  EXPECT_THAT(Names(**listing, ""), ElementsAre("shop"));
  EXPECT_THAT(Names(**listing, "shop"), ElementsAre("artisan", "public"));
  EXPECT_THAT(Names(**listing, "shop/public"), ElementsAre("index.php"));
  for (const char* rel : {"__MACOSX", "__MACOSX/shop/._artisan", ".DS_Store", "shop/.DS_Store"}) {
    absl::StatusOr<PathState> state = (*listing)->Observe(rel, false);
    ASSERT_TRUE(state.ok()) << rel << ": " << state.status();
    EXPECT_EQ(state->type(), ABSENT) << rel;
  }
  for (const auto& [name, member] : (*listing)->members()) {
    EXPECT_THAT(name, ::testing::Not(HasSubstr("__MACOSX")));
    EXPECT_THAT(name, ::testing::Not(HasSubstr(".DS_Store")));
  }
}

TEST(ReleaseArchiveTest, UnpackLeavesMacDebrisOut) {
  TempDir tmp;
  const std::string archive = tmp.Sub("mac.zip");
  ASSERT_TRUE(Python(tmp, "debris_zip", archive));
  const std::string into = tmp.Sub("release");
  absl::StatusOr<CopyStats> stats = Unpack(archive, "shop", into);
  ASSERT_TRUE(stats.ok()) << stats.status();
  Snapshot got = TakeSnapshot(into);
  std::vector<std::string> paths;
  for (const auto& [rel, desc] : got) paths.push_back(rel);
  EXPECT_THAT(paths, ElementsAre("artisan", "public", "public/index.php"));
}

TEST(ReleaseArchiveTest, AHardLinkToAnEarlierMemberIsAccepted) {
  TempDir tmp;
  const std::string archive = tmp.Sub("links.tar.gz");
  ASSERT_TRUE(Python(tmp, "hardlink_back_tar", archive));
  absl::StatusOr<std::unique_ptr<ArchiveListing>> listing = Scan(archive);
  ASSERT_TRUE(listing.ok()) << listing.status();
  absl::StatusOr<PathState> copy = (*listing)->Observe("shop/artisan-copy", false);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(copy->type(), REGULAR);
  const std::string into = tmp.Sub("release");
  absl::StatusOr<CopyStats> stats = Unpack(archive, "shop", into);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(ReadFile(into + "/artisan-copy"), "#!/usr/bin/env php\n<?php\n");
  EXPECT_EQ(ReadFile(into + "/artisan"), "#!/usr/bin/env php\n<?php\n");
}

TEST(ReleaseArchiveTest, UnpackCountsAHardLinkAsAFileWithItsBytes) {
  TempDir tmp;
  const std::string archive = tmp.Sub("links.tar.gz");
  ASSERT_TRUE(Python(tmp, "hardlink_back_tar", archive));
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  UnpackOptions options;
  options.on_file = [&](uint64_t files, uint64_t bytes) { calls.emplace_back(files, bytes); };
  absl::StatusOr<CopyStats> stats = Unpack(archive, "shop", tmp.Sub("release"), options);
  ASSERT_TRUE(stats.ok()) << stats.status();
  const uint64_t size = std::string("#!/usr/bin/env php\n<?php\n").size();
  EXPECT_EQ(stats->files, 2u);
  EXPECT_EQ(stats->bytes, 2 * size);
  EXPECT_EQ(calls.size(), 2u);
}

TEST(ReleaseArchiveTest, ADirectoryEntryAfterWhatItHoldsGivesItsMode) {
  TempDir tmp;
  const std::string archive = tmp.Sub("late.zip");
  ASSERT_TRUE(Python(tmp, "late_dir_zip", archive));
  absl::StatusOr<std::unique_ptr<ArchiveListing>> listing = Scan(archive);
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_EQ(ListedMode(**listing, "shop/public"), 0750u);
  const std::string into = tmp.Sub("release");
  absl::StatusOr<CopyStats> stats = Unpack(archive, "shop", into);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(ModeOf(into + "/public"), 0750u);
  EXPECT_EQ(ReadFile(into + "/public/index.php"), "<?php\n");
}

TEST(ReleaseArchiveTest, UnpackOfADirectoryTakesNothingOfItsNamesakes) {
  TempDir tmp;
  const std::string archive = tmp.Sub("siblings.zip");
  ASSERT_TRUE(Python(tmp, "sibling_prefix_zip", archive));
  const std::string into = tmp.Sub("release");
  absl::StatusOr<CopyStats> stats = Unpack(archive, "shop", into);
  ASSERT_TRUE(stats.ok()) << stats.status();
  std::vector<std::string> paths;
  for (const auto& [rel, desc] : TakeSnapshot(into)) paths.push_back(rel);
  EXPECT_THAT(paths, ElementsAre("artisan"));
}

// The scan accepts a hard link to any file the archive held before it; a
// release whose hard link leads out of its directory is refused before the
// plan (CheckLinksStayIn), as the unpack of that directory refuses it: the
// plan made from the scan never fails half-way on it.
TEST(ReleaseArchiveTest, AHardLinkToAFileOutsideTheDirectoryIsSeenAlikeByScanAndUnpack) {
  TempDir tmp;
  const std::string archive = tmp.Sub("across.tar.gz");
  ASSERT_TRUE(Python(tmp, "hardlink_across_tar", archive));
  absl::StatusOr<std::unique_ptr<ArchiveListing>> listing = Scan(archive);
  ASSERT_TRUE(listing.ok()) << listing.status();
  ExpectRefusal((*listing)->CheckLinksStayIn("shop"), archive, "shop/LICENSE");
  EXPECT_EQ((*listing)->CheckLinksStayIn(""), absl::OkStatus());
  const std::string into = tmp.Sub("release");
  absl::StatusOr<CopyStats> stats = Unpack(archive, "shop", into);
  ExpectRefusal(stats.status(), archive, "shop/LICENSE");
}

// A name of UTF-8 bytes, as a zip flagged UTF-8 (python), Info-ZIP and GNU
// tar store it: listed and unpacked byte for byte, whatever the locale.
void ExpectUtf8NameKept(const TempDir& tmp, const std::string& archive) {
  const std::string name = "caf\xc3\xa9.php";
  absl::StatusOr<std::unique_ptr<ArchiveListing>> listing = Scan(archive);
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_THAT(Names(**listing, "shop/lang"), ElementsAre(name));
  const std::string into = tmp.Sub("release");
  absl::StatusOr<CopyStats> stats = Unpack(archive, "shop", into);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_TRUE(PathExists(into + "/lang/" + name));
}

TEST(Utf8NameTest, AZipFlaggedUtf8KeepsTheName) {
  TempDir tmp;
  ASSERT_TRUE(Python(tmp, "utf8_zip", tmp.Sub("utf8.zip")));
  ExpectUtf8NameKept(tmp, tmp.Sub("utf8.zip"));
}

TEST(Utf8NameTest, AnInfoZipZipKeepsTheName) {
  TempDir tmp;
  WriteFile(tmp.Sub("src/shop/lang/caf\xc3\xa9.php"), "<?php return [];\n");
  ASSERT_TRUE(Sh(tmp.Sub("src"), "zip -q -r ../utf8.zip shop"));
  ExpectUtf8NameKept(tmp, tmp.Sub("utf8.zip"));
}

TEST(Utf8NameTest, AGnuTarKeepsTheName) {
  TempDir tmp;
  WriteFile(tmp.Sub("src/shop/lang/caf\xc3\xa9.php"), "<?php return [];\n");
  ASSERT_TRUE(Sh(tmp.Sub("src"), "tar -czf ../utf8.tar.gz shop"));
  ExpectUtf8NameKept(tmp, tmp.Sub("utf8.tar.gz"));
}

TEST(Utf8NameTest, APaxTarKeepsTheName) {
  TempDir tmp;
  WriteFile(tmp.Sub("src/shop/lang/caf\xc3\xa9.php"), "<?php return [];\n");
  ASSERT_TRUE(Sh(tmp.Sub("src"), "tar --format=pax -czf ../utf8.tar.gz shop"));
  ExpectUtf8NameKept(tmp, tmp.Sub("utf8.tar.gz"));
}

// ---------------------------------------------------------------------------
// Symlinks that lead out.

// Scans `which` (a python case) and returns CheckLinksStayIn(dir); a
// refusal by the scan itself is returned as it is.
absl::Status ScanAndCheckSymlinks(const TempDir& tmp, const std::string& which,
                                  const std::string& dir, std::string* archive) {
  *archive = tmp.Sub(which + ".zip");
  if (!Python(tmp, which, *archive)) return absl::InternalError("python failed: " + which);
  absl::StatusOr<std::unique_ptr<ArchiveListing>> listing = Scan(*archive);
  if (!listing.ok()) return listing.status();
  return (*listing)->CheckLinksStayIn(dir);
}

TEST(SymlinkTest, ASymlinkClimbingOutOfTheArchiveIsRefusedByName) {
  TempDir tmp;
  std::string archive;
  ExpectRefusal(ScanAndCheckSymlinks(tmp, "symlink_out_zip", "", &archive), archive, "shop/evil");
  ExpectRefusal(ScanAndCheckSymlinks(tmp, "symlink_out_zip", "shop", &archive), archive,
                "shop/evil");
}

TEST(SymlinkTest, AnAbsoluteSymlinkIsRefusedByName) {
  TempDir tmp;
  std::string archive;
  ExpectRefusal(ScanAndCheckSymlinks(tmp, "symlink_abs_zip", "", &archive), archive, "shop/abs");
  ExpectRefusal(ScanAndCheckSymlinks(tmp, "symlink_abs_zip", "shop", &archive), archive,
                "shop/abs");
}

TEST(SymlinkTest, ASymlinkStayingInsideIsAccepted) {
  TempDir tmp;
  std::string archive;
  EXPECT_EQ(ScanAndCheckSymlinks(tmp, "symlink_in_zip", "", &archive), absl::OkStatus());
  EXPECT_EQ(ScanAndCheckSymlinks(tmp, "symlink_in_zip", "shop", &archive), absl::OkStatus());
}

TEST(SymlinkTest, ASymlinkLeavingTheDirectoryButNotTheArchiveIsRefusedForThatDirectory) {
  TempDir tmp;
  std::string archive;
  EXPECT_EQ(ScanAndCheckSymlinks(tmp, "symlink_out_of_dir_zip", "", &archive), absl::OkStatus());
  ExpectRefusal(ScanAndCheckSymlinks(tmp, "symlink_out_of_dir_zip", "shop", &archive), archive,
                "shop/up");
}

TEST(SymlinkTest, ASymlinkOutsideTheDirectoryIsNotItsConcern) {
  TempDir tmp;
  std::string archive;
  EXPECT_EQ(ScanAndCheckSymlinks(tmp, "symlink_elsewhere_zip", "shop", &archive), absl::OkStatus());
}

TEST(SymlinkTest, UnpackRefusesASymlinkLeadingOutOfTheRelease) {
  TempDir tmp;
  const std::string archive = tmp.Sub("archives/out.zip");
  MakeDir(tmp.Sub("archives"));
  MakeDir(tmp.Sub("work"));
  ASSERT_TRUE(Python(tmp, "symlink_out_zip", archive));
  const Snapshot before = EverythingBut(tmp, "work/out");
  absl::Status status = Unpack(archive, "shop", tmp.Sub("work/out")).status();
  ExpectRefusal(status, archive, "evil");
  EXPECT_EQ(DiffSnapshots(before, EverythingBut(tmp, "work/out")), "");
}

// ---------------------------------------------------------------------------
// Hostile and broken archives: each refused by the scan, naming the archive
// and the member, and by the unpack, which makes nothing outside `into`.

struct HostileCase {
  const char* name;          // the test's name
  const char* make;          // how it is made: a python case, or one of MakeHostile's
  const char* file;          // the archive's name in archives/
  const char* member;        // in the message; "" for none, "ABS" for tmp/abs-evil.txt
  uint64_t max_entries = 0;  // 0: the default limits
  uint64_t max_bytes = 0;
};

const HostileCase kHostileCases[] = {
    {"DotDotInAZip", "dotdot_zip", "shop.zip", "shop/../../evil.txt"},
    {"DotDotInATar", "dotdot_tar", "shop.tar.gz", "../evil.txt"},
    {"AbsoluteNameInAZip", "absolute_zip", "shop.zip", "ABS"},
    {"AbsoluteNameInATar", "absolute_tar", "shop.tar.gz", "ABS"},
    {"DuplicateInAZip", "duplicate_zip", "shop.zip", "shop/artisan"},
    {"DuplicateInATar", "duplicate_tar", "shop.tar.gz", "shop/artisan"},
    {"MemberBeneathAFile", "beneath_file_zip", "shop.zip", "shop/artisan"},
    {"MemberBeneathASymlinkInAZip", "beneath_symlink_zip", "shop.zip", "shop/link"},
    {"MemberBeneathASymlinkInATar", "beneath_symlink_tar", "shop.tar.gz", "shop/link"},
    {"Fifo", "fifo_tar", "shop.tar.gz", "shop/fifo"},
    {"HardLinkOutOfTheArchive", "hardlink_outside_tar", "shop.tar.gz", "shop/passwd"},
    {"HardLinkToAMissingMember", "hardlink_missing_tar", "shop.tar.gz", "shop/copy"},
    {"HardLinkToALaterMember", "hardlink_forward_tar", "shop.tar.gz", "shop/copy"},
    {"Encrypted", "encrypted", "shop.zip", "shop/artisan"},
    {"TruncatedTarGz", "truncated_tgz", "shop.tar.gz", ""},
    {"TruncatedZip", "truncated_zip", "shop.zip", ""},
    {"NotAnArchive", "not_an_archive", "shop.zip", ""},
    {"GzipOfNoTar", "gzip_of_text", "shop.tar.gz", ""},
    {"BombOverTheRatio", "bomb_zip", "shop.zip", ""},
    {"DirectoryAndFileOfOneName", "dir_and_file_zip", "shop.zip", "shop/public"},
    {"MoreEntriesThanTheLimit", "shop_zip", "shop.zip", "", 3, 0},
    {"MoreBytesThanTheLimit", "shop_zip", "shop.zip", "", 0, 100},
};

void PrintTo(const HostileCase& c, std::ostream* os) { *os << c.name; }

class HostileArchiveTest : public ::testing::TestWithParam<HostileCase> {
 protected:
  void SetUp() override {
    // Bait for anything that would write outside `into`: a directory and a
    // file of the temp dir a symlink or hard link member names.
    WriteFile(tmp_.Sub("outside/secret"), "secret\n", 0644);
    MakeDir(tmp_.Sub("work"));
    MakeDir(tmp_.Sub("archives"));
    archive_ = tmp_.Sub(std::string("archives/") + GetParam().file);
    absolute_ = tmp_.Sub("abs-evil.txt");
    member_ = GetParam().member == std::string("ABS") ? absolute_ : GetParam().member;
    if (GetParam().max_entries != 0) limits_.max_entries = GetParam().max_entries;
    if (GetParam().max_bytes != 0) limits_.max_bytes = GetParam().max_bytes;
    Make(GetParam().make);
  }

  void Make(const std::string& how) {
    const std::string out = Quote(archive_);
    if (how == "encrypted") {
      BuildShop(tmp_.Sub("src/shop"));
      ASSERT_TRUE(Sh(tmp_.Sub("src"), "zip -q -P secret " + out + " shop/artisan"));
    } else if (how == "truncated_tgz" || how == "truncated_zip") {
      BuildNoisyTree(tmp_.Sub("src/shop"));
      ASSERT_TRUE(Sh(tmp_.Sub("src"), how == "truncated_tgz" ? "tar -czf " + out + " shop"
                                                             : "zip -q -r " + out + " shop"));
      ASSERT_TRUE(Sh(tmp_.path(), absl::StrCat("truncate -s ", FileSize(archive_) / 2, " ", out)));
    } else if (how == "not_an_archive") {
      WriteFile(archive_, "<?php\necho 'this is no archive';\n");
    } else if (how == "gzip_of_text") {
      WriteFile(tmp_.Sub("src/readme.txt"), Noise(5000, 7));
      ASSERT_TRUE(Sh(tmp_.Sub("src"), "gzip -c readme.txt > " + out));
    } else if (how == "shop_zip") {
      BuildShop(tmp_.Sub("src/shop"));
      ASSERT_TRUE(Sh(tmp_.Sub("src"), "zip -q -r -y " + out + " shop"));
    } else {
      const std::string extra = how == "beneath_symlink_zip"    ? tmp_.Sub("outside")
                                : how == "hardlink_outside_tar" ? tmp_.Sub("outside/secret")
                                                                : absolute_;
      ASSERT_TRUE(Python(tmp_, how, archive_, extra));
    }
  }

  TempDir tmp_;
  std::string archive_;
  std::string absolute_;
  std::string member_;
  ArchiveLimits limits_;
};

TEST_P(HostileArchiveTest, ScanRefusesItNamingTheArchiveAndTheMember) {
  absl::StatusOr<std::unique_ptr<ArchiveListing>> listing = Scan(archive_, {}, limits_);
  ASSERT_FALSE(listing.ok()) << "accepted " << archive_;
  ExpectRefusal(listing.status(), archive_, member_);
}

TEST_P(HostileArchiveTest, UnpackRefusesItAndMakesNothingOutsideInto) {
  const Snapshot before = EverythingBut(tmp_, "work/out");
  UnpackOptions options;
  options.limits = limits_;
  absl::StatusOr<CopyStats> stats = Unpack(archive_, "", tmp_.Sub("work/out"), options);
  ASSERT_FALSE(stats.ok()) << "unpacked " << archive_;
  ExpectRefusal(stats.status(), archive_, member_);
  EXPECT_EQ(DiffSnapshots(before, EverythingBut(tmp_, "work/out")), "");
  EXPECT_FALSE(PathExists(absolute_));
  EXPECT_EQ(LstatOf(tmp_.Sub("outside/secret")).st_nlink, 1u) << "a hard link to a file outside";
}

INSTANTIATE_TEST_SUITE_P(Cases, HostileArchiveTest, ::testing::ValuesIn(kHostileCases),
                         [](const ::testing::TestParamInfo<HostileCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(ReleaseArchiveTest, AMemberHoldingMoreThanItDeclaresIsStoppedWhileUnpacking) {
  TempDir tmp;
  MakeDir(tmp.Sub("work"));
  const std::string archive = tmp.Sub("lying.zip");
  ASSERT_TRUE(Python(tmp, "lying_zip", archive));
  const Snapshot before = EverythingBut(tmp, "work/out");
  UnpackOptions options;
  options.limits.max_bytes = 1 << 20;  // the member declares 1000 bytes, holds 16 MiB
  absl::StatusOr<CopyStats> stats = Unpack(archive, "", tmp.Sub("work/out"), options);
  ASSERT_FALSE(stats.ok());
  EXPECT_THAT(std::string(stats.status().message()), HasSubstr(archive));
  EXPECT_EQ(DiffSnapshots(before, EverythingBut(tmp, "work/out")), "");
  struct stat st;
  if (lstat(tmp.Sub("work/out/shop/zeros.bin").c_str(), &st) == 0) {
    EXPECT_LE(st.st_size, 2 << 20) << "written past max_bytes before stopping";
  }
}

// ---------------------------------------------------------------------------
// Damage the scan cannot see: the archive changes after it.

void ExpectUnpackOfDamagedArchiveFails(const std::string& packer) {
  TempDir tmp;
  BuildNoisyTree(tmp.Sub("src/shop"));
  MakeDir(tmp.Sub("work"));
  const std::string archive = tmp.Sub(packer == "zip" ? "shop.zip" : "shop.tar.gz");
  ASSERT_TRUE(Sh(tmp.Sub("src"), packer == "zip" ? "zip -q -r " + Quote(archive) + " shop"
                                                 : "tar -czf " + Quote(archive) + " shop"));
  absl::StatusOr<std::unique_ptr<ArchiveListing>> listing = Scan(archive);
  ASSERT_TRUE(listing.ok()) << listing.status();
  DamageTheMiddle(archive, 4096);
  const Snapshot before = EverythingBut(tmp, "work/out");
  absl::StatusOr<CopyStats> stats = Unpack(archive, "shop", tmp.Sub("work/out"));
  ASSERT_FALSE(stats.ok()) << "unpacked a damaged " << archive;
  EXPECT_THAT(std::string(stats.status().message()), HasSubstr(archive));
  EXPECT_EQ(DiffSnapshots(before, EverythingBut(tmp, "work/out")), "");
}

TEST(DamagedArchiveTest, UnpackOfATarGzDamagedMidStreamFailsNamingIt) {
  ExpectUnpackOfDamagedArchiveFails("tar");
}

TEST(DamagedArchiveTest, UnpackOfAZipDamagedMidStreamFailsNamingIt) {
  ExpectUnpackOfDamagedArchiveFails("zip");
}

// ---------------------------------------------------------------------------
// A vendor's download: the app in shop/ beside documentation/, and the same
// as a zip inside the zip.

class VendorZipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BuildShop(tmp_.Sub("src/shop"));
    WriteFile(tmp_.Sub("src/documentation/index.html"), "<html>How to install</html>\n");
    MakeDir(tmp_.Sub("work"));
    archive_ = tmp_.Sub("vendor.zip");
    ASSERT_TRUE(Sh(tmp_.Sub("src"), "zip -q -r -y " + Quote(archive_) + " shop documentation"));
  }

  TempDir tmp_;
  std::string archive_;
};

TEST_F(VendorZipTest, UnpackOfShopMakesTheOriginalTreeAndNothingOfDocumentation) {
  const std::string into = tmp_.Sub("work/release");
  absl::StatusOr<CopyStats> stats = Unpack(archive_, "shop", into);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(DiffSnapshots(WithoutMtimes(TakeSnapshot(tmp_.Sub("src/shop"))),
                          WithoutMtimes(TakeSnapshot(into))),
            "");
  for (const ShopFile& f : kShopFiles) {
    const struct stat st = LstatOf(into + "/" + f.rel);
    EXPECT_EQ(st.st_mtim.tv_sec, f.mtime) << f.rel;
  }
  EXPECT_FALSE(PathExists(into + "/documentation"));
  EXPECT_FALSE(PathExists(into + "/shop"));
  EXPECT_FALSE(PathExists(tmp_.Sub("work/documentation")));
}

TEST_F(VendorZipTest, UnpackCountsTheFilesAndBytesOfTheReleaseOnly) {
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  UnpackOptions options;
  options.on_file = [&](uint64_t files, uint64_t bytes) { calls.emplace_back(files, bytes); };
  absl::StatusOr<CopyStats> stats = Unpack(archive_, "shop", tmp_.Sub("work/release"), options);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->files, std::size(kShopFiles));
  EXPECT_EQ(stats->bytes, ShopBytes());
  ASSERT_EQ(calls.size(), std::size(kShopFiles));
  for (size_t i = 0; i < calls.size(); ++i) EXPECT_EQ(calls[i].first, i + 1);
  EXPECT_EQ(calls.back().second, ShopBytes());
}

TEST_F(VendorZipTest, TheManifestIsInWalkOrderWithTheDigestOfEveryFile) {
  const std::string into = tmp_.Sub("work/release");
  CollectingSink sink;
  UnpackOptions options;
  options.manifest = &sink;
  absl::StatusOr<CopyStats> stats = Unpack(archive_, "shop", into, options);
  ASSERT_TRUE(stats.ok()) << stats.status();
  std::set<std::string> listed;
  for (size_t i = 0; i < sink.entries.size(); ++i) {
    const ManifestEntry& entry = sink.entries[i];
    if (i > 0) {
      EXPECT_TRUE(PathBefore(sink.entries[i - 1].path(), entry.path()))
          << sink.entries[i - 1].path() << " before " << entry.path();
    }
    if (entry.path().empty()) continue;  // the release itself
    listed.insert(entry.path());
    const std::string path = into + "/" + entry.path();
    const struct stat st = LstatOf(path);
    if (S_ISREG(st.st_mode)) {
      EXPECT_EQ(entry.type(), REGULAR) << entry.path();
      EXPECT_EQ(HexDigest(entry.digest()), HexDigest(DigestBytes(ReadFile(path)))) << entry.path();
      EXPECT_EQ(entry.size(), static_cast<uint64_t>(st.st_size)) << entry.path();
      EXPECT_EQ(entry.mode(), st.st_mode & 07777) << entry.path();
      EXPECT_EQ(entry.mtime_ns(), st.st_mtim.tv_sec * kSecond + st.st_mtim.tv_nsec) << entry.path();
    } else if (S_ISLNK(st.st_mode)) {
      EXPECT_EQ(entry.type(), SYMLINK) << entry.path();
      EXPECT_EQ(entry.link_target(), kShopLinkTarget) << entry.path();
    } else {
      EXPECT_EQ(entry.type(), DIRECTORY) << entry.path();
      EXPECT_EQ(entry.mode(), st.st_mode & 07777) << entry.path();
    }
  }
  std::set<std::string> on_disk;
  for (const auto& [rel, desc] : TakeSnapshot(into)) on_disk.insert(rel);
  EXPECT_EQ(listed, on_disk);
}

TEST_F(VendorZipTest, UnpackIntoAnExistingDirectoryIsRefusedAndLeavesItAlone) {
  WriteFile(tmp_.Sub("work/release/keep"), "mine\n");
  const Snapshot before = TakeSnapshot(tmp_.path());
  absl::StatusOr<CopyStats> stats = Unpack(archive_, "shop", tmp_.Sub("work/release"));
  EXPECT_FALSE(stats.ok());
  EXPECT_EQ(DiffSnapshots(before, TakeSnapshot(tmp_.path())), "");
}

TEST_F(VendorZipTest, UnpackGivesEverythingTheOwnerAsked) {
  if (geteuid() != 0) GTEST_SKIP() << "chown needs root";
  // A sandbox's user namespace may map root alone.
  WriteFile(tmp_.Sub("probe"), "");
  if (chown(tmp_.Sub("probe").c_str(), 65534, 65534) != 0) {
    GTEST_SKIP() << "uid 65534 is not mapped here: " << strerror(errno);
  }
  const std::string into = tmp_.Sub("work/release");
  UnpackOptions options;
  options.uid = 65534;
  options.gid = 65534;
  absl::StatusOr<CopyStats> stats = Unpack(archive_, "shop", into, options);
  ASSERT_TRUE(stats.ok()) << stats.status();
  std::vector<std::string> paths = {""};
  for (const auto& [rel, desc] : TakeSnapshot(into)) paths.push_back(rel);
  for (const std::string& rel : paths) {
    const struct stat st = LstatOf(rel.empty() ? into : into + "/" + rel);
    EXPECT_EQ(st.st_uid, 65534u) << rel;
    EXPECT_EQ(st.st_gid, 65534u) << rel;
  }
}

class NestedZipTest : public VendorZipTest {
 protected:
  void SetUp() override {
    VendorZipTest::SetUp();
    WriteFile(tmp_.Sub("pack/documentation/index.html"), "<html>How to install</html>\n");
    MakeDir(tmp_.Sub("pack/Main Files"));
    ASSERT_TRUE(Sh(tmp_.Sub("src"), "zip -q -r -y '../pack/Main Files/shop.zip' shop"));
    outer_ = tmp_.Sub("codecanyon.zip");
    ASSERT_TRUE(Sh(tmp_.Sub("pack"), "zip -q -r " + Quote(outer_) + " documentation 'Main Files'"));
  }

  std::string outer_;
};

TEST_F(NestedZipTest, TheOuterListingMarksTheInnerArchive) {
  absl::StatusOr<std::unique_ptr<ArchiveListing>> listing = Scan(outer_);
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_THAT(Names(**listing, ""), ElementsAre("Main Files", "documentation"));
  const auto& members = (*listing)->members();
  ASSERT_EQ(members.count("Main Files/shop.zip"), 1u);
  EXPECT_TRUE(members.at("Main Files/shop.zip").is_archive);
  EXPECT_EQ(members.at("Main Files/shop.zip").type, REGULAR);
  ASSERT_EQ(members.count("documentation/index.html"), 1u);
  EXPECT_FALSE(members.at("documentation/index.html").is_archive);
}

TEST_F(NestedZipTest, TheInnerListingHoldsTheApp) {
  absl::StatusOr<std::unique_ptr<ArchiveListing>> listing = Scan(outer_, {"Main Files/shop.zip"});
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_THAT(Names(**listing, ""), ElementsAre("shop"));
  EXPECT_THAT(Names(**listing, "shop"),
              ElementsAre("artisan", "bootstrap", "composer.json", "public", "storage"));
  absl::StatusOr<PathState> artisan = (*listing)->Observe("shop/artisan", true);
  ASSERT_TRUE(artisan.ok()) << artisan.status();
  EXPECT_EQ(artisan->type(), REGULAR);
  EXPECT_EQ(artisan->mode(), 0755u);
  EXPECT_EQ(artisan->mtime_ns(), kShopFiles[0].mtime * kSecond);
  absl::StatusOr<PathState> link = (*listing)->Observe(std::string("shop/") + kShopLink, false);
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->type(), SYMLINK);
  EXPECT_EQ(link->link_target(), kShopLinkTarget);
  EXPECT_EQ(ListedMode(**listing, "shop/bootstrap/cache"), 0750u);
  EXPECT_EQ(HexDigest(artisan->digest()), HexDigest(DigestBytes(kShopFiles[0].content)));
  EXPECT_EQ((*listing)->where().nested, std::vector<std::string>{"Main Files/shop.zip"});
  EXPECT_EQ((*listing)->Name("shop/artisan"), outer_ + ": Main Files/shop.zip: shop/artisan");
}

TEST_F(NestedZipTest, UnpackOfTheInnerShopMakesTheOriginalTree) {
  const std::string into = tmp_.Sub("work/release");
  absl::StatusOr<CopyStats> stats =
      Unpack(outer_, "shop", into, UnpackOptions(), {"Main Files/shop.zip"});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(DiffSnapshots(WithoutMtimes(TakeSnapshot(tmp_.Sub("src/shop"))),
                          WithoutMtimes(TakeSnapshot(into))),
            "");
  for (const ShopFile& f : kShopFiles) {
    EXPECT_EQ(LstatOf(into + "/" + f.rel).st_mtim.tv_sec, f.mtime) << f.rel;
  }
}

TEST_F(NestedZipTest, ANestedMemberThatIsNoArchiveIsRefused) {
  absl::StatusOr<std::unique_ptr<ArchiveListing>> listing =
      Scan(outer_, {"documentation/index.html"});
  ASSERT_FALSE(listing.ok());
  ExpectRefusal(listing.status(), outer_, "documentation/index.html");
}

TEST_F(NestedZipTest, AMissingNestedMemberIsAnErrorNamingIt) {
  absl::StatusOr<std::unique_ptr<ArchiveListing>> listing = Scan(outer_, {"Main Files/gone.zip"});
  ASSERT_FALSE(listing.ok());
  EXPECT_THAT(std::string(listing.status().message()), HasSubstr(outer_));
  EXPECT_THAT(std::string(listing.status().message()), HasSubstr("Main Files/gone.zip"));
}

}  // namespace
}  // namespace persist
