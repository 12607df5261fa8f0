// Copyright persist authors.

#include "journal/manifest_stream.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "fsops/path.h"
#include "gtest/gtest.h"

namespace persist {
namespace {

ManifestEntry Entry(const std::string& path, FileType type) {
  ManifestEntry entry;
  entry.set_path(path);
  entry.set_type(type);
  entry.set_mode(type == DIRECTORY ? 0755 : 0644);
  return entry;
}

Manifest GoodManifest() {
  Manifest manifest;
  manifest.set_release_path("releases/20261128T101500Z");
  manifest.set_run_id("20261128T101500Z");
  *manifest.add_entry() = Entry("", DIRECTORY);
  *manifest.add_entry() = Entry("public", DIRECTORY);
  ManifestEntry* file = manifest.add_entry();
  *file = Entry("public/index.php", REGULAR);
  file->set_size(5);
  file->set_digest(std::string(32, '\x7f'));
  *manifest.add_entry() = Entry("public-old", DIRECTORY);  // after public/, in walk order
  ManifestEntry* link = manifest.add_entry();
  *link = Entry("storage", SYMLINK);
  link->set_link_target("../../shared/storage");
  return manifest;
}

std::vector<std::string> PathsOf(ManifestReader& reader) {
  std::vector<std::string> paths;
  ManifestEntry entry;
  while (reader.Next(&entry)) paths.push_back(entry.path());
  return paths;
}

TEST(ManifestStreamTest, WriterAndReaderRoundTrip) {
  const Manifest manifest = GoodManifest();
  const EncodedManifest encoded = EncodeManifest(manifest);
  EXPECT_EQ(encoded.release_path, manifest.release_path());

  const std::string record = encoded.record();

  absl::StatusOr<ManifestReader> reader = ManifestReader::Open(record);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->release_path(), manifest.release_path());
  EXPECT_EQ(reader->run_id(), manifest.run_id());
  ManifestEntry entry;
  for (const ManifestEntry& want : manifest.entry()) {
    ASSERT_TRUE(reader->Next(&entry)) << reader->status();
    EXPECT_EQ(entry.SerializeAsString(), want.SerializeAsString());
  }
  EXPECT_FALSE(reader->Next(&entry));
  EXPECT_TRUE(reader->status().ok()) << reader->status();
}

// The record is a Manifest as protobuf sees it: what the writer streams and
// what the generated parser reads agree, fields in any order.
TEST(ManifestStreamTest, TheRecordIsAManifestMessage) {
  const Manifest manifest = GoodManifest();
  Manifest parsed;
  ASSERT_TRUE(parsed.ParseFromString(EncodeManifest(manifest).record()));
  EXPECT_EQ(parsed.SerializeAsString(), manifest.SerializeAsString());

  // And a record protobuf wrote itself (names first) reads the same.
  absl::StatusOr<Manifest> decoded = DecodeManifest(manifest.SerializeAsString());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->SerializeAsString(), manifest.SerializeAsString());
}

TEST(ManifestStreamTest, ClearDropsWhatWasAdded) {
  ManifestWriter writer;
  writer.Add(Entry("", DIRECTORY));
  writer.Add(Entry("stale", REGULAR));
  writer.Clear();
  writer.Add(Entry("", DIRECTORY));
  EXPECT_EQ(writer.entries(), 1u);
  const EncodedManifest encoded = writer.Finish("releases/1", "1");
  const std::string record = encoded.record();
  absl::StatusOr<ManifestReader> reader = ManifestReader::Open(record);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(PathsOf(*reader), std::vector<std::string>{""});
  EXPECT_EQ(writer.entries(), 0u);  // Finish leaves it empty
}

// A record of many pieces (64 KiB each) reads back whole, entry for entry.
TEST(ManifestStreamTest, ARecordOfManyPiecesReadsBackWhole) {
  ManifestWriter writer;
  writer.Add(Entry("", DIRECTORY));
  std::vector<std::string> paths = {""};
  for (int i = 0; i < 20000; ++i) {
    paths.push_back(absl::StrCat("f", 100000 + i, std::string(60, 'x')));
    ManifestEntry file = Entry(paths.back(), REGULAR);
    file.set_digest(std::string(32, static_cast<char>(i)));
    writer.Add(file);
  }
  const EncodedManifest encoded = writer.Finish("releases/1", "1");
  EXPECT_GT(encoded.pieces.size(), 1u);
  const std::string record = encoded.record();
  EXPECT_EQ(record.size(), encoded.size());
  absl::StatusOr<ManifestReader> reader = ManifestReader::Open(record);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->release_path(), "releases/1");
  EXPECT_EQ(reader->run_id(), "1");
  EXPECT_EQ(PathsOf(*reader), paths);
  Manifest parsed;
  ASSERT_TRUE(parsed.ParseFromString(record));
  EXPECT_EQ(parsed.entry(12345).digest(), std::string(32, static_cast<char>(12344)));
}

TEST(ManifestStreamTest, RewindReadsAgainFromTheStart) {
  const EncodedManifest encoded = EncodeManifest(GoodManifest());
  const std::string record = encoded.record();
  absl::StatusOr<ManifestReader> reader = ManifestReader::Open(record);
  ASSERT_TRUE(reader.ok());
  const std::vector<std::string> first = PathsOf(*reader);
  reader->Rewind();
  EXPECT_EQ(PathsOf(*reader), first);
  EXPECT_EQ(first.size(), 5u);
}

