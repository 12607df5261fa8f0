// Copyright persist authors.

#include "journal/manifest_stream.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "fsops/path.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "journal/record_codec.h"
#include "journal/record_wire.h"

namespace persist {
namespace {

using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;
using google::protobuf::internal::WireFormatLite;

// The tag of a length-delimited field of Manifest.
uint32_t LengthTag(int field) {
  return WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
}

// A piece of a record grows to this size, then the next begins: under
// malloc's mmap threshold (128 KiB), so that pieces reuse freed heap.
constexpr size_t kPieceSize = 64 << 10;

void AppendField(int field, absl::string_view bytes, std::string* out) {
  uint8_t head[10];
  uint8_t* end = CodedOutputStream::WriteVarint32ToArray(LengthTag(field), head);
  end = CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(bytes.size()), end);
  out->append(reinterpret_cast<const char*>(head), end - head);
  out->append(bytes.data(), bytes.size());
}

// One top-level field of a record: its number, and for a length-delimited
// one its bytes.
struct Field {
  int number = 0;
  bool length_delimited = false;
  absl::string_view bytes;
};

// Reads the field at *pos of `record` and moves *pos past it. False at the
// end (with *pos == size) or when the bytes are not a field (*pos < size).
bool ReadField(absl::string_view record, size_t* pos, Field* field) {
  if (*pos >= record.size()) return false;
  const absl::string_view rest = record.substr(*pos);
  CodedInputStream in(reinterpret_cast<const uint8_t*>(rest.data()), static_cast<int>(rest.size()));
  const uint32_t tag = in.ReadTag();
  if (tag == 0) return false;
  field->number = static_cast<int>(WireFormatLite::GetTagFieldNumber(tag));
  field->length_delimited =
      WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
  if (field->length_delimited) {
    uint32_t length = 0;
    if (!in.ReadVarint32(&length)) return false;
    const size_t start = static_cast<size_t>(in.CurrentPosition());
    if (length > rest.size() - start) return false;
    field->bytes = rest.substr(start, length);
    *pos += start + length;
    return true;
  }
  // A field of another kind: a newer persist's, kept by skipping it.
  if (!WireFormatLite::SkipField(&in, tag)) return false;
  field->bytes = absl::string_view();
  *pos += static_cast<size_t>(in.CurrentPosition());
  return true;
}

}  // namespace

size_t EncodedManifest::size() const {
  size_t total = 0;
  for (const std::string& piece : pieces) total += piece.size();
  return total;
}

std::string EncodedManifest::record() const {
  std::string out;
  out.reserve(size());
  for (const std::string& piece : pieces) out += piece;
  return out;
}

void ManifestWriter::Clear() {
  pieces_.clear();
  entries_ = 0;
}

std::string* ManifestWriter::Room(size_t n) {
  // A field's tag and length take at most 10 bytes.
  if (pieces_.empty() || pieces_.back().size() + n + 10 > kPieceSize) {
    pieces_.emplace_back();
    pieces_.back().reserve(std::max(n + 10, kPieceSize));
  }
  return &pieces_.back();
}

void ManifestWriter::Add(const ManifestEntry& entry) {
  const std::string wire = EncodeRecord(entry);
  AppendField(Manifest::kEntryFieldNumber, wire, Room(wire.size()));
  ++entries_;
}

EncodedManifest ManifestWriter::Finish(const std::string& release_path, const std::string& run_id) {
  AppendField(Manifest::kReleasePathFieldNumber, release_path, Room(release_path.size()));
  AppendField(Manifest::kRunIdFieldNumber, run_id, Room(run_id.size()));
  EncodedManifest out;
  out.release_path = release_path;
  out.pieces = std::move(pieces_);
  Clear();
  return out;
}

EncodedManifest EncodeManifest(const Manifest& manifest) {
  ManifestWriter writer;
  for (const ManifestEntry& entry : manifest.entry()) writer.Add(entry);
  return writer.Finish(manifest.release_path(), manifest.run_id());
}

absl::Status ManifestReader::Damaged(const std::string& why) const {
  absl::Status found = absl::DataLossError(why);
  return damaged_ ? damaged_(found) : found;
}

absl::StatusOr<ManifestReader> ManifestReader::Open(absl::string_view record, DamageFn damaged) {
  ManifestReader reader(record, std::move(damaged));
  // ParseFromArray and CodedInputStream take int sizes.
  if (record.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return reader.Damaged(absl::StrCat("a manifest record of ", record.size(), " bytes"));
  }
  size_t pos = 0;
  Field field;
  while (ReadField(record, &pos, &field)) {
    if (!field.length_delimited) continue;
    if (field.number == Manifest::kReleasePathFieldNumber) reader.release_path_ = std::string(field.bytes);
    if (field.number == Manifest::kRunIdFieldNumber) reader.run_id_ = std::string(field.bytes);
  }
  if (pos != record.size()) return reader.Damaged("not a manifest record");
  absl::Status status = ValidateRelativePath(reader.release_path_);
  if (!status.ok()) return reader.Damaged(absl::StrCat("release ", status.message()));
  status = ValidateRunId(reader.run_id_);
  if (!status.ok()) return reader.Damaged(std::string(status.message()));
  return reader;
}

bool ManifestReader::Next(ManifestEntry* entry) {
  if (!status_.ok()) return false;
  Field field;
  while (ReadField(record_, &pos_, &field)) {
    if (field.number != Manifest::kEntryFieldNumber || !field.length_delimited) continue;
    if (!DecodeRecord(field.bytes.data(), field.bytes.size(), entry)) {
      status_ = Damaged(absl::StrCat("the entry after ", first_ ? "none" : PrintablePath(previous_path_),
                                     " is not a manifest entry"));
      return false;
    }
    if (!entry->path().empty()) {
      absl::Status valid = ValidateRelativePath(entry->path());
      if (!valid.ok()) {
        status_ = Damaged(absl::StrCat("manifest entry ", valid.message()));
        return false;
      }
    }
    if (!KnownFileType(entry->type())) {
      status_ = Damaged(absl::StrCat("manifest entry ", PrintablePath(entry->path()),
                                     " has file type ", static_cast<int>(entry->type())));
      return false;
    }
    // Strictly in walk order: no entry twice, and the merges of diff and
    // verify can rely on it.
    if (!first_ && !PathBefore(previous_path_, entry->path())) {
      status_ = Damaged(absl::StrCat("manifest entry ", PrintablePath(entry->path()),
                                     " comes after ", PrintablePath(previous_path_),
                                     ", out of walk order"));
      return false;
    }
    first_ = false;
    previous_path_ = entry->path();
    return true;
  }
  // Open walked the same bytes to the end; only an edit in between fails here.
  if (pos_ != record_.size()) status_ = Damaged("not a manifest record");
  return false;
}

void ManifestReader::Rewind() {
  pos_ = 0;
  first_ = true;
  previous_path_.clear();
  status_ = absl::OkStatus();
}

absl::StatusOr<Manifest> DecodeManifest(absl::string_view record) {
  absl::StatusOr<ManifestReader> reader = ManifestReader::Open(record);
  if (!reader.ok()) return reader.status();
  Manifest manifest;
  manifest.set_release_path(reader->release_path());
  manifest.set_run_id(reader->run_id());
  ManifestEntry entry;
  while (reader->Next(&entry)) *manifest.add_entry() = entry;
  if (!reader->status().ok()) return reader->status();
  return manifest;
}

}  // namespace persist
