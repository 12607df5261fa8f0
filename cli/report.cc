// Copyright persist authors.

#include "cli/report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "fsops/ops.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "google/protobuf/util/json_util.h"

namespace persist {
namespace {

std::string FormatNs(int64_t ns) {
  if (ns == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixNanos(ns), absl::UTCTimeZone());
}

std::string FormatState(const PathState& state) {
  switch (state.type()) {
    case ABSENT:
      return "absent";
    case REGULAR: {
      std::string text = absl::StrFormat("file %04o %u bytes", state.mode(), state.size());
      if (!state.digest().empty()) {
        absl::StrAppend(&text, " sha256:", HexDigest(state.digest()).substr(0, 12));
      }
      return text;
    }
    case DIRECTORY:
      return absl::StrFormat("directory %04o", state.mode());
    case SYMLINK:
      return "symlink -> " + PrintablePath(state.link_target());
    default:
      return FileTypeName(state.type());
  }
}

const char* OpStatusText(OpStatus status) {
  switch (status) {
    case OP_INTENDED:
      return "intended";
    case OP_APPLIED:
      return "applied";
    case OP_UNDONE:
      return "undone";
    default:
      return "unknown";
  }
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

}  // namespace

std::string RunStateText(const Run& run, bool live) {
  switch (run.state()) {
    case RUN_APPLYING:
      return live ? "running" : "interrupted (applying)";
    case RUN_COMMITTED:
      return run.stash_purged() ? "committed (beyond undo)" : "committed";
    case RUN_FAILED:
      return "failed (undone)";
    case RUN_UNDOING:
      return live ? "undoing" : "interrupted (undoing)";
    case RUN_UNDONE:
      return run.undo_reason() == "recover" ? "recovered (undone)" : "undone";
    default:
      return "unknown";
  }
}

std::string FormatRunTable(const std::vector<Run>& runs, bool live) {
  if (runs.empty()) return "no runs yet\n";
  std::string out = absl::StrFormat("%-20s %-9s %-24s %-18s %5s  %-23s %s\n", "RUN", "KIND",
                                    "STATE", "RELEASE", "OPS", "STARTED", "BY");
  for (const Run& run : runs) {
    absl::StrAppendFormat(&out, "%-20s %-9s %-24s %-18s %5u  %-23s %s@%s\n", run.id(), run.kind(),
                          RunStateText(run, live), run.release().empty() ? "-" : run.release(),
                          run.op_count(), FormatNs(run.start_ns()), run.user(), run.host());
  }
  return out;
}

std::string FormatRunDetail(const Run& run, const std::vector<OpRecord>& ops) {
  std::string out = absl::StrFormat("run %s (%s): %s\n", run.id(), run.kind(), RunStateText(run));
  absl::StrAppendFormat(&out, "  started %s by %s@%s (pid %d), ended %s", FormatNs(run.start_ns()),
                        run.user(), run.host(), run.pid(), FormatNs(run.end_ns()));
  if (run.state() == RUN_COMMITTED || run.state() == RUN_FAILED || run.end_ns() != 0) {
    absl::StrAppend(&out, ", exit ", run.exit_code());
  }
  absl::StrAppend(&out, "\n");
  if (!run.release().empty()) absl::StrAppend(&out, "  release ", run.release(), "\n");
  if (!run.error().empty()) absl::StrAppend(&out, "  error: ", run.error(), "\n");
  if (!run.undo_reason().empty()) {
    absl::StrAppendFormat(&out, "  undo: %s, %s to %s\n", run.undo_reason(),
                          FormatNs(run.undo_start_ns()), FormatNs(run.undo_end_ns()));
  }
  for (const std::string& path : run.rescued()) {
    absl::StrAppend(&out, "  rescued: ", PrintablePath(path), "\n");
  }
  for (const HookResult& hook : run.hooks()) {
    absl::StrAppend(&out, "  hook (", hook.phase(), ") `", hook.command(), "`: exit ", hook.exit_code(), "\n");
    for (absl::string_view line : absl::StrSplit(hook.output(), '\n', absl::SkipEmpty())) {
      absl::StrAppend(&out, "    | ", line, "\n");
    }
  }
  for (const OpRecord& op : ops) {
    absl::StrAppendFormat(&out, "  [%u] %s: %s\n", op.index() + 1, DescribeOp(op.op()),
                          OpStatusText(op.status()));
    for (int i = 0; i < op.before_size(); ++i) {
      absl::StrAppend(&out, "      ", PrintablePath(op.before(i).path()), ": ",
                      FormatState(op.before(i)));
      if (i < op.after_size()) absl::StrAppend(&out, "  =>  ", FormatState(op.after(i)));
      absl::StrAppend(&out, "\n");
    }
  }
  return out;
}

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out + "\"";
}

std::string RunsJson(const std::vector<Run>& runs) {
  std::vector<std::string> items;
  for (const Run& run : runs) items.push_back(ToJson(run));
  return absl::StrCat("{\"runs\": [", absl::StrJoin(items, ", "), "]}\n");
}

std::string RunDetailJson(const Run& run, const std::vector<OpRecord>& ops) {
  std::vector<std::string> items;
  for (const OpRecord& op : ops) items.push_back(ToJson(op));
  return absl::StrCat("{\"run\": ", ToJson(run), ", \"ops\": [", absl::StrJoin(items, ", "), "]}\n");
}

}  // namespace persist
