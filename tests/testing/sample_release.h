// Copyright persist authors.
//
// sample_release: the release a vendor uploads, written once for every test
// that deploys one (the C++ campaigns and the shell tests through the
// make_release tool). A release is described first and written by Write, so
// that a test can add the files it is about, or leave out what it must not
// have, and say so where it does.

#ifndef PERSIST_TESTS_TESTING_SAMPLE_RELEASE_H_
#define PERSIST_TESTS_TESTING_SAMPLE_RELEASE_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace persist {
namespace testing {

class SampleRelease {
 public:
  // A small CodeCanyon-style Laravel release; `version` is in the app code,
  // the vendor code, the css and the demo upload the vendor ships:
  //   .env.example                  APP_NAME=Invoicly, an empty APP_KEY
  //   artisan                       0755
  //   app/Http/Controllers/HomeController.php
  //   vendor/laravel/framework/src/Application.php
  //   public/index.php, public/css/app.css
  //   public/uploads/demo/avatar.txt   (USER data the vendor ships)
  //   public/qrcodes/               (empty, RUNTIME)
  //   storage/logs/.gitignore, bootstrap/cache/.gitignore
  // Fixed, distinct mtimes on every file and symlink (FixedMtimes()).
  static SampleRelease Laravel(const std::string& version);

  // The "acme/shop" upload of the shell tests: composer.json,
  // app/index.php ("<?php // VERSION"), .env.example and empty
  // public/uploads/, storage/logs/ and bootstrap/cache/. Mtimes are those of
  // the writing.
  static SampleRelease Shop(const std::string& version);

  // A Laravel-shaped release with nothing but what a deploy needs to
  // recognise and link it: artisan, public/index.php, .env.example and empty
  // public/uploads/, storage/logs/, storage/framework/views/ and
  // bootstrap/cache/. Mtimes are those of the writing.
  static SampleRelease Small();

  // Adds or replaces an entry; parents are made as needed.
  SampleRelease& File(const std::string& rel, const std::string& content, mode_t mode = 0644);
  SampleRelease& Dir(const std::string& rel, mode_t mode = 0755);
  SampleRelease& Symlink(const std::string& rel, const std::string& target);
  // Leaves out `rel` and everything beneath it.
  SampleRelease& Without(const std::string& rel);

  // After writing, every file and symlink gets a fixed, distinct mtime, `first`
  // seconds on in path order, so that two writings are identical and any
  // mtime a deploy fails to keep shows up.
  SampleRelease& FixedMtimes(int64_t first = 1700000000);
  // Mtimes are those of the writing.
  SampleRelease& WritingMtimes();

  // Writes the release into `dir` (created if need be). Aborts the test
  // binary on failure, like the other fixtures.
  void Write(const std::string& dir) const;

 private:
  struct Entry {
    enum Kind { kFile, kDir, kSymlink } kind;
    std::string content;  // a file's content, a symlink's target
    mode_t mode;
  };
  std::map<std::string, Entry> entries_;
  std::optional<int64_t> first_mtime_;
};

}  // namespace testing
}  // namespace persist

#endif  // PERSIST_TESTS_TESTING_SAMPLE_RELEASE_H_
