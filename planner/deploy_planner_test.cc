// Copyright persist authors.
//
// deploy_planner: the blueprint's deploys as plans, checked against real
// release and site trees in temporary directories. Every PlanDeploy call is
// made through Planned() or Refused(), which snapshot the whole temporary
// directory (site, upload and .persist/ included) before and after: the
// planner reads and never writes.

#include "planner/deploy_planner.h"

#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <initializer_list>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "fsops/env.h"
#include "fsops/path.h"
#include "fsops/root.h"
#include "gtest/gtest.h"
#include "planner/classifier.h"
#include "planner/profile.h"
#include "proto/journal.pb.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using testing::MakeDir;
using testing::MakeSymlink;
using testing::PathExists;
using testing::Snapshot;
using testing::TakeSnapshot;
using testing::WriteFile;

// ------------------------------------------------------------------ helpers

// One op as a line, the way an operator reads a plan.
std::string OpText(const Op& op) {
  if (op.has_mkdir()) return "mkdir " + op.mkdir().path();
  if (op.has_copy()) return "copy " + op.copy().from() + " -> " + op.copy().to();
  if (op.has_move()) return "move " + op.move().from() + " -> " + op.move().to();
  if (op.has_symlink()) return "symlink " + op.symlink().path() + " -> " + op.symlink().target();
  if (op.has_remove()) return "remove " + op.remove().path();
  if (op.has_write()) return "write " + op.write().path();
  if (op.has_chmod()) return absl::StrFormat("chmod %s %04o", op.chmod().path(), op.chmod().mode());
  if (op.has_import()) return "import " + op.import().from() + " -> " + op.import().to();
  if (op.has_exchange()) return "exchange " + op.exchange().a() + " " + op.exchange().b();
  return "unknown op " + op.ShortDebugString();
}

std::vector<std::string> OpsText(const Plan& plan) {
  std::vector<std::string> out;
  for (const Op& op : plan.op()) out.push_back(OpText(op));
  return out;
}

// The ops whose text starts with `verb` ("move ", "copy ", "remove " ...),
// in plan order.
std::vector<std::string> OpsOfKind(const Plan& plan, const std::string& verb) {
  std::vector<std::string> out;
  for (const std::string& text : OpsText(plan)) {
    if (absl::StartsWith(text, verb)) out.push_back(text);
  }
  return out;
}

// Index of `text` in the plan, -1 when absent.
int IndexOf(const Plan& plan, const std::string& text) {
  std::vector<std::string> ops = OpsText(plan);
  auto it = std::find(ops.begin(), ops.end(), text);
  return it == ops.end() ? -1 : static_cast<int>(it - ops.begin());
}

// The releases the plan prunes: "remove releases/ID" ops, in plan order.
std::vector<std::string> Pruned(const Plan& plan) {
  std::vector<std::string> out;
  for (const std::string& text : OpsOfKind(plan, "remove releases/")) {
    if (text.find('/', strlen("remove releases/")) == std::string::npos) out.push_back(text);
  }
  return out;
}

std::string PlanListing(const Plan& plan) {
  return "\nthe plan:\n  " + absl::StrJoin(OpsText(plan), "\n  ");
}

bool AnyOpMentions(const Plan& plan, const std::string& fragment) {
  for (const std::string& text : OpsText(plan)) {
    if (absl::StrContains(text, fragment)) return true;
  }
  return false;
}

bool AnyNoteHas(const DeployPlan& planned, const std::string& fragment) {
  for (const std::string& note : planned.notes) {
    if (absl::StrContains(note, fragment)) return true;
  }
  return false;
}

// A small CodeCanyon-style Laravel release as a vendor ships it.
void WriteRelease(const std::string& dir, const std::string& version) {
  WriteFile(dir + "/.env.example", "APP_NAME=Invoicly\nAPP_KEY=\n");
  WriteFile(dir + "/artisan", "#!/usr/bin/env php\n", 0755);
  WriteFile(dir + "/app/Http/Controllers/HomeController.php", "<?php // " + version + "\n");
  WriteFile(dir + "/vendor/laravel/framework/src/Application.php", "<?php // " + version + "\n");
  WriteFile(dir + "/public/index.php", "<?php require '../vendor/autoload.php';\n");
  WriteFile(dir + "/public/css/app.css", "body{color:" + version + "}\n");
  WriteFile(dir + "/public/templates/invoice.html", "<html>" + version + "</html>\n");
  WriteFile(dir + "/public/uploads/demo/avatar.txt", "demo avatar " + version + "\n");
  MakeDir(dir + "/public/qrcodes");
  WriteFile(dir + "/storage/logs/.gitignore", "*\n");
  MakeDir(dir + "/storage/app/public");
  WriteFile(dir + "/bootstrap/app.php", "<?php\n");
  WriteFile(dir + "/bootstrap/cache/.gitignore", "*\n");
}

// A temporary directory holding a site and the uploads deployed into it.
class DeployPlannerTest : public ::testing::Test {
 protected:
  std::string site() const { return dir_.Sub("site"); }
  std::string upload(const std::string& name) const { return dir_.Sub("uploads/" + name); }

  void SetUp() override { MakeDir(site()); }

  // The site as a first deploy of `version` leaves it: releases/<version>
  // linked to shared/, which holds .env, storage/, bootstrap/cache/,
  // public/uploads/ (demo and user files) and public/qrcodes/.
  void MakeDeployedSite(const std::string& version) {
    const std::string r = site() + "/releases/" + version;
    WriteRelease(r, version);
    testing::RemoveAll(r + "/storage");
    testing::RemoveAll(r + "/bootstrap/cache");
    testing::RemoveAll(r + "/public/uploads");
    testing::RemoveAll(r + "/public/qrcodes");
    WriteFile(site() + "/shared/.env", "APP_KEY=base64:secret\n", 0600);
    WriteFile(site() + "/shared/storage/logs/laravel.log", "a log line\n");
    WriteFile(site() + "/shared/bootstrap/cache/packages.php", "<?php return [];\n");
    WriteFile(site() + "/shared/public/uploads/demo/avatar.txt", "demo avatar v1\n");
    WriteFile(site() + "/shared/public/uploads/user-42.jpg", "a user's photo");
    MakeDir(site() + "/shared/public/qrcodes");
    MakeSymlink("../../shared/.env", r + "/.env");
    MakeSymlink("../../shared/storage", r + "/storage");
    MakeSymlink("../../../shared/bootstrap/cache", r + "/bootstrap/cache");
    MakeSymlink("../../../shared/public/uploads", r + "/public/uploads");
    MakeSymlink("../../../shared/public/qrcodes", r + "/public/qrcodes");
    MakeSymlink("releases/" + version, site() + "/current");
  }

