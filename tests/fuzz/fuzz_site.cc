// Copyright persist authors.

#include "tests/fuzz/fuzz_site.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "fsops/env.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {

namespace {

void Populate(const std::string& site) {
  testing::WriteFile(site + "/releases/r1/artisan", "<?php\n", 0755);
  testing::WriteFile(site + "/releases/r1/public/index.php", "<?php echo 1;\n");
  testing::MakeSymlink("../../shared/.env", site + "/releases/r1/.env");
  testing::MakeSymlink("../../shared/storage", site + "/releases/r1/storage");
  testing::MakeSymlink("../../../shared/public/uploads", site + "/releases/r1/public/uploads");
  testing::WriteFile(site + "/incoming/v2/artisan", "<?php\n", 0755);
  testing::WriteFile(site + "/incoming/v2/public/index.php", "<?php echo 2;\n");
  testing::MakeDir(site + "/incoming/v2/vendor");
  testing::WriteFile(site + "/shared/.env", "APP_KEY=base64:fuzz\n", 0600);
  testing::MakeDir(site + "/shared/storage/logs");
  testing::MakeDir(site + "/shared/public/uploads/avatars");
  testing::MakeSymlink("releases/r1", site + "/current");
  testing::MakeDir(site + "/.persist/journal", 0700);
}

std::unique_ptr<Root> OpenSite(const std::string& site) {
  Populate(site);
  absl::StatusOr<std::unique_ptr<Root>> opened = Root::Open(Env::Default(), site);
  if (!opened.ok()) {
    std::fprintf(stderr, "fuzz site: %s\n", opened.status().ToString().c_str());
    std::abort();
  }
  return std::move(*opened);
}

}  // namespace

const Root& FuzzSite() {
  // Made on first use; at exit the Root (constructed last) is destroyed
  // first, then the directory is removed.
  static const testing::TempDir dir;
  static const std::unique_ptr<Root> root = OpenSite(dir.path());
  return *root;
}

}  // namespace persist
