// Copyright persist authors.

#include "tests/testing/tree_snapshot.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "openssl/evp.h"

namespace persist {
namespace testing {
namespace {

[[noreturn]] void Die(const std::string& what, const std::string& path) {
  fprintf(stderr, "test fixture: %s %s: %s\n", what.c_str(), path.c_str(), strerror(errno));
  abort();
}

void MakeParents(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return;
  std::string parent = path.substr(0, slash);
  struct stat st;
  if (lstat(parent.c_str(), &st) == 0) return;
  MakeParents(parent);
  if (mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) Die("mkdir", parent);
}

std::string HexSha256OfFile(const std::string& path) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) Die("sha256 of", path);
  int fd = open(path.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) Die("open", path);
  std::vector<char> buf(1 << 17);
  while (true) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) Die("read", path);
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n));
  }
  close(fd);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(md), len));
}

// The snapshot's walk. `legacy` keeps TakeSnapshot's historical format
// (special files without an mtime), which the C++ tests compare against.
struct Walker {
  const std::string& root;
  const TreeSnapshotOptions& options;
  bool legacy;
  Snapshot* out;
  // (device, inode) of the directories being walked, when links are
  // followed: a link back to one of them is not entered again.
  std::set<std::pair<dev_t, ino_t>> open_dirs;

  std::string Describe(const std::string& path, const struct stat& st) {
    std::string desc = DescribeType(path, st);
    if (options.owners) absl::StrAppendFormat(&desc, " owner=%d:%d", st.st_uid, st.st_gid);
    return desc;
  }

  std::string DescribeType(const std::string& path, const struct stat& st) {
    int64_t mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    const std::string mtime_text = options.mtimes ? absl::StrFormat(" mtime=%d", mtime) : "";
    if (S_ISDIR(st.st_mode)) return absl::StrFormat("dir mode=%04o", st.st_mode & 07777);
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = readlink(path.c_str(), target, sizeof(target));
      if (n < 0) Die("readlink", path);
      return absl::StrFormat("symlink -> %s%s", std::string(target, n), mtime_text);
    }
    if (S_ISREG(st.st_mode)) {
      const std::string content = options.digests ? "sha256=" + HexSha256OfFile(path)
                                                  : "content=" + absl::CEscape(ReadFile(path));
      return absl::StrFormat("file mode=%04o size=%d%s %s", st.st_mode & 07777, st.st_size,
                             mtime_text, content);
    }
    return absl::StrFormat("other mode=%o%s", st.st_mode, legacy ? "" : mtime_text);
  }

  void Stat(const std::string& path, struct stat* st) {
    if (options.follow_links && stat(path.c_str(), st) == 0) return;
    if (lstat(path.c_str(), st) != 0) Die("lstat", path);
  }

  void Walk(const std::string& rel) {
    std::string dir_path = rel.empty() ? root : root + "/" + rel;
    DIR* dir = opendir(dir_path.c_str());
    if (dir == nullptr) Die("opendir", dir_path);
    std::vector<std::string> names;
    while (struct dirent* entry = readdir(dir)) {
      std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      names.push_back(name);
    }
    closedir(dir);
    for (const std::string& name : names) {
      std::string child_rel = rel.empty() ? name : rel + "/" + name;
      if (options.exclude.count(child_rel)) continue;
      std::string child = root + "/" + child_rel;
      struct stat st;
      Stat(child, &st);
      std::string desc = Describe(child, st);
      if (S_ISDIR(st.st_mode) && open_dirs.count({st.st_dev, st.st_ino})) {
        desc += " (a link back to a directory above it)";
        (*out)[child_rel] = desc;
        continue;
      }
      (*out)[child_rel] = desc;
      if (S_ISDIR(st.st_mode)) {
        open_dirs.insert({st.st_dev, st.st_ino});
        Walk(child_rel);
        open_dirs.erase({st.st_dev, st.st_ino});
      }
    }
  }

  void Run() {
    struct stat st;
    Stat(root, &st);
    if (options.root) (*out)["."] = Describe(root, st);
    open_dirs.insert({st.st_dev, st.st_ino});
    Walk("");
  }
};

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  chmod(path, 0700);  // a read-only directory must still give up its entries
  return remove(path);
}

}  // namespace

TempDir::TempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(base != nullptr ? base : "/tmp", "/persist-test-XXXXXX");
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) Die("mkdtemp", templ);
  path_ = buf.data();
}

TempDir::~TempDir() { RemoveAll(path_); }

void RemoveAll(const std::string& path) {
  // Directories first get their write bit back (pre-order), then everything
  // goes depth first.
  nftw(path.c_str(), [](const char* p, const struct stat* st, int type, struct FTW*) {
    if (type == FTW_D) chmod(p, 0700);
    return 0;
  }, 64, FTW_PHYS);
  nftw(path.c_str(), RemoveEntry, 64, FTW_DEPTH | FTW_PHYS);
}

void WriteFile(const std::string& path, const std::string& content, mode_t mode) {
  MakeParents(path);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode);
  if (fd < 0) Die("create", path);
  if (write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
    Die("write", path);
  }
  fchmod(fd, mode);
  close(fd);
}

void MakeDir(const std::string& path, mode_t mode) {
  MakeParents(path);
  if (mkdir(path.c_str(), mode) != 0 && errno != EEXIST) Die("mkdir", path);
  chmod(path.c_str(), mode);
}

void MakeSymlink(const std::string& target, const std::string& path) {
  MakeParents(path);
  if (symlink(target.c_str(), path.c_str()) != 0) Die("symlink", path);
}