  std::unique_ptr<Root> OpenSite() {
    absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), site());
    EXPECT_TRUE(root.ok()) << root.status();
    return root.ok() ? std::move(*root) : nullptr;
  }

  DeployRequest Request(const std::string& source, const std::string& id) {
    DeployRequest request;
    request.source = source;
    request.release_id = id;
    return request;
  }

  // PlanDeploy, checking that the whole temporary directory is unchanged.
  absl::StatusOr<DeployPlan> PlanAndWatch(const DeployRequest& request,
                                          const Classifier& classifier) {
    const Snapshot before = TakeSnapshot(dir_.path(), {});
    std::unique_ptr<Root> root = OpenSite();
    if (root == nullptr) return absl::InternalError("cannot open the site");
    absl::StatusOr<DeployPlan> planned = PlanDeploy(*root, classifier, request);
    EXPECT_EQ(testing::DiffSnapshots(before, TakeSnapshot(dir_.path(), {})), "")
        << "PlanDeploy changed the tree";
    EXPECT_FALSE(PathExists(site() + "/.persist")) << "PlanDeploy created .persist/";
    return planned;
  }

  // A plan that must succeed.
  DeployPlan Planned(const DeployRequest& request,
                     const Classifier& classifier = Classifier(BlueprintRules())) {
    absl::StatusOr<DeployPlan> planned = PlanAndWatch(request, classifier);
    EXPECT_TRUE(planned.ok()) << planned.status();
    return planned.ok() ? *planned : DeployPlan();
  }

  // A plan that must be refused with InvalidArgument whose message holds
  // every one of `fragments` (the path, and the next step).
  void Refused(const DeployRequest& request, std::initializer_list<std::string> fragments) {
    absl::StatusOr<DeployPlan> planned = PlanAndWatch(request, Classifier(BlueprintRules()));
    ASSERT_FALSE(planned.ok()) << "planned instead of refused:" << PlanListing(planned->plan);
    EXPECT_EQ(planned.status().code(), absl::StatusCode::kInvalidArgument) << planned.status();
    for (const std::string& fragment : fragments) {
      EXPECT_TRUE(absl::StrContains(planned.status().message(), fragment))
          << "the message does not name \"" << fragment << "\": " << planned.status().message();
    }
  }

  testing::TempDir dir_;
};

// ------------------------------------------------------------------ RelativeTarget

TEST(RelativeTargetTest, StorageOfAReleaseClimbsTwoLevelsToShared) {
  EXPECT_EQ(RelativeTarget("releases/20261128T101500Z/storage", "shared/storage"),
            "../../shared/storage");
}

TEST(RelativeTargetTest, PublicUploadsOfAReleaseClimbsThreeLevelsToShared) {
  EXPECT_EQ(RelativeTarget("releases/v2/public/uploads", "shared/public/uploads"),
            "../../../shared/public/uploads");
  EXPECT_EQ(RelativeTarget("releases/v2/bootstrap/cache", "shared/bootstrap/cache"),
            "../../../shared/bootstrap/cache");
}

TEST(RelativeTargetTest, APathNestedThreeLevelsInTheReleaseClimbsFourLevels) {
  EXPECT_EQ(RelativeTarget("releases/v2/storage/app/custom", "shared/storage/app/custom"),
            "../../../../shared/storage/app/custom");
}

TEST(RelativeTargetTest, CurrentAtTheRootPointsStraightAtTheRelease) {
  EXPECT_EQ(RelativeTarget("current", "releases/20261128T101500Z"), "releases/20261128T101500Z");
}

TEST(RelativeTargetTest, ACommonPrefixIsNotClimbedButTheLastComponentIsAlwaysNamed) {
  EXPECT_EQ(RelativeTarget("shared/public/x", "shared/storage"), "../storage");
  EXPECT_EQ(RelativeTarget("a/b/c", "a/b"), "../b");
}

TEST(RelativeTargetTest, ReleaseIdsThatShareAPrefixWithSharedAreNotConfused) {
  // "shared" is a release id here: the components, not the strings, count.
  EXPECT_EQ(RelativeTarget("releases/shared/storage", "shared/storage"), "../../shared/storage");
}

TEST_F(DeployPlannerTest, ListReleasesIsEmptyOnASiteWithoutReleases) {
  absl::StatusOr<std::vector<std::string>> releases = ListReleases(*OpenSite());
  ASSERT_TRUE(releases.ok()) << releases.status();
  EXPECT_TRUE(releases->empty());
}

TEST_F(DeployPlannerTest, ListReleasesSortsOldestFirstAndSkipsStagingNames) {
  for (const char* id : {"20261128T101500Z-2", "20251231T235959Z", "20261128T101500Z"}) {
    MakeDir(site() + "/releases/" + id);
  }
  MakeDir(site() + "/releases/.staging-20261128T101600Z");
  absl::StatusOr<std::vector<std::string>> releases = ListReleases(*OpenSite());
  ASSERT_TRUE(releases.ok()) << releases.status();
  EXPECT_EQ(*releases, (std::vector<std::string>{"20251231T235959Z", "20261128T101500Z",
                                                 "20261128T101500Z-2"}));
}

TEST_F(DeployPlannerTest, ListReleasesSkipsAndReportsNamesThatAreNotIds) {
  for (const char* name : {"v1", "v2", "has space", "new\nline", "$(reboot)"}) {
    MakeDir(site() + "/releases/" + name);
  }
  std::vector<std::string> skipped;
  absl::StatusOr<std::vector<std::string>> releases = ListReleases(*OpenSite(), {}, &skipped);
  ASSERT_TRUE(releases.ok()) << releases.status();
  EXPECT_EQ(*releases, (std::vector<std::string>{"v1", "v2"}));
  EXPECT_EQ(skipped, (std::vector<std::string>{"$(reboot)", "has space", "new\nline"}));
  // Without a list for them, they are left out all the same.
  releases = ListReleases(*OpenSite());
  ASSERT_TRUE(releases.ok()) << releases.status();
  EXPECT_EQ(*releases, (std::vector<std::string>{"v1", "v2"}));
}

TEST_F(DeployPlannerTest, ADeployNamesAndNeverPrunesADirectoryInReleasesThatIsNotAnId) {
  MakeDeployedSite("v1");
  MakeDir(site() + "/releases/old copy");
  WriteRelease(upload("v2"), "v2");
  DeployRequest request = Request(upload("v2"), "v2");
  request.keep = 1;
  DeployPlan planned = Planned(request);
  EXPECT_EQ(Pruned(planned.plan), (std::vector<std::string>{"remove releases/v1"}))
      << PlanListing(planned.plan);
  EXPECT_TRUE(AnyNoteHas(planned, "releases/old copy is not a release persist can name"));
}

