// Copyright persist authors.

#include "journal/record_wire.h"

#include <string>

#include "gtest/gtest.h"
#include "proto/journal.pb.h"

namespace persist {
namespace {

// A name no UTF-8 decoder accepts, with a newline for good measure.
const std::string kRawName("uploads/caf\xe9\n\xff.jpg", 19);

TEST(RecordWireTest, ARunWithRawBytesInItsNamesRoundTrips) {
  ::persist::Run run;
  run.set_id("20261128T101500Z");
  run.set_state(RUN_UNDONE);
  run.set_start_ns(1764324900000000000);
  run.add_rescued(".persist/rescued/20261128T101500Z/releases/v2/public/" + kRawName);
  run.set_error("op 3 failed on " + kRawName);
  HookResult* hook = run.add_hooks();
  hook->set_output(std::string("\x89PNG\r\n\x1a\n\xff\xfe", 10));
  hook->set_exit_code(-1);
  ::persist::Run back;
  const std::string wire = EncodeRecord(run);
  ASSERT_TRUE(DecodeRecord(wire.data(), wire.size(), &back));
  EXPECT_EQ(EncodeRecord(back), wire);
  EXPECT_EQ(back.rescued(0), run.rescued(0));
  EXPECT_EQ(back.hooks(0).output(), run.hooks(0).output());
  EXPECT_EQ(back.hooks(0).exit_code(), -1);
  EXPECT_EQ(back.state(), RUN_UNDONE);
}

TEST(RecordWireTest, AnOpAndItsStatesWithRawNamesRoundTrip) {
  OpRecord op;
  op.set_run_id("r1");
  op.set_index(7);
  op.mutable_op()->mutable_symlink()->set_target("../../" + kRawName);
  op.mutable_op()->mutable_symlink()->set_path("releases/v2/" + kRawName);
  PathState* before = op.add_before();
  before->set_path("releases/v2/" + kRawName);
  before->set_type(SYMLINK);
  before->set_link_target(kRawName);
  before->set_digest(std::string(32, '\xab'));
  op.set_staged_inode(uint64_t{1} << 40);
  OpRecord back;
  const std::string wire = EncodeRecord(op);
  ASSERT_TRUE(DecodeRecord(wire.data(), wire.size(), &back));
  EXPECT_EQ(back.op().symlink().path(), "releases/v2/" + kRawName);
  EXPECT_EQ(back.before(0).link_target(), kRawName);
  EXPECT_EQ(back.before(0).digest(), std::string(32, '\xab'));
  EXPECT_EQ(back.staged_inode(), uint64_t{1} << 40);
  EXPECT_EQ(back.op().kind_case(), Op::kSymlink);
}

TEST(RecordWireTest, AManifestOfRawNamesRoundTrips) {
  Manifest manifest;
  manifest.set_release_path("releases/v1");
  for (const std::string& name : {std::string("plain.php"), kRawName, std::string(255, '\xff')}) {
    ManifestEntry* entry = manifest.add_entry();
    entry->set_path(name);
    entry->set_type(REGULAR);
    entry->set_mtime_ns(-5);
  }
  Manifest back;
  const std::string wire = EncodeRecord(manifest);
  ASSERT_TRUE(DecodeRecord(wire.data(), wire.size(), &back));
  ASSERT_EQ(back.entry_size(), 3);
  EXPECT_EQ(back.entry(1).path(), kRawName);
  EXPECT_EQ(back.entry(2).path(), std::string(255, '\xff'));
  EXPECT_EQ(back.entry(2).mtime_ns(), -5);
}

// Journals written before the codec, and by it, are the same bytes.
TEST(RecordWireTest, ValidTextEncodesExactlyAsProtobufDoes) {
  ::persist::Run run;
  run.set_id("r1");
  run.set_kind("deploy");
  run.set_state(RUN_COMMITTED);
  run.set_pid(4242);
  run.add_rescued("shared/été.txt");
  run.add_hooks()->set_command("php artisan migrate --force");
  run.set_stash_purged(true);
  EXPECT_EQ(EncodeRecord(run), run.SerializeAsString());
  ::persist::Run back;
  const std::string wire = run.SerializeAsString();
  ASSERT_TRUE(DecodeRecord(wire.data(), wire.size(), &back));
  EXPECT_EQ(back.SerializeAsString(), wire);
}

TEST(RecordWireTest, BytesThatAreNotARecordAreRefused) {
  const std::string garbage("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11);
  ::persist::Run run;
  EXPECT_FALSE(DecodeRecord(garbage.data(), garbage.size(), &run));
}

}  // namespace
}  // namespace persist
