// Copyright persist authors.
//
// record_codec: turning the journal's stored bytes back into records.
//
// The journal is a file on disk: a bad sector, a full disk in an older
// version, or a hand edit can leave bytes that still parse as protobuf but
// break what the rest of persist takes for granted. Undo indexes an op's
// before-states by OpPaths(), the stash is found by joining a run id to
// .persist/stash/, and a manifest's paths are joined to the site root. So
// each Decode function parses AND checks those assumptions; a record that
// fails is DataLoss, never a crash or a path outside the site later on.

#ifndef PERSIST_JOURNAL_RECORD_CODEC_H_
#define PERSIST_JOURNAL_RECORD_CODEC_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/journal.pb.h"

namespace persist {

// OK when `id` can name a run's directory beneath .persist/stash/: the
// one id check of fsops/path.h (ValidateId), as a "run id".
absl::Status ValidateRunId(absl::string_view id);

// A Run: its id passes ValidateRunId and its state is a known RunState.
absl::StatusOr<Run> DecodeRun(absl::string_view bytes);

// An OpRecord: its run id passes ValidateRunId, its op passes ValidateOp,
// it holds one before-state per path of OpPaths(op), and either no
// after-states or one per path, and its status is a known OpStatus.
absl::StatusOr<OpRecord> DecodeOpRecord(absl::string_view bytes);

// A type a state was observed or predicted with: not FILE_TYPE_UNSPECIFIED,
// and not a value from outside the enum (proto3 keeps those).
bool KnownFileType(FileType type);

// Manifests are read entry by entry: manifest_stream.h.

}  // namespace persist

#endif  // PERSIST_JOURNAL_RECORD_CODEC_H_