TEST_F(DeployPlannerTest, CurrentReleaseIsEmptyWithoutCurrent) {
  absl::StatusOr<std::string> live = CurrentRelease(*OpenSite());
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_EQ(*live, "");
}

TEST_F(DeployPlannerTest, CurrentReleaseIsTheReleaseCurrentPointsAt) {
  MakeDir(site() + "/releases/v1");
  MakeDir(site() + "/releases/v2");
  MakeSymlink("releases/v1", site() + "/current");
  absl::StatusOr<std::string> live = CurrentRelease(*OpenSite());
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_EQ(*live, "v1");
}

TEST_F(DeployPlannerTest, CurrentReleaseIsEmptyWhenCurrentIsADirectoryOrLeadsElsewhere) {
  MakeDir(site() + "/current");
  EXPECT_EQ(*CurrentRelease(*OpenSite()), "");
  testing::RemoveAll(site() + "/current");
  MakeSymlink("/var/www/html", site() + "/current");
  EXPECT_EQ(*CurrentRelease(*OpenSite()), "");
}

TEST_F(DeployPlannerTest, NewReleaseIdIsTheUtcTimeAndGetsASuffixWhenTaken) {
  absl::StatusOr<std::string> id = NewReleaseId(*OpenSite());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(std::regex_match(*id, std::regex("20[0-9]{6}T[0-9]{6}Z"))) << *id;
  // Take the id of this second and the next ten: the next id must be one of
  // them with -2, whichever second the clock has reached.
  std::set<std::string> taken;
  const absl::Time now = absl::Now();
  for (int s = 0; s <= 10; ++s) {
    std::string base = absl::FormatTime("%Y%m%dT%H%M%SZ", now + absl::Seconds(s), absl::UTCTimeZone());
    MakeDir(site() + "/releases/" + base);
    taken.insert(base);
  }
  absl::StatusOr<std::string> again = NewReleaseId(*OpenSite());
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(absl::EndsWith(*again, "-2")) << *again;
  EXPECT_EQ(taken.count(again->substr(0, again->size() - 2)), 1u) << *again;
  MakeDir(site() + "/releases/" + *again);
  absl::StatusOr<std::string> third = NewReleaseId(*OpenSite());
  ASSERT_TRUE(third.ok());
  EXPECT_NE(*third, *again);
  EXPECT_FALSE(PathExists(site() + "/releases/" + *third));
}

// ------------------------------------------------------------------ bad input

TEST_F(DeployPlannerTest, AMissingSourceIsRefusedNamingItAndTouchingNothing) {
  Refused(Request(upload("nope"), "v1"),
          {upload("nope"), "does not exist", "give the directory or the archive"});
}

TEST_F(DeployPlannerTest, AFileThatIsNoArchiveIsRefused) {
  WriteFile(upload("release.zip"), "<html>a download page saved by mistake</html>\n");
  Refused(Request(upload("release.zip"), "v1"),
          {upload("release.zip"), "not a zip or tar archive persist can read",
           "unpack it and deploy the directory"});
}

TEST_F(DeployPlannerTest, AZipCutShortIsRefusedAsDamaged) {
  WriteFile(upload("release.zip"), "PK\x03\x04");
  Refused(Request(upload("release.zip"), "v1"),
          {upload("release.zip"), "damaged or cut short", "download it again"});
}

TEST_F(DeployPlannerTest, AnArchiveInsideTheSitesReleasesIsRefused) {
  MakeDeployedSite("v1");
  WriteFile(site() + "/releases/v1/app.zip", "PK\x03\x04");
  Refused(Request(site() + "/releases/v1/app.zip", "v2"),
          {"inside the site's releases/", "upload the release somewhere else"});
}

TEST_F(DeployPlannerTest, ASourceInsideTheSitesReleasesIsRefused) {
  MakeDeployedSite("v1");
  Refused(Request(site() + "/releases/v1", "v2"),
          {site() + "/releases/v1", "inside the site's releases/", "upload the release somewhere else"});
  WriteRelease(site() + "/releases/incoming", "v2");
  Refused(Request(site() + "/releases/incoming", "v2"), {"releases/", "somewhere else"});
}

TEST_F(DeployPlannerTest, ASourceInsideTheSitesSharedIsRefused) {
  MakeDeployedSite("v1");
  WriteRelease(site() + "/shared/storage/app/v2", "v2");
  Refused(Request(site() + "/shared/storage/app/v2", "v2"),
          {site() + "/shared/storage/app/v2", "inside the site's shared/", "somewhere else"});
}

TEST_F(DeployPlannerTest, ASourceThatIsTheSiteItselfIsRefused) {
  MakeDeployedSite("v1");
  Refused(Request(site(), "v2"), {site() + " is the site", "copy the site into its own releases/",
                                  "outside the site"});
}

TEST_F(DeployPlannerTest, ASourceThatHoldsTheSiteIsRefused) {
  MakeDeployedSite("v1");
  Refused(Request(dir_.path(), "v2"), {dir_.path() + " holds the site", "outside the site"});
}

TEST_F(DeployPlannerTest, ASourceThatHoldsTheSiteThroughASymlinkOrDotDotIsRefused) {
  MakeDeployedSite("v1");
  MakeDir(upload("v2"));
  MakeSymlink("..", upload("up"));  // uploads/up/. is the directory holding the site
  Refused(Request(upload("up") + "/.", "v2"), {"holds the site"});
  Refused(Request(upload("up") + "/site/shared/..", "v2"), {"is the site"});
  Refused(Request(upload("v2") + "/../..", "v2"), {"holds the site"});
  Refused(Request(site() + "/releases/..", "v2"), {"is the site"});
}

TEST_F(DeployPlannerTest, ASourceInsideAPublicHtmlDirectoryIsRefused) {
  MakeDeployedSite("v1");
  WriteRelease(site() + "/public_html/new", "v2");
  Refused(Request(site() + "/public_html/new", "v2"), {"inside the site's public_html/"});
}

// A site may be a home directory (shared hosting: ~/public_html), where the
// uploads directory lies inside the site's root: only the site's own trees
// are refused.
TEST_F(DeployPlannerTest, ASourceInsideTheSiteOutsideItsOwnTreesIsDeployed) {
  MakeDeployedSite("v1");
  WriteRelease(site() + "/uploads/v2", "v2");
  DeployPlan planned = Planned(Request(site() + "/uploads/v2", "v2"));
  EXPECT_EQ(IndexOf(planned.plan, "import " + site() + "/uploads/v2 -> releases/v2"), 0)
      << PlanListing(planned.plan);
}

