// Copyright persist authors.

#include "journal/record_codec.h"

#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fsops/ops.h"
#include "fsops/path.h"
#include "journal/record_wire.h"

namespace persist {
namespace {

absl::Status Garbled(absl::string_view why) {
  return absl::DataLossError(why);
}

// ParseFromArray takes an int size; a larger value cannot be a record
// persist wrote, and must not wrap to a negative size.
template <typename Message>
absl::Status ParseRecord(absl::string_view bytes, absl::string_view kind, Message* message) {
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Garbled(absl::StrCat("a ", kind, " record of ", bytes.size(), " bytes"));
  }
  if (!DecodeRecord(bytes.data(), bytes.size(), message)) {
    return Garbled(absl::StrCat("not a ", kind, " record"));
  }
  return absl::OkStatus();
}

absl::Status CheckStates(const google::protobuf::RepeatedPtrField<PathState>& states,
                         absl::string_view which) {
  for (const PathState& state : states) {
    if (!KnownFileType(state.type())) {
      return Garbled(absl::StrCat("a ", which, "-state of ", PrintablePath(state.path()),
                                  " has file type ", static_cast<int>(state.type())));
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool KnownFileType(FileType type) { return type != FILE_TYPE_UNSPECIFIED && FileType_IsValid(type); }

absl::Status ValidateRunId(absl::string_view id) { return ValidateId(id, "run id"); }

absl::StatusOr<Run> DecodeRun(absl::string_view bytes) {
  Run run;
  absl::Status status = ParseRecord(bytes, "run", &run);
  if (!status.ok()) return status;
  status = ValidateRunId(run.id());
  if (!status.ok()) return Garbled(status.message());
  if (!RunState_IsValid(run.state()) || run.state() == RUN_STATE_UNSPECIFIED) {
    return Garbled(absl::StrCat("run ", run.id(), " has state ", static_cast<int>(run.state())));
  }
  return run;
}

absl::StatusOr<OpRecord> DecodeOpRecord(absl::string_view bytes) {
  OpRecord record;
  absl::Status status = ParseRecord(bytes, "op", &record);
  if (!status.ok()) return status;
  status = ValidateRunId(record.run_id());
  if (!status.ok()) return Garbled(status.message());
  // Undo and recovery act on the op as recorded: it must be one that a plan
  // could have held.
  status = ValidateOp(record.op());
  if (!status.ok()) return Garbled(status.message());
  // OpContext::before is indexed by OpPaths() without a bounds check.
  const size_t paths = OpPaths(record.op()).size();
  if (static_cast<size_t>(record.before_size()) != paths) {
    return Garbled(absl::StrCat(DescribeOp(record.op()), " has ", record.before_size(),
                                " before-states for ", paths, " paths"));
  }
  if (record.after_size() != 0 && static_cast<size_t>(record.after_size()) != paths) {
    return Garbled(absl::StrCat(DescribeOp(record.op()), " has ", record.after_size(),
                                " after-states for ", paths, " paths"));
  }
  status = CheckStates(record.before(), "before");
  if (status.ok()) status = CheckStates(record.after(), "after");
  if (!status.ok()) return status;
  if (!OpStatus_IsValid(record.status()) || record.status() == OP_STATUS_UNSPECIFIED) {
    return Garbled(absl::StrCat(DescribeOp(record.op()), " has status ",
                                static_cast<int>(record.status())));
  }
  return record;
}

}  // namespace persist