TEST(ManifestStreamTest, NamesOfAnyBytesSurvive) {
  Manifest manifest = GoodManifest();
  *manifest.add_entry() = Entry("z\xff\xfe", REGULAR);  // not UTF-8
  manifest.mutable_entry(4)->set_link_target("\xc3\x28");
  const EncodedManifest encoded = EncodeManifest(manifest);
  absl::StatusOr<Manifest> decoded = DecodeManifest(encoded.record());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->entry(5).path(), "z\xff\xfe");
  EXPECT_EQ(decoded->entry(4).link_target(), "\xc3\x28");
}

TEST(ManifestStreamTest, FieldsOfANewerVersionAreSkipped) {
  std::string record = EncodeManifest(GoodManifest()).record();
  // Field 15, varint 7; and field 14, eight fixed bytes.
  record += std::string("\x78\x07", 2);
  record += std::string("\x71", 1) + std::string(8, '\x01');
  absl::StatusOr<ManifestReader> reader = ManifestReader::Open(record);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(PathsOf(*reader).size(), 5u);
  EXPECT_TRUE(reader->status().ok()) << reader->status();
}

TEST(ManifestStreamTest, RefusesPathsOutsideTheSite) {
  Manifest release = GoodManifest();
  release.set_release_path("/var/www");
  EXPECT_TRUE(absl::IsDataLoss(DecodeManifest(EncodeManifest(release).record()).status()));

  Manifest entry = GoodManifest();
  entry.mutable_entry(1)->set_path("../../etc/passwd");
  EXPECT_TRUE(absl::IsDataLoss(DecodeManifest(EncodeManifest(entry).record()).status()));

  Manifest run = GoodManifest();
  run.set_run_id("");
  EXPECT_TRUE(absl::IsDataLoss(DecodeManifest(EncodeManifest(run).record()).status()));

  Manifest type = GoodManifest();
  type.mutable_entry(1)->set_type(FILE_TYPE_UNSPECIFIED);
  EXPECT_TRUE(absl::IsDataLoss(DecodeManifest(EncodeManifest(type).record()).status()));
}

TEST(ManifestStreamTest, RefusesEntriesOutOfWalkOrderOrTwice) {
  Manifest swapped = GoodManifest();
  swapped.mutable_entry()->SwapElements(2, 3);  // public-old before public/index.php
  absl::StatusOr<Manifest> decoded = DecodeManifest(EncodeManifest(swapped).record());
  ASSERT_TRUE(absl::IsDataLoss(decoded.status())) << decoded.status();
  EXPECT_NE(decoded.status().message().find("out of walk order"), std::string::npos)
      << decoded.status();

  Manifest twice = GoodManifest();
  *twice.add_entry() = Entry("storage", SYMLINK);
  EXPECT_TRUE(absl::IsDataLoss(DecodeManifest(EncodeManifest(twice).record()).status()));

  Manifest root_late = GoodManifest();
  *root_late.add_entry() = Entry("", DIRECTORY);
  EXPECT_TRUE(absl::IsDataLoss(DecodeManifest(EncodeManifest(root_late).record()).status()));
}

TEST(ManifestStreamTest, EntriesBeforeTheDamageAreReadThenTheReaderStops) {
  Manifest manifest = GoodManifest();
  manifest.mutable_entry(3)->set_path("a//b");
  const EncodedManifest encoded = EncodeManifest(manifest);
  const std::string record = encoded.record();
  absl::StatusOr<ManifestReader> reader = ManifestReader::Open(record);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(PathsOf(*reader).size(), 3u);
  EXPECT_TRUE(absl::IsDataLoss(reader->status()));
  ManifestEntry entry;
  EXPECT_FALSE(reader->Next(&entry));  // and stays stopped
}

TEST(ManifestStreamTest, RefusesTruncatedAndForeignBytes) {
  const std::string record = EncodeManifest(GoodManifest()).record();
  for (size_t cut : {size_t{1}, record.size() / 2, record.size() - 1}) {
    EXPECT_FALSE(ManifestReader::Open(record.substr(0, cut)).ok()) << "cut at " << cut;
  }
  EXPECT_FALSE(ManifestReader::Open(std::string("\xff\xff\xff\xff\xff\xff", 6)).ok());
  EXPECT_FALSE(ManifestReader::Open("").ok());  // no release path
}

TEST(ManifestStreamTest, DamageIsReportedThroughTheCallersWords) {
  Manifest manifest = GoodManifest();
  manifest.mutable_entry(1)->set_path("/etc");
  const EncodedManifest encoded = EncodeManifest(manifest);
  const std::string record = encoded.record();
  absl::StatusOr<ManifestReader> reader = ManifestReader::Open(record, [](const absl::Status& found) {
        return absl::DataLossError(absl::StrCat("record X of journal J: ", found.message()));
      });
  ASSERT_TRUE(reader.ok());
  PathsOf(*reader);
  EXPECT_EQ(reader->status().message().rfind("record X of journal J: manifest entry", 0), 0u)
      << reader->status();
}

}  // namespace
}  // namespace persist