TEST_F(DeployPlannerTest, ASourceThatIsASymlinkToADirectoryOfTheSiteIsRefused) {
  MakeDeployedSite("v1");
  WriteRelease(site() + "/shared/incoming", "v2");
  MakeSymlink(site() + "/shared/incoming", upload("alias"));
  Refused(Request(upload("alias"), "v2"), {upload("alias")});
}

// SRC is found by what it is, not how it is spelled: an intermediate symlink
// (uploads/alias -> the site's releases/, SRC = uploads/alias/incoming) or a
// ".." leads into the site all the same.
TEST_F(DeployPlannerTest, ASourceReachedThroughASymlinkToReleasesIsRefused) {
  MakeDeployedSite("v1");
  WriteRelease(site() + "/releases/incoming", "v2");
  MakeSymlink(site() + "/releases", upload("alias"));
  Refused(Request(upload("alias") + "/incoming", "v2"), {"inside the site's releases/"});
}

TEST_F(DeployPlannerTest, ASourceReachedThroughASymlinkToSharedIsRefused) {
  MakeDeployedSite("v1");
  WriteRelease(site() + "/shared/storage/app/v2", "v2");
  MakeSymlink("../site/shared", upload("alias"));
  Refused(Request(upload("alias") + "/storage/app/v2", "v2"), {"inside the site's shared/"});
}

TEST_F(DeployPlannerTest, ASourceSpelledWithDotDotThroughASymlinkIsRefused) {
  MakeDeployedSite("v1");
  WriteRelease(site() + "/shared/storage/app/v2", "v2");
  MakeDir(upload("decoy"));
  // uploads/jump -> the site's shared/storage/app; "jump/../app/v2" is
  // shared/storage/app/v2 to the kernel, uploads/app/v2 to a string.
  MakeSymlink(site() + "/shared/storage/app", upload("jump"));
  Refused(Request(upload("jump") + "/../app/v2", "v2"), {"inside the site's shared/"});
}

TEST_F(DeployPlannerTest, AReleaseIdWithASlashOrADotIsRefused) {
  WriteRelease(upload("v2"), "v2");
  for (const std::string id : {"a/b", "../v2", ".hidden", "v2/", "/v2", "..", "."}) {
    SCOPED_TRACE(id);
    Refused(Request(upload("v2"), id), {"release id", "letters, digits", "give another --id"});
  }
}

TEST_F(DeployPlannerTest, AReleaseIdWithANewlineASpaceOrAShellCharacterIsRefused) {
  WriteRelease(upload("v2"), "v2");
  Refused(Request(upload("v2"), "a\nb"), {"release id \"a\\x0ab\"", "give another --id"});
  for (const std::string id : {std::string("a b"), std::string("v$2"), std::string("v2;rm"),
                               std::string(kMaxIdLength + 1, 'v')}) {
    SCOPED_TRACE(id);
    Refused(Request(upload("v2"), id), {"release id", "letters, digits"});
  }
}

TEST_F(DeployPlannerTest, AnEmptySourceIsRefusedUnlessForced) {
  MakeDeployedSite("v1");
  MakeDir(upload("empty"));
  Refused(Request(upload("empty"), "v2"), {upload("empty") + " is empty",
                                           "replace the live release with nothing", "--force"});
  DeployRequest forced = Request(upload("empty"), "v2");
  forced.force = true;
  DeployPlan planned = Planned(forced);
  EXPECT_TRUE(AnyOpMentions(planned.plan, "import " + upload("empty"))) << PlanListing(planned.plan);
}

TEST_F(DeployPlannerTest, ASourceWithoutAnAppMarkerIsRefusedUnlessForced) {
  MakeDeployedSite("v1");
  WriteRelease(upload("v2"), "v2");
  testing::RemoveAll(upload("v2") + "/artisan");
  testing::RemoveAll(upload("v2") + "/public/index.php");
  MakeDir(upload("v2") + "/composer.json");  // a directory is no marker
  Refused(Request(upload("v2"), "v2"),
          {upload("v2"), "none of artisan, composer.json and public/index.php",
           "give the app's directory", "--force"});
  DeployRequest forced = Request(upload("v2"), "v2");
  forced.force = true;
  Planned(forced);
}

TEST_F(DeployPlannerTest, ASourceWhosePublicIsAFileIsRefusedAsNoApp) {
  WriteFile(upload("v2") + "/public", "not a directory\n");
  Refused(Request(upload("v2"), "v2"), {"none of artisan"});
}

TEST_F(DeployPlannerTest, EachAppMarkerAloneIsEnough) {
  for (const char* marker : kAppMarkers) {
    SCOPED_TRACE(marker);
    const std::string src = upload(std::string("only-") + (marker[0] == 'p' ? "index" : marker));
    WriteFile(src + "/" + marker, "<?php\n");
    Planned(Request(src, "v1"));
  }
}

TEST_F(DeployPlannerTest, ASourceAboveTheAppDeploysTheAppAndSaysWhich) {
  WriteRelease(upload("shop-1.2/shop"), "v2");
  WriteFile(upload("shop-1.2/documentation/index.html"), "<html>\n");
  DeployPlan planned = Planned(Request(upload("shop-1.2"), "v2"));
  EXPECT_EQ(planned.source, upload("shop-1.2/shop"));
  ASSERT_FALSE(planned.notes.empty());
  EXPECT_TRUE(absl::StartsWith(planned.notes[0], "deploying shop of " + upload("shop-1.2") + ": "))
      << planned.notes[0];
  int imports = 0;
  for (const Op& op : planned.plan.op()) {
    if (!op.has_import()) continue;
    ++imports;
    EXPECT_EQ(op.import().from(), upload("shop-1.2/shop"));
  }
  EXPECT_EQ(imports, 1);
}

TEST_F(DeployPlannerTest, ASourceWithTwoAppsIsRefusedNamingBothAndAppDir) {
  WriteRelease(upload("pack/installer"), "v2");
  WriteRelease(upload("pack/update"), "v2");
  Refused(Request(upload("pack"), "v2"), {"holds 2 apps (installer, update)", "--app-dir"});
  DeployRequest named = Request(upload("pack"), "v2");
  named.app_dir = "update";
  EXPECT_EQ(Planned(named).source, upload("pack/update"));
}

TEST_F(DeployPlannerTest, AReleaseIdThatExistsIsRefused) {
  MakeDeployedSite("v1");
  WriteRelease(upload("v2"), "v2");
  Refused(Request(upload("v2"), "v1"), {"releases/v1", "exists already", "choose another --id"});
}

TEST_F(DeployPlannerTest, AReleaseWhoseStorageIsASymlinkOutOfTheReleaseIsRefusedNamingItsTarget) {
  WriteRelease(upload("v1"), "v1");
  testing::RemoveAll(upload("v1") + "/storage");
  MakeSymlink("/etc", upload("v1") + "/storage");
  Refused(Request(upload("v1"), "v1"), {"storage in the release is a symlink (-> /etc)",
                                       "persist never follows it", "replace it with the real directory"});
}

