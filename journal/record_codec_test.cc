// Copyright persist authors.

#include "journal/record_codec.h"

#include <string>

#include "gtest/gtest.h"
#include "proto/journal.pb.h"

namespace persist {
namespace {

Run GoodRun() {
  Run run;
  run.set_id("20261128T101500Z-2");
  run.set_kind("deploy");
  run.set_state(RUN_COMMITTED);
  run.set_start_ns(1764324900000000001);
  return run;
}

PathState State(const std::string& path, FileType type) {
  PathState state;
  state.set_path(path);
  state.set_type(type);
  return state;
}

OpRecord GoodOp() {
  OpRecord record;
  record.set_run_id("20261128T101500Z");
  record.set_index(3);
  record.mutable_op()->mutable_copy()->set_from("incoming/v2");
  record.mutable_op()->mutable_copy()->set_to("releases/r2");
  *record.add_before() = State("incoming/v2", DIRECTORY);
  *record.add_before() = State("releases/r2", ABSENT);
  record.set_status(OP_INTENDED);
  return record;
}

TEST(ValidateRunIdTest, TakesOneDirectoryName) {
  EXPECT_TRUE(ValidateRunId("20261128T101500Z").ok());
  EXPECT_TRUE(ValidateRunId("20261128T101500Z-10").ok());
  for (const std::string& bad :
       {std::string(""), std::string("."), std::string(".."), std::string("a/b"),
        std::string("../x"), std::string("r\0x", 3), std::string(256, 'r'),
        std::string("a\nb"), std::string("a b"), std::string(".hidden")}) {
    EXPECT_FALSE(ValidateRunId(bad).ok()) << bad;
  }
}

TEST(DecodeRunTest, RoundTrips) {
  absl::StatusOr<persist::Run> run = DecodeRun(GoodRun().SerializeAsString());
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->SerializeAsString(), GoodRun().SerializeAsString());
}

TEST(DecodeRunTest, RefusesBytesThatAreNotARun) {
  absl::StatusOr<persist::Run> run = DecodeRun("\xff\xff\xff");
  EXPECT_TRUE(absl::IsDataLoss(run.status())) << run.status();
}

// PurgeOldStashes removes .persist/stash/<id>: an id of ".." would be the
// whole of .persist/.
TEST(DecodeRunTest, RefusesAnIdThatLeavesTheStash) {
  for (const char* id : {"..", ".", "", "../../shared", "a/b"}) {
    persist::Run run = GoodRun();
    run.set_id(id);
    absl::StatusOr<persist::Run> decoded = DecodeRun(run.SerializeAsString());
    EXPECT_TRUE(absl::IsDataLoss(decoded.status())) << id << ": " << decoded.status();
  }
}

TEST(DecodeRunTest, RefusesAnUnknownState) {
  for (int state : {0, 6, 1000, -1}) {
    persist::Run run = GoodRun();
    run.set_state(static_cast<RunState>(state));
    EXPECT_FALSE(DecodeRun(run.SerializeAsString()).ok()) << state;
  }
}

TEST(DecodeOpRecordTest, RoundTripsWithAndWithoutAfterStates) {
  OpRecord record = GoodOp();
  absl::StatusOr<OpRecord> decoded = DecodeOpRecord(record.SerializeAsString());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->SerializeAsString(), record.SerializeAsString());

  *record.add_after() = State("incoming/v2", DIRECTORY);
  *record.add_after() = State("releases/r2", DIRECTORY);
  record.set_status(OP_APPLIED);
  decoded = DecodeOpRecord(record.SerializeAsString());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->SerializeAsString(), record.SerializeAsString());
}

// Undo reads before[i] for each path of the op without a bounds check.
TEST(DecodeOpRecordTest, RefusesTooFewOrTooManyStates) {
  OpRecord few = GoodOp();
  few.mutable_before()->RemoveLast();
  EXPECT_TRUE(absl::IsDataLoss(DecodeOpRecord(few.SerializeAsString()).status()));

  OpRecord none = GoodOp();
  none.clear_before();
  EXPECT_TRUE(absl::IsDataLoss(DecodeOpRecord(none.SerializeAsString()).status()));

  OpRecord many = GoodOp();
  *many.add_before() = State("extra", ABSENT);
  EXPECT_TRUE(absl::IsDataLoss(DecodeOpRecord(many.SerializeAsString()).status()));

  OpRecord odd_after = GoodOp();
  *odd_after.add_after() = State("incoming/v2", DIRECTORY);
  EXPECT_TRUE(absl::IsDataLoss(DecodeOpRecord(odd_after.SerializeAsString()).status()));
}

TEST(DecodeOpRecordTest, RefusesAnOpThatNoPlanCouldHold) {
  OpRecord no_kind = GoodOp();
  no_kind.clear_op();
  no_kind.clear_before();
  EXPECT_TRUE(absl::IsDataLoss(DecodeOpRecord(no_kind.SerializeAsString()).status()));

  OpRecord outside = GoodOp();
  outside.mutable_op()->mutable_copy()->set_to("../etc");
  EXPECT_TRUE(absl::IsDataLoss(DecodeOpRecord(outside.SerializeAsString()).status()));

  OpRecord journal = GoodOp();
  journal.mutable_op()->mutable_copy()->set_to(".persist/journal");
  EXPECT_TRUE(absl::IsDataLoss(DecodeOpRecord(journal.SerializeAsString()).status()));
}

TEST(DecodeOpRecordTest, RefusesABadRunIdStatusOrFileType) {
  OpRecord bad_id = GoodOp();
  bad_id.set_run_id("..");
  EXPECT_FALSE(DecodeOpRecord(bad_id.SerializeAsString()).ok());

  OpRecord bad_status = GoodOp();
  bad_status.set_status(static_cast<OpStatus>(9));
  EXPECT_FALSE(DecodeOpRecord(bad_status.SerializeAsString()).ok());

  OpRecord unspecified = GoodOp();
  unspecified.mutable_before(1)->set_type(FILE_TYPE_UNSPECIFIED);
  EXPECT_FALSE(DecodeOpRecord(unspecified.SerializeAsString()).ok());

  OpRecord unknown = GoodOp();
  unknown.mutable_before(0)->set_type(static_cast<FileType>(42));
  EXPECT_FALSE(DecodeOpRecord(unknown.SerializeAsString()).ok());
}

}  // namespace
}  // namespace persist
