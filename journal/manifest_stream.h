// Copyright persist authors.
//
// manifest_stream: a release's manifest written and read one entry at a
// time, so that no command holds a whole release's entries in memory.
//
// A manifest record is the wire form of journal.proto's Manifest: its entries
// (field 3, in walk order, see path.h PathBefore) and its release path and
// run id. The writer appends each entry's wire form as the copy makes it and
// adds the two names last (protobuf takes fields in any order); the reader
// walks the record in place, decoding one entry at a time. A release of
// 100,000 files then costs its record's size (about 120 bytes a file), not
// 100,000 messages.

#ifndef PERSIST_JOURNAL_MANIFEST_STREAM_H_
#define PERSIST_JOURNAL_MANIFEST_STREAM_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "fsops/copy_tree.h"
#include "proto/journal.pb.h"

namespace persist {

// A manifest ready for the journal (Store::Batch): the wire form of a
// Manifest, in pieces laid end to end. A release of 100,000 files has a
// record of about 13 MB; grown as one string, its last reallocation would
// hold it three times over for a moment.
struct EncodedManifest {
  std::string release_path;
  std::vector<std::string> pieces;

  size_t size() const;
  // The pieces joined: the whole record.
  std::string record() const;
};

// Builds a manifest record from entries given in walk order. As a
// ManifestSink it takes a copy's entries straight from CopyTree.
class ManifestWriter : public ManifestSink {
 public:
  void Clear() override;
  void Add(const ManifestEntry& entry) override;

  uint64_t entries() const { return entries_; }

  // The record, with `release_path` and `run_id`; the writer is left empty.
  EncodedManifest Finish(const std::string& release_path, const std::string& run_id);

 private:
  // The piece with room for a field of `n` bytes.
  std::string* Room(size_t n);

  std::vector<std::string> pieces_;
  uint64_t entries_ = 0;
};

// The record of `manifest` (whose entries must be in walk order).
EncodedManifest EncodeManifest(const Manifest& manifest);

// Reads a manifest record in place, entry by entry. The bytes must outlive
// the reader. Every entry is checked as it is read: a valid relative path
// (or "" for the release directory itself), a known file type, and walk
// order after the one before; a record that fails is reported as damaged
// (DataLoss, naming the journal's recovery), never half used.
class ManifestReader : public ManifestSource {
 public:
  // Turns a finding ("entry 7 is out of walk order") into the error to
  // report: which record of which journal, and what to do.
  using DamageFn = std::function<absl::Status(const absl::Status& found)>;

  // Reads the release path and run id, and checks the record's framing.
  static absl::StatusOr<ManifestReader> Open(absl::string_view record,
                                             DamageFn damaged = nullptr);

  const std::string& release_path() const { return release_path_; }
  const std::string& run_id() const { return run_id_; }

  // The next entry into *entry; false at the end or on damage (status()).
  bool Next(ManifestEntry* entry) override;
  // OK unless Next found damage.
  absl::Status status() const override { return status_; }

  // Starts again from the first entry.
  void Rewind();

 private:
  ManifestReader(absl::string_view record, DamageFn damaged)
      : record_(record), damaged_(std::move(damaged)) {}
  absl::Status Damaged(const std::string& why) const;

  absl::string_view record_;
  DamageFn damaged_;
  size_t pos_ = 0;
  std::string release_path_, run_id_;
  std::string previous_path_;
  bool first_ = true;
  absl::Status status_;
};

// Every entry of a record, for the small manifests of tests and tools.
absl::StatusOr<Manifest> DecodeManifest(absl::string_view record);

}  // namespace persist

#endif  // PERSIST_JOURNAL_MANIFEST_STREAM_H_