TEST_F(DeployPlannerTest, AReleaseWhoseEnvIsASymlinkOutOfTheReleaseIsRefused) {
  WriteRelease(upload("v1"), "v1");
  MakeSymlink("/etc/passwd", upload("v1") + "/.env");
  Refused(Request(upload("v1"), "v1"), {".env", "/etc/passwd", "persist never follows it"});
}

TEST_F(DeployPlannerTest, AReleaseWhoseBootstrapCacheIsASymlinkOutOfTheReleaseIsRefused) {
  WriteRelease(upload("v1"), "v1");
  testing::RemoveAll(upload("v1") + "/bootstrap/cache");
  MakeSymlink("/tmp", upload("v1") + "/bootstrap/cache");
  Refused(Request(upload("v1"), "v1"), {"bootstrap/cache", "/tmp", "persist never follows it"});
}

// DESIGN.md, Safety: "A shared path in a release that is itself a symlink
// leading out of the release is refused, not followed." Globs that match
// directories only (public/*upload*/) must still take a symlink.
TEST_F(DeployPlannerTest, AReleaseWhosePublicUploadsIsASymlinkOutOfTheReleaseIsRefused) {
  WriteRelease(upload("v1"), "v1");
  testing::RemoveAll(upload("v1") + "/public/uploads");
  MakeSymlink("/etc", upload("v1") + "/public/uploads");
  Refused(Request(upload("v1"), "v1"), {"public/uploads in the release is a symlink (-> /etc)",
                                       "replace it with the real directory"});
}

TEST_F(DeployPlannerTest, AReleaseWhosePublicQrcodesIsARelativeSymlinkOutOfTheReleaseIsRefused) {
  WriteRelease(upload("v1"), "v1");
  testing::RemoveAll(upload("v1") + "/public/qrcodes");
  MakeSymlink("../../../../../../var/tmp", upload("v1") + "/public/qrcodes");
  Refused(Request(upload("v1"), "v1"), {"public/qrcodes"});
}

TEST_F(DeployPlannerTest, AReleaseShippingStorageAsAFileWhereSharedHasADirectoryIsRefused) {
  MakeDeployedSite("v1");
  WriteRelease(upload("v2"), "v2");
  testing::RemoveAll(upload("v2") + "/storage");
  WriteFile(upload("v2") + "/storage", "not a directory\n");
  Refused(Request(upload("v2"), "v2"),
          {"shared/storage", "is a directory", "ships storage as a file", "make them agree"});
}

TEST_F(DeployPlannerTest, AReleaseShippingEnvAsADirectoryWhereSharedHasAFileIsRefused) {
  MakeDeployedSite("v1");
  WriteRelease(upload("v2"), "v2");
  WriteFile(upload("v2") + "/.env/production", "APP_KEY=x\n");
  Refused(Request(upload("v2"), "v2"),
          {"shared/.env", "is a file", "ships .env as a directory", "make them agree"});
}

TEST_F(DeployPlannerTest, AReleaseShippingStorageAsADirectoryWhereSharedHasAFileIsRefused) {
  MakeDeployedSite("v1");
  testing::RemoveAll(site() + "/shared/storage");
  WriteFile(site() + "/shared/storage", "a file where storage/ belongs\n");
  WriteRelease(upload("v2"), "v2");
  Refused(Request(upload("v2"), "v2"),
          {"shared/storage", "is a file", "ships storage as a directory", "make them agree"});
}

TEST_F(DeployPlannerTest, ASharedEnvThatIsASymlinkIsRefused) {
  MakeDeployedSite("v1");
  unlink((site() + "/shared/.env").c_str());
  WriteFile(dir_.Sub("elsewhere/.env"), "APP_KEY=elsewhere\n", 0600);
  MakeSymlink(dir_.Sub("elsewhere/.env"), site() + "/shared/.env");
  WriteRelease(upload("v2"), "v2");
  Refused(Request(upload("v2"), "v2"), {"shared/.env", "replace it and deploy again"});
}

// tree.h CopyTree refuses a fifo, socket or device when it meets one, halfway
// through the copy; the planner refuses the release before anything runs,
// naming every one, wherever it lies (app code or a persistent path).
TEST_F(DeployPlannerTest, AReleaseHoldingFifosSocketsOrDevicesIsRefusedNamingEveryOne) {
  WriteRelease(upload("v1"), "v1");
  ASSERT_EQ(mkfifo((upload("v1") + "/public/css/pipe").c_str(), 0644), 0);
  ASSERT_EQ(mknod((upload("v1") + "/app/php-fpm.sock").c_str(), S_IFSOCK | 0644, 0), 0);
  ASSERT_EQ(mkfifo((upload("v1") + "/storage/logs/queue").c_str(), 0600), 0);
  const bool device = mknod((upload("v1") + "/public/null").c_str(), S_IFCHR | 0644, makedev(1, 3)) == 0;
  std::initializer_list<std::string> named = {
      upload("v1"), device ? "holds 4 fifos, sockets or devices" : "holds 3 fifos, sockets or devices",
      "app/php-fpm.sock (socket)", "public/css/pipe (fifo)", "storage/logs/queue (fifo)",
      "remove them from", "nothing was changed"};
  Refused(Request(upload("v1"), "v1"), named);
  if (device) Refused(Request(upload("v1"), "v1"), {"public/null (character device)"});
}

TEST_F(DeployPlannerTest, ASpecialFileNamedWithANewlineIsNamedOnOneLine) {
  WriteRelease(upload("v1"), "v1");
  ASSERT_EQ(mkfifo((upload("v1") + "/public/a\nb").c_str(), 0644), 0);
  Refused(Request(upload("v1"), "v1"), {"holds 1 fifo, socket or device", "public/a\\x0ab (fifo)",
                                       "remove it from"});
}

TEST_F(DeployPlannerTest, AReleaseWithManySpecialFilesNamesTwentyAndCountsTheRest) {
  WriteRelease(upload("v1"), "v1");
  for (int i = 0; i < 25; ++i) {
    ASSERT_EQ(mkfifo((upload("v1") + "/public/fifo-" + std::to_string(100 + i)).c_str(), 0644), 0);
  }
  Refused(Request(upload("v1"), "v1"), {"holds 25 fifos", "public/fifo-100 (fifo)",
                                       "public/fifo-119 (fifo)", "and 5 more"});
}

