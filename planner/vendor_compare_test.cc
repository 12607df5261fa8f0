// Copyright persist authors.

#include "planner/vendor_compare.h"

#include <string>
#include <vector>

#include "fsops/env.h"
#include "fsops/source_tree.h"
#include "gtest/gtest.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using testing::MakeSymlink;
using testing::TempDir;
using testing::WriteFile;

TEST(VendorCompareTest, SortsTheInstallIntoShippedModifiedUnknownAndMissing) {
  TempDir dir;
  const std::string vendor = dir.Sub("vendor"), live = dir.Sub("live");
  for (const std::string& root : {vendor, live}) {
    WriteFile(root + "/artisan", "#!/usr/bin/env php\n");
    WriteFile(root + "/app/Http/Kernel.php", "<?php // kernel\n");
    WriteFile(root + "/public/css/app.css", "body{}\n");
    MakeSymlink("css/app.css", root + "/public/style.css");
  }
  WriteFile(vendor + "/app/Legacy.php", "<?php // legacy\n");
  WriteFile(vendor + "/config/app.php", "<?php return [];\n");
  WriteFile(live + "/config/app.php", "<?php return ['debug' => false];\n");  // other size
  WriteFile(vendor + "/routes/web.php", "<?php // aaaa\n");
  WriteFile(live + "/routes/web.php", "<?php // bbbb\n");  // same size, other bytes
  MakeSymlink("elsewhere.css", live + "/public/theme.css");
  MakeSymlink("theme-v1.css", vendor + "/public/theme.css");
  WriteFile(live + "/app/Modules/Shop/Shop.php", "<?php // a module\n");
  WriteFile(live + "/app/Modules/Shop/View.php", "<?php // its view\n");
  WriteFile(live + "/app/ClientReport.php", "<?php // the client's own\n");
  // The site's data is left out, on both sides.
  WriteFile(vendor + "/storage/logs/.gitignore", "*\n");
  WriteFile(live + "/storage/logs/laravel.log", "log\n");
  WriteFile(live + "/public/uploads/photo.jpg", "photo");

  Classification storage, uploads;
  storage.path = "storage";
  uploads.path = "public/uploads";
  const DirectoryTree vendor_tree(Env::Default(), vendor), live_tree(Env::Default(), live);
  absl::StatusOr<VendorComparison> compared =
      CompareWithVendor(live_tree, vendor_tree, {storage, uploads});
  ASSERT_TRUE(compared.ok()) << compared.status();
  EXPECT_EQ(compared->unchanged, 4);  // artisan, Kernel.php, app.css, style.css
  EXPECT_EQ(compared->modified,
            (std::vector<std::string>{"config/app.php", "public/theme.css", "routes/web.php"}));
  EXPECT_EQ(compared->unknown, (std::vector<std::string>{"app/ClientReport.php", "app/Modules/"}));
  EXPECT_EQ(compared->missing, (std::vector<std::string>{"app/Legacy.php"}));
}

TEST(VendorCompareTest, AnInstallAsShippedHasNothingToReport) {
  TempDir dir;
  for (const std::string& root : {dir.Sub("vendor"), dir.Sub("live")}) {
    WriteFile(root + "/artisan", "#!/usr/bin/env php\n");
    WriteFile(root + "/vendor/autoload.php", "<?php\n");
  }
  const DirectoryTree vendor_tree(Env::Default(), dir.Sub("vendor"));
  const DirectoryTree live_tree(Env::Default(), dir.Sub("live"));
  absl::StatusOr<VendorComparison> compared = CompareWithVendor(live_tree, vendor_tree, {});
  ASSERT_TRUE(compared.ok()) << compared.status();
  EXPECT_EQ(compared->unchanged, 2);
  EXPECT_TRUE(compared->modified.empty());
  EXPECT_TRUE(compared->unknown.empty());
  EXPECT_TRUE(compared->missing.empty());
}

}  // namespace
}  // namespace persist
