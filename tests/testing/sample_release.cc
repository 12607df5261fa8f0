// Copyright persist authors.

#include "tests/testing/sample_release.h"

#include <sys/stat.h>

#include <vector>

#include "absl/strings/match.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace testing {

SampleRelease SampleRelease::Laravel(const std::string& v) {
  SampleRelease r;
  r.File(".env.example", "APP_NAME=Invoicly\nAPP_KEY=\n")
      .File("artisan", "#!/usr/bin/env php\n", 0755)
      .File("app/Http/Controllers/HomeController.php", "<?php // " + v + "\n")
      .File("vendor/laravel/framework/src/Application.php", "<?php // " + v + "\n")
      .File("public/index.php", "<?php require '../vendor/autoload.php';\n")
      .File("public/css/app.css", "body{color:" + v + "}\n")
      .File("public/uploads/demo/avatar.txt", "demo avatar " + v + "\n")
      .Dir("public/qrcodes")
      .File("storage/logs/.gitignore", "*\n")
      .File("bootstrap/cache/.gitignore", "*\n")
      .FixedMtimes();
  return r;
}

SampleRelease SampleRelease::Shop(const std::string& v) {
  SampleRelease r;
  r.Dir("app")
      .Dir("public/uploads")
      .Dir("storage/logs")
      .Dir("bootstrap/cache")
      .File(".env.example", "APP_KEY=\n")
      .File("app/index.php", "<?php // " + v + "\n")
      .File("composer.json", "{\"name\": \"acme/shop\"}\n");
  return r;
}

SampleRelease SampleRelease::Small() {
  SampleRelease r;
  r.Dir("public/uploads")
      .Dir("storage/logs")
      .Dir("storage/framework/views")
      .Dir("bootstrap/cache")
      .File("artisan", "#!/usr/bin/env php\n")
      .File("public/index.php", "<?php\n")
      .File(".env.example", "APP_KEY=\n");
  return r;
}

SampleRelease& SampleRelease::File(const std::string& rel, const std::string& content, mode_t mode) {
  entries_[rel] = Entry{Entry::kFile, content, mode};
  return *this;
}

SampleRelease& SampleRelease::Dir(const std::string& rel, mode_t mode) {
  entries_[rel] = Entry{Entry::kDir, "", mode};
  return *this;
}

SampleRelease& SampleRelease::Symlink(const std::string& rel, const std::string& target) {
  entries_[rel] = Entry{Entry::kSymlink, target, 0777};
  return *this;
}

SampleRelease& SampleRelease::Without(const std::string& rel) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->first == rel || absl::StartsWith(it->first, rel + "/")) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  return *this;
}

SampleRelease& SampleRelease::FixedMtimes(int64_t first) {
  first_mtime_ = first;
  return *this;
}

SampleRelease& SampleRelease::WritingMtimes() {
  first_mtime_.reset();
  return *this;
}

void SampleRelease::Write(const std::string& dir) const {
  MakeDir(dir);
  // Directories are made writable first and get their own mode last, so that
  // a read-only one can still be filled.
  std::vector<std::pair<std::string, mode_t>> dir_modes;
  for (const auto& [rel, entry] : entries_) {
    const std::string path = dir + "/" + rel;
    switch (entry.kind) {
      case Entry::kFile:
        WriteFile(path, entry.content, entry.mode);
        break;
      case Entry::kDir:
        MakeDir(path, 0755);
        dir_modes.emplace_back(path, entry.mode);
        break;
      case Entry::kSymlink:
        MakeSymlink(entry.content, path);
        break;
    }
  }
  if (first_mtime_.has_value()) {
    int64_t t = *first_mtime_;
    for (const auto& [rel, desc] : TakeSnapshot(dir)) {
      if (desc.rfind("dir ", 0) != 0) SetMtime(dir + "/" + rel, t++);
    }
  }
  for (auto it = dir_modes.rbegin(); it != dir_modes.rend(); ++it) {
    MakeDir(it->first, it->second);
  }
}

}  // namespace testing
}  // namespace persist