TEST_F(DeployPlannerTest, ASiteWhoseSharedIsAFileIsRefused) {
  WriteFile(site() + "/shared", "oops\n");
  WriteRelease(upload("v1"), "v1");
  Refused(Request(upload("v1"), "v1"), {"shared", "needs a directory", "move it away"});
}

// ------------------------------------------------------------------ plans

TEST_F(DeployPlannerTest, AutoModeIsFirstUntilTheJournalHasADeployAndTrueFalseForce) {
  WriteRelease(upload("v1"), "v1");
  DeployRequest request = Request(upload("v1"), "v1");
  EXPECT_TRUE(Planned(request).first);
  request.has_deployed_before = true;
  EXPECT_FALSE(Planned(request).first);
  request.mode = DeployRequest::kFirst;
  EXPECT_TRUE(Planned(request).first);
  request.has_deployed_before = false;
  request.mode = DeployRequest::kSubsequent;
  EXPECT_FALSE(Planned(request).first);
}

TEST_F(DeployPlannerTest, AFirstDeployImportsTheReleaseThenMovesEachPersistentRootAndLinksIt) {
  WriteRelease(upload("v1"), "v1");
  DeployPlan planned = Planned(Request(upload("v1"), "v1"));
  const Plan& plan = planned.plan;
  EXPECT_TRUE(planned.first);
  EXPECT_EQ(planned.release_id, "v1");
  ASSERT_GE(plan.op_size(), 3) << PlanListing(plan);
  EXPECT_EQ(OpsText(plan)[0], "mkdir releases") << PlanListing(plan);
  EXPECT_EQ(OpsText(plan)[1], "mkdir shared") << PlanListing(plan);
  EXPECT_EQ(OpsText(plan)[2], "import " + upload("v1") + " -> releases/v1") << PlanListing(plan);

  // Demo content moves whole, one rename per persistent root.
  EXPECT_EQ(OpsOfKind(plan, "move "),
            (std::vector<std::string>{
                "move releases/v1/bootstrap/cache -> shared/bootstrap/cache",
                "move releases/v1/public/qrcodes -> shared/public/qrcodes",
                "move releases/v1/public/uploads -> shared/public/uploads",
                "move releases/v1/storage -> shared/storage",
            }))
      << PlanListing(plan);
  const std::vector<std::pair<std::string, std::string>> links = {
      {"bootstrap/cache", "../../../shared/bootstrap/cache"},
      {"public/qrcodes", "../../../shared/public/qrcodes"},
      {"public/uploads", "../../../shared/public/uploads"},
      {"storage", "../../shared/storage"},
      {".env", "../../shared/.env"},
  };
  for (const auto& [path, target] : links) {
    const int link = IndexOf(plan, "symlink releases/v1/" + path + " -> " + target);
    EXPECT_GE(link, 0) << path << PlanListing(plan);
    if (path != ".env") {
      const int move = IndexOf(plan, "move releases/v1/" + path + " -> shared/" + path);
      EXPECT_LT(move, link) << path << " is linked before it is moved" << PlanListing(plan);
    }
  }
  // The parents in shared/ are made before the moves into them.
  EXPECT_LT(IndexOf(plan, "mkdir shared/public"),
            IndexOf(plan, "move releases/v1/public/qrcodes -> shared/public/qrcodes"));
  EXPECT_LT(IndexOf(plan, "mkdir shared/bootstrap"),
            IndexOf(plan, "move releases/v1/bootstrap/cache -> shared/bootstrap/cache"));
  // APP code is left alone, nothing is removed, current is switched.
  EXPECT_FALSE(AnyOpMentions(plan, "public/templates")) << PlanListing(plan);
  EXPECT_FALSE(AnyOpMentions(plan, "public/css")) << PlanListing(plan);
  EXPECT_FALSE(AnyOpMentions(plan, "vendor")) << PlanListing(plan);
  EXPECT_TRUE(OpsOfKind(plan, "remove ").empty()) << PlanListing(plan);
  EXPECT_GE(IndexOf(plan, "symlink current -> releases/v1"), 0) << PlanListing(plan);
  // The history is the command's to append once the run ends, outside the plan.
  EXPECT_FALSE(AnyOpMentions(plan, ".deployment-history")) << PlanListing(plan);
}

TEST_F(DeployPlannerTest, TheClassificationOfAFirstDeployKeepsTemplatesAsAppCode) {
  WriteRelease(upload("v1"), "v1");
  DeployPlan planned = Planned(Request(upload("v1"), "v1"));
  std::map<std::string, PathClass> cls;
  for (const Classification& row : planned.classification) cls[row.path] = row.cls;
  EXPECT_EQ(cls["public/templates"], PathClass::kApp);
  EXPECT_EQ(cls["public/css"], PathClass::kApp);
  EXPECT_EQ(cls["public/uploads"], PathClass::kUser);
  EXPECT_EQ(cls["public/qrcodes"], PathClass::kRuntime);
  EXPECT_EQ(cls["storage"], PathClass::kShared);
  EXPECT_EQ(cls["vendor"], PathClass::kApp);
}

TEST_F(DeployPlannerTest, ASubsequentDeployStashesTheShippedCopiesAndNeverMovesOntoSharedData) {
  MakeDeployedSite("v1");
  WriteRelease(upload("v2"), "v2");
  DeployRequest request = Request(upload("v2"), "v2");
  request.has_deployed_before = true;
  DeployPlan planned = Planned(request);
  const Plan& plan = planned.plan;
  EXPECT_FALSE(planned.first);

  // Nothing moves into shared/: every path there holds user data.
  EXPECT_TRUE(OpsOfKind(plan, "move ").empty()) << PlanListing(plan);
  EXPECT_TRUE(OpsOfKind(plan, "copy ").empty()) << PlanListing(plan);
  for (const std::string path : {"bootstrap/cache", "public/qrcodes", "public/uploads", "storage"}) {
    const int stash = IndexOf(plan, "remove releases/v2/" + path);
    const int link = IndexOf(plan, "symlink releases/v2/" + path + " -> " +
                                       RelativeTarget("releases/v2/" + path, "shared/" + path));
    EXPECT_GE(stash, 0) << path << PlanListing(plan);
    EXPECT_GT(link, stash) << path << PlanListing(plan);
  }
  // The release ships no .env: it is linked to the kept one, never seeded.
  EXPECT_GE(IndexOf(plan, "symlink releases/v2/.env -> ../../shared/.env"), 0) << PlanListing(plan);
  EXPECT_FALSE(AnyOpMentions(plan, ".env.example")) << PlanListing(plan);
  EXPECT_FALSE(AnyOpMentions(plan, "chmod")) << PlanListing(plan);
  // What the vendor shipped inside kept paths is reported.
  EXPECT_TRUE(AnyNoteHas(planned, "the release ships public/uploads (1 file, 15 bytes)"))
      << absl::StrJoin(planned.notes, "\n");
  EXPECT_TRUE(AnyNoteHas(planned, "--merge-new adds files it lacks"))
      << absl::StrJoin(planned.notes, "\n");
  // No op of the plan writes onto, moves onto or stashes user data.
  for (const Op& op : plan.op()) {
    std::string dest;
    if (op.has_move()) dest = op.move().to();
    if (op.has_copy()) dest = op.copy().to();
    if (op.has_remove()) dest = op.remove().path();
    if (op.has_mkdir()) {
      // A directory the profile names is made where shared/ lacks it.
      EXPECT_FALSE(PathExists(site() + "/" + op.mkdir().path())) << OpText(op);
      continue;
    }
    if (dest.empty()) continue;
    EXPECT_FALSE(absl::StartsWith(dest, "shared/")) << OpText(op);
  }
}

