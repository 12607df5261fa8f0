// Copyright persist authors.
//
// Fuzzes the journal's record decoder (journal/record_codec.h) and what
// `persist log` and `persist show` do with a decoded record. The input's
// first byte picks the record kind (Run, OpRecord, Manifest; modulo 3), the
// rest is the record as LMDB would hand it over. Checked: whatever decodes
// holds what the decoder promises, encodes and decodes again to the same
// record, and formats as text and JSON; a manifest shows no change against
// itself.

#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/report.h"
#include "fsops/ops.h"
#include "fsops/path.h"
#include "google/protobuf/stubs/logging.h"
#include "journal/manifest_stream.h"
#include "journal/record_codec.h"
#include "planner/audit.h"
#include "tests/fuzz/fuzz_check.h"

namespace persist {
namespace {

void FuzzRun(absl::string_view bytes) {
  absl::StatusOr<Run> run = DecodeRun(bytes);
  if (!run.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(run.status()));
    return;
  }
  FUZZ_CHECK(ValidateRunId(run->id()).ok());
  absl::StatusOr<Run> again = DecodeRun(run->SerializeAsString());
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->SerializeAsString() == run->SerializeAsString());
  for (bool live : {false, true}) {
    FUZZ_CHECK(!RunStateText(*run, live).empty());
    FUZZ_CHECK(!FormatRunTable({*run}, live).empty());
  }
  FUZZ_CHECK(!FormatRunDetail(*run, {}).empty());
  FUZZ_CHECK(!RunsJson({*run}).empty());
}

void FuzzOpRecord(absl::string_view bytes) {
  absl::StatusOr<OpRecord> record = DecodeOpRecord(bytes);
  if (!record.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(record.status()));
    return;
  }
  FUZZ_CHECK(ValidateRunId(record->run_id()).ok());
  FUZZ_CHECK(ValidateOp(record->op()).ok());
  const size_t paths = OpPaths(record->op()).size();
  FUZZ_CHECK(static_cast<size_t>(record->before_size()) == paths);
  FUZZ_CHECK(record->after_size() == 0 || static_cast<size_t>(record->after_size()) == paths);
  absl::StatusOr<OpRecord> again = DecodeOpRecord(record->SerializeAsString());
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->SerializeAsString() == record->SerializeAsString());
  FUZZ_CHECK(!DescribeOp(record->op()).empty());
  Run run;
  run.set_id(record->run_id());
  run.set_state(RUN_APPLYING);
  FUZZ_CHECK(!FormatRunDetail(run, {*record}).empty());
  FUZZ_CHECK(!RunDetailJson(run, {*record}).empty());
}

// The entries of a record that reads to its end, each checked as the
// reader promises; false when the reader stopped on damage.
bool ReadAll(ManifestReader& reader, ManifestWriter* copy) {
  ManifestEntry entry;
  std::string previous;
  bool first = true;
  while (reader.Next(&entry)) {
    FUZZ_CHECK(entry.path().empty() || ValidateRelativePath(entry.path()).ok());
    FUZZ_CHECK(first || PathBefore(previous, entry.path()));
    first = false;
    previous = entry.path();
    copy->Add(entry);
  }
  if (reader.status().ok()) return true;
  FUZZ_CHECK(absl::IsDataLoss(reader.status()));
  return false;
}

void FuzzManifest(absl::string_view bytes) {
  absl::StatusOr<ManifestReader> reader = ManifestReader::Open(bytes);
  if (!reader.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(reader.status()));
    return;
  }
  FUZZ_CHECK(ValidateRelativePath(reader->release_path()).ok());
  ManifestWriter writer;
  if (!ReadAll(*reader, &writer)) return;
  // Written again entry by entry, it reads back the same.
  const uint64_t entries = writer.entries();
  const std::string again = writer.Finish(reader->release_path(), reader->run_id()).record();
  absl::StatusOr<ManifestReader> reread = ManifestReader::Open(again);
  FUZZ_CHECK(reread.ok());
  ManifestWriter twice;
  FUZZ_CHECK(ReadAll(*reread, &twice));
  FUZZ_CHECK(twice.entries() == entries);
  FUZZ_CHECK(twice.Finish(reader->release_path(), reader->run_id()).record() == again);

  // Against itself nothing changed; from an empty release, all is added.
  reader->Rewind();
  reread->Rewind();
  absl::StatusOr<std::vector<Change>> same = DiffManifests(*reader, *reread);
  FUZZ_CHECK(same.ok() && same->empty());
  const std::string empty = ManifestWriter().Finish(reader->release_path(), reader->run_id()).record();
  absl::StatusOr<ManifestReader> nothing = ManifestReader::Open(empty);
  FUZZ_CHECK(nothing.ok());
  reader->Rewind();
  absl::StatusOr<std::vector<Change>> from_nothing = DiffManifests(*nothing, *reader);
  FUZZ_CHECK(from_nothing.ok());
  for (const Change& change : *from_nothing) FUZZ_CHECK(change.kind == Change::kAdded);
}

}  // namespace
}  // namespace persist

namespace {

// A proto3 string field with invalid UTF-8 fails to parse, as it should, and
// protobuf logs an ERROR line each time: the status says it already, and a
// million such lines would bury a finding. FATAL is still printed.
void FatalOnly(google::protobuf::LogLevel level, const char* file, int line,
               const std::string& message) {
  if (level < google::protobuf::LOGLEVEL_FATAL) return;
  std::fprintf(stderr, "[libprotobuf FATAL %s:%d] %s\n", file, line, message.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static google::protobuf::LogHandler* const previous = google::protobuf::SetLogHandler(&FatalOnly);
  (void)previous;
  if (size == 0) return 0;
  const absl::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      persist::FuzzRun(bytes);
      break;
    case 1:
      persist::FuzzOpRecord(bytes);
      break;
    default:
      persist::FuzzManifest(bytes);
      break;
  }
  return 0;
}