void SetMtime(const std::string& path, int64_t seconds) {
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = seconds;
  times[0].tv_nsec = times[1].tv_nsec = 123456789;
  if (utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) Die("utimensat", path);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("read", path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ContentOrMissing(const std::string& path) {
  return PathExists(path) ? ReadFile(path) : "<missing " + path + ">";
}

bool PathExists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

Snapshot TakeSnapshot(const std::string& root, const std::set<std::string>& exclude) {
  TreeSnapshotOptions options;
  options.exclude = exclude;
  Snapshot snapshot;
  Walker{root, options, /*legacy=*/true, &snapshot, {}}.Run();
  return snapshot;
}

Snapshot TakeTreeSnapshot(const std::string& root, const TreeSnapshotOptions& options) {
  Snapshot snapshot;
  Walker{root, options, /*legacy=*/false, &snapshot, {}}.Run();
  return snapshot;
}

std::string DiffSnapshots(const Snapshot& expected, const Snapshot& actual) {
  std::string diff;
  for (const auto& [path, desc] : expected) {
    auto it = actual.find(path);
    if (it == actual.end()) {
      absl::StrAppend(&diff, "missing: ", path, " (", desc.substr(0, 120), ")\n");
    } else if (it->second != desc) {
      absl::StrAppend(&diff, "changed: ", path, "\n  expected ", desc.substr(0, 200),
                      "\n  actual   ", it->second.substr(0, 200), "\n");
    }
  }
  for (const auto& [path, desc] : actual) {
    if (!expected.count(path)) absl::StrAppend(&diff, "extra: ", path, " (", desc.substr(0, 120), ")\n");
  }
  return diff;
}

Snapshot WithoutMtimes(const Snapshot& snapshot) {
  Snapshot out;
  for (const auto& [path, desc] : snapshot) {
    std::string stripped = desc;
    size_t at = stripped.find(" mtime=");
    if (at != std::string::npos) {
      size_t end = stripped.find(' ', at + 1);
      stripped.erase(at, end == std::string::npos ? std::string::npos : end - at);
    }
    out[path] = stripped;
  }
  return out;
}

void BuildSampleSite(const std::string& root) {
  // The live release.
  WriteFile(root + "/releases/r1/index.php", "<?php echo 'r1';\n");
  WriteFile(root + "/releases/r1/artisan", "#!/usr/bin/env php\n", 0755);
  WriteFile(root + "/releases/r1/tmp/cache.bin", std::string(5000, 'c'));
  MakeDir(root + "/releases/r1/public/uploads");
  WriteFile(root + "/releases/r1/public/uploads/demo.jpg", "demo-image-bytes");
  MakeSymlink("releases/r1", root + "/current");
  // Shared data.
  WriteFile(root + "/shared/.env", "APP_KEY=base64:abc\n", 0600);
  WriteFile(root + "/shared/.deployment-history", "r1 deployed\n");
  WriteFile(root + "/shared/storage/logs/laravel.log", "log line\n");
  // The incoming release: nested dirs, modes, symlinks (relative, absolute,
  // dangling), an empty directory, a read-only directory.
  WriteFile(root + "/incoming/v2/index.php", "<?php echo 'v2';\n");
  WriteFile(root + "/incoming/v2/artisan", "#!/usr/bin/env php\n# v2\n", 0755);
  WriteFile(root + "/incoming/v2/vendor/laravel/framework/src/Application.php", "<?php class App {}\n");
  WriteFile(root + "/incoming/v2/vendor/autoload.php", "<?php // autoload\n", 0640);
  WriteFile(root + "/incoming/v2/public/uploads/vendor-demo.jpg", "vendor-demo");
  WriteFile(root + "/incoming/v2/public/css/app.css", "body{}\n");
  MakeSymlink("../vendor/autoload.php", root + "/incoming/v2/public/autoload-link");
  MakeSymlink("/etc/hostname", root + "/incoming/v2/public/absolute-link");
  MakeSymlink("does-not-exist", root + "/incoming/v2/dangling");
  MakeDir(root + "/incoming/v2/storage/framework/cache");
  WriteFile(root + "/incoming/v2/config/app.php", "<?php return [];\n");
  MakeDir(root + "/incoming/v2/config", 0555);
  // Fixed, distinct mtimes on every file and symlink, so that two sample
  // sites are identical and any mtime the engine fails to keep shows up.
  int64_t t = 1700000000;
  for (const auto& [rel, desc] : TakeSnapshot(root)) {
    if (desc.rfind("dir ", 0) != 0) SetMtime(root + "/" + rel, t++);
  }
}

std::string SamplePlanText() {
  return R"(
op { mkdir    { path: "releases/r2-staging" mode: 0750 } }
op { copy     { from: "incoming/v2" to: "releases/r2" } }
op { move     { from: "releases/r2/public/uploads" to: "releases/r2-staging/vendor-uploads" } }
op { symlink  { target: "../../../shared/public/uploads" path: "releases/r2/public/uploads" } }
op { move     { from: "releases/r1/public/uploads" to: "shared/public-uploads" } }
op { remove   { path: "releases/r1/tmp" } }
op { write    { path: "shared/.deployment-history" content: "r1 deployed\nr2 deployed\n" } }
op { write    { path: "shared/.env" content: "APP_KEY=base64:new\n" mode: 0600 } }
op { chmod    { path: "releases/r2/artisan" mode: 0700 } }
op { symlink  { target: "releases/r2" path: "current" } }
op { exchange { a: "releases/r1/index.php" b: "releases/r2/index.php" } }
op { remove   { path: "incoming/v2" } }
)";
}

}  // namespace testing
}  // namespace persist