TEST_F(DeployPlannerTest, AShippedPersistentPathNewInASubsequentReleaseIsSeededFromIt) {
  MakeDeployedSite("v1");
  WriteRelease(upload("v2"), "v2");
  WriteFile(upload("v2") + "/public/invoices/.gitkeep", "");
  DeployRequest request = Request(upload("v2"), "v2");
  request.mode = DeployRequest::kSubsequent;
  DeployPlan planned = Planned(request);
  EXPECT_EQ(OpsOfKind(planned.plan, "move "),
            (std::vector<std::string>{"move releases/v2/public/invoices -> shared/public/invoices"}))
      << PlanListing(planned.plan);
  EXPECT_GT(IndexOf(planned.plan,
                    "symlink releases/v2/public/invoices -> ../../../shared/public/invoices"),
            IndexOf(planned.plan, "move releases/v2/public/invoices -> shared/public/invoices"));
  EXPECT_TRUE(AnyNoteHas(planned, "new persistent path public/invoices seeded from the release"))
      << absl::StrJoin(planned.notes, "\n");
}

TEST_F(DeployPlannerTest, AMissingEnvIsSeededFromEnvExampleWithMode0600AndAWarning) {
  WriteRelease(upload("v1"), "v1");
  DeployPlan planned = Planned(Request(upload("v1"), "v1"));
  const Plan& plan = planned.plan;
  const int copy = IndexOf(plan, "copy releases/v1/.env.example -> shared/.env");
  ASSERT_GE(copy, 0) << PlanListing(plan);
  EXPECT_EQ(IndexOf(plan, "chmod shared/.env 0600"), copy + 1) << PlanListing(plan);
  EXPECT_GT(IndexOf(plan, "symlink releases/v1/.env -> ../../shared/.env"), copy + 1)
      << PlanListing(plan);
  EXPECT_TRUE(AnyNoteHas(planned, "warning: shared/.env was seeded from .env.example"))
      << absl::StrJoin(planned.notes, "\n");
  // Never created empty.
  for (const Op& op : plan.op()) {
    if (op.has_write()) {
      EXPECT_NE(op.write().path(), "shared/.env");
    }
  }
}

TEST_F(DeployPlannerTest, WithoutEnvOrEnvExampleNoEnvIsCreatedAndTheOperatorIsWarned) {
  WriteRelease(upload("v1"), "v1");
  unlink((upload("v1") + "/.env.example").c_str());
  DeployPlan planned = Planned(Request(upload("v1"), "v1"));
  EXPECT_FALSE(AnyOpMentions(planned.plan, ".env")) << PlanListing(planned.plan);
  EXPECT_TRUE(AnyNoteHas(planned, "create shared/.env")) << absl::StrJoin(planned.notes, "\n");
}

TEST_F(DeployPlannerTest, AWorldReadableEnvShippedByTheReleaseLosesItsWorldBitsInShared) {
  WriteRelease(upload("v1"), "v1");
  WriteFile(upload("v1") + "/.env", "APP_KEY=vendor\n", 0644);
  DeployPlan planned = Planned(Request(upload("v1"), "v1"));
  const int move = IndexOf(planned.plan, "move releases/v1/.env -> shared/.env");
  ASSERT_GE(move, 0) << PlanListing(planned.plan);
  EXPECT_EQ(IndexOf(planned.plan, "chmod shared/.env 0640"), move + 1) << PlanListing(planned.plan);
  EXPECT_FALSE(AnyOpMentions(planned.plan, ".env.example")) << PlanListing(planned.plan);
}

TEST_F(DeployPlannerTest, MergeNewAddsCopyOpsOnlyForFilesSharedLacks) {
  MakeDeployedSite("v1");
  WriteRelease(upload("v2"), "v2");
  // In shared/ already: demo/avatar.txt, user-42.jpg, storage/logs/laravel.log.
  WriteFile(upload("v2") + "/public/uploads/user-42.jpg", "the vendor's sample photo");
  WriteFile(upload("v2") + "/public/uploads/demo/banner.txt", "new demo banner\n");
  WriteFile(upload("v2") + "/public/uploads/flags/fr.svg", "<svg/>\n");
  WriteFile(upload("v2") + "/public/uploads/flags/de.svg", "<svg/>\n");
  WriteFile(upload("v2") + "/storage/logs/laravel.log", "the vendor's log\n");
  WriteFile(upload("v2") + "/storage/framework/views/.gitignore", "*\n");
  // A file in shared/ where the release has a directory: left alone.
  WriteFile(site() + "/shared/public/uploads/gallery", "a user's file named gallery");
  WriteFile(upload("v2") + "/public/uploads/gallery/one.jpg", "vendor gallery\n");
  DeployRequest request = Request(upload("v2"), "v2");
  request.has_deployed_before = true;
  request.merge_new = true;
  DeployPlan planned = Planned(request);
  const Plan& plan = planned.plan;
  EXPECT_EQ(OpsOfKind(plan, "copy "),
            (std::vector<std::string>{
                "copy releases/v2/bootstrap/cache/.gitignore -> shared/bootstrap/cache/.gitignore",
                "copy releases/v2/public/uploads/demo/banner.txt -> shared/public/uploads/demo/banner.txt",
                "copy releases/v2/public/uploads/flags -> shared/public/uploads/flags",
                "copy releases/v2/storage/app -> shared/storage/app",
                "copy releases/v2/storage/framework -> shared/storage/framework",
                "copy releases/v2/storage/logs/.gitignore -> shared/storage/logs/.gitignore",
            }))
      << PlanListing(plan);
  // Each copy is made from the release before the release's copy is stashed.
  EXPECT_LT(IndexOf(plan, "copy releases/v2/public/uploads/flags -> shared/public/uploads/flags"),
            IndexOf(plan, "remove releases/v2/public/uploads"));
  EXPECT_LT(IndexOf(plan, "copy releases/v2/storage/framework -> shared/storage/framework"),
            IndexOf(plan, "remove releases/v2/storage"));
  EXPECT_TRUE(OpsOfKind(plan, "move ").empty()) << PlanListing(plan);
  EXPECT_TRUE(AnyNoteHas(planned, "--merge-new: 2 new entries of public/uploads added to shared/"))
      << absl::StrJoin(planned.notes, "\n");
}

TEST_F(DeployPlannerTest, KeepPrunesTheOldestReleasesCountingTheNewOne) {
  MakeDeployedSite("r3");
  MakeDir(site() + "/releases/r1/app");
  MakeDir(site() + "/releases/r2/app");
  WriteRelease(upload("r4"), "r4");
  DeployRequest request = Request(upload("r4"), "r4");
  request.has_deployed_before = true;
  request.keep = 3;
  EXPECT_EQ(Pruned(Planned(request).plan),
            (std::vector<std::string>{"remove releases/r1"}));
  request.keep = 2;
  EXPECT_EQ(Pruned(Planned(request).plan),
            (std::vector<std::string>{"remove releases/r1", "remove releases/r2"}));
  request.keep = 5;
  EXPECT_TRUE(Pruned(Planned(request).plan).empty());
}

TEST_F(DeployPlannerTest, KeepNeverPrunesTheReleaseCurrentPointsAtWhenNotSwitching) {
  MakeDeployedSite("r1");  // rolled back to the oldest release
  MakeDir(site() + "/releases/r2/app");
  MakeDir(site() + "/releases/r3/app");
  MakeDir(site() + "/releases/r4/app");
  WriteRelease(upload("r5"), "r5");
  DeployRequest request = Request(upload("r5"), "r5");
  request.has_deployed_before = true;
  request.keep = 2;
  request.switch_current = false;
  DeployPlan planned = Planned(request);
  EXPECT_EQ(Pruned(planned.plan),
            (std::vector<std::string>{"remove releases/r2", "remove releases/r3"}))
      << PlanListing(planned.plan);
  EXPECT_FALSE(AnyOpMentions(planned.plan, "current")) << PlanListing(planned.plan);
  EXPECT_TRUE(AnyNoteHas(planned, "release r2 pruned")) << absl::StrJoin(planned.notes, "\n");
}

TEST_F(DeployPlannerTest, APublicHtmlDirectoryBecomesASymlinkToCurrentPublic) {
  WriteFile(site() + "/public_html/index.html", "hosting panel placeholder");
  WriteRelease(upload("v1"), "v1");
  DeployPlan planned = Planned(Request(upload("v1"), "v1"));
  const Plan& plan = planned.plan;
  const int current = IndexOf(plan, "symlink current -> releases/v1");
  const int stash = IndexOf(plan, "remove public_html");
  ASSERT_GE(current, 0) << PlanListing(plan);
  EXPECT_EQ(stash, current + 1) << PlanListing(plan);
  EXPECT_EQ(IndexOf(plan, "symlink public_html -> current/public"), stash + 1) << PlanListing(plan);
  EXPECT_TRUE(AnyNoteHas(planned, "public_html was a directory")) << absl::StrJoin(planned.notes, "\n");
}

TEST_F(DeployPlannerTest, APublicHtmlSymlinkOrANoSwitchDeployLeavesPublicHtmlAlone) {
  WriteFile(site() + "/public_html/index.html", "hosting panel placeholder");
  WriteRelease(upload("v1"), "v1");
  DeployRequest request = Request(upload("v1"), "v1");
  request.switch_current = false;
  EXPECT_FALSE(AnyOpMentions(Planned(request).plan, "public_html"));
  testing::RemoveAll(site() + "/public_html");
  MakeSymlink("current/public", site() + "/public_html");
  request.switch_current = true;
  EXPECT_FALSE(AnyOpMentions(Planned(request).plan, "public_html"));
}

TEST_F(DeployPlannerTest, StorageAppCustomInsideStorageIsNotLinkedSeparately) {
  WriteRelease(upload("v1"), "v1");
  WriteFile(upload("v1") + "/storage/app/custom/logo.png", "logo");
  DeployPlan planned = Planned(Request(upload("v1"), "v1"));
  EXPECT_GE(IndexOf(planned.plan, "move releases/v1/storage -> shared/storage"), 0)
      << PlanListing(planned.plan);
  EXPECT_FALSE(AnyOpMentions(planned.plan, "storage/app")) << PlanListing(planned.plan);
  bool listed = false;
  for (const Classification& row : planned.classification) {
    if (row.path == "storage/app/custom") listed = true;
  }
  EXPECT_TRUE(listed) << "classify still shows storage/app/custom";
}

TEST_F(DeployPlannerTest, AReleaseWithoutStorageGetsALinkToTheKeptOne) {
  MakeDeployedSite("v1");
  WriteRelease(upload("v2"), "v2");
  testing::RemoveAll(upload("v2") + "/storage");
  testing::RemoveAll(upload("v2") + "/bootstrap");
  DeployRequest request = Request(upload("v2"), "v2");
  request.has_deployed_before = true;
  DeployPlan planned = Planned(request);
  const Plan& plan = planned.plan;
  EXPECT_GE(IndexOf(plan, "symlink releases/v2/storage -> ../../shared/storage"), 0)
      << PlanListing(plan);
  // bootstrap/ is not shipped: its directory is made in the release first.
  const int mkdir = IndexOf(plan, "mkdir releases/v2/bootstrap");
  EXPECT_GE(mkdir, 0) << PlanListing(plan);
  EXPECT_GT(IndexOf(plan, "symlink releases/v2/bootstrap/cache -> ../../../shared/bootstrap/cache"),
            mkdir)
      << PlanListing(plan);
}

// KNOWN BUG (cosmetic): when a kept path's parent is missing from the
// release (no bootstrap/ at all), ensure_dir walks up from
// releases/ID/bootstrap and, finding releases/ID absent at planning time,
// plans "mkdir releases/ID" right after the import that creates it. The run
// still succeeds (mkdir of an existing directory is recorded as a no-op) and
// undoes exactly, but the plan and `persist show` list a bogus op.
TEST_F(DeployPlannerTest, APlanNeverMakesTheDirectoryItsImportCreates) {
  MakeDeployedSite("v1");
  WriteRelease(upload("v2"), "v2");
  testing::RemoveAll(upload("v2") + "/bootstrap");
  DeployRequest request = Request(upload("v2"), "v2");
  request.has_deployed_before = true;
  DeployPlan planned = Planned(request);
  EXPECT_EQ(IndexOf(planned.plan, "mkdir releases/v2"), -1) << PlanListing(planned.plan);
}

}  // namespace
}  // namespace persist
