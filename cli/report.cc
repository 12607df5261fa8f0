// Copyright persist authors.

#include "cli/report.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "fsops/describe_op.h"
#include "fsops/digest.h"
#include "fsops/path.h"
#include "google/protobuf/util/json_util.h"

namespace persist {

std::string FormatNs(int64_t ns) {
  if (ns == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixNanos(ns), absl::UTCTimeZone());
}

std::string DescribeRun(const Run& run) {
  return absl::StrCat("run ", run.id(), ": ", run.kind(),
                      run.release().empty() ? "" : " of release " + run.release(), ", ",
                      run.op_count(), " op", run.op_count() == 1 ? "" : "s", ", committed ",
                      FormatNs(run.end_ns()), " by ", run.user(), "@", run.host());
}

namespace {

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

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code
// points past U+10FFFF).
bool IsUtf8(const std::string& text) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    int extra = 0;
    uint32_t min = 0, code = 0;
    if (c < 0x80) {
      ++p;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1, min = 0x80, code = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2, min = 0x800, code = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3, min = 0x10000, code = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
      code = (code << 6) | (p[i] & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    p += extra + 1;
  }
  return true;
}

// JSON strings are Unicode: a name that is not UTF-8 (a file name can be any
// bytes) is printed escaped, as PrintablePath prints it, rather than having
// its invalid bytes dropped without a trace.
void EscapeNonUtf8(google::protobuf::Message* message) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* reflection = message->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  for (const FieldDescriptor* field : fields) {
    const bool text = field->type() == FieldDescriptor::TYPE_STRING;
    const bool nested = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (!text && !nested) continue;
    const int n = field->is_repeated() ? reflection->FieldSize(*message, field) : 1;
    for (int i = 0; i < n; ++i) {
      if (nested) {
        EscapeNonUtf8(field->is_repeated() ? reflection->MutableRepeatedMessage(message, field, i)
                                           : reflection->MutableMessage(message, field));
        continue;
      }
      const std::string value = field->is_repeated() ? reflection->GetRepeatedString(*message, field, i)
                                                     : reflection->GetString(*message, field);
      if (IsUtf8(value)) continue;
      if (field->is_repeated()) {
        reflection->SetRepeatedString(message, field, i, PrintablePath(value));
      } else {
        reflection->SetString(message, field, PrintablePath(value));
      }
    }
  }
}

std::string ToJson(const google::protobuf::Message& message) {
  std::unique_ptr<google::protobuf::Message> copy(message.New());
  copy->CopyFrom(message);
  EscapeNonUtf8(copy.get());
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(*copy, &json, options);
  return json;
}

}  // namespace

std::string RunJson(const Run& run) { return ToJson(run); }

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = bytes / 1024.0;
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < sizeof(units) / sizeof(units[0])) {
    value /= 1024.0;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", value, units[unit]);
}

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
    absl::StrAppendFormat(&out, "%-20s %-9s %-24s %-18s %5u  %-23s %s@%s", run.id(), run.kind(),
                          RunStateText(run, live), run.release().empty() ? "-" : run.release(),
                          run.op_count(), FormatNs(run.start_ns()), run.user(), run.host());
    // Last, and only where there is one: a line without a fleet run reads
    // as before fleets existed.
    if (!run.fleet_run().empty()) absl::StrAppend(&out, "  fleet run ", run.fleet_run());
    absl::StrAppend(&out, "\n");
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
  if (!run.fleet_run().empty()) absl::StrAppend(&out, "  fleet run ", run.fleet_run(), "\n");
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
  for (const HealthCheck& check : run.health()) {
    absl::StrAppend(&out, "  health check ", check.url(), " (release ",
                    check.release().empty() ? "none" : check.release(),
                    "): ", check.passed() ? "passed" : "failed: " + check.failure());
    if (check.status() > 0) absl::StrAppend(&out, ", status ", check.status());
    absl::StrAppend(&out, " (", check.attempts(), check.attempts() == 1 ? " attempt" : " attempts",
                    ")\n");
    if (check.passed()) continue;
    for (absl::string_view line : absl::StrSplit(check.body_head(), '\n', absl::SkipEmpty())) {
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

std::string JsonDocument(absl::string_view fields) {
  return absl::StrCat("{\"version\": ", kJsonFormatVersion, fields.empty() ? "" : ", ", fields,
                      "}\n");
}

namespace {

// The "runs" field: each run as RunJson prints it.
std::string RunsField(const std::vector<Run>& runs) {
  std::vector<std::string> items;
  for (const Run& run : runs) items.push_back(RunJson(run));
  return absl::StrCat("\"runs\": [", absl::StrJoin(items, ", "), "]");
}

}  // namespace

std::string RunsJson(const std::vector<Run>& runs, const std::vector<std::string>& notes) {
  return JsonDocument(absl::StrCat(
      RunsField(runs), notes.empty() ? "" : absl::StrCat(", \"notes\": ", JsonStrings(notes))));
}

std::string RunLogJson(const std::vector<Run>& runs, const std::string& current) {
  return JsonDocument(absl::StrCat(RunsField(runs), ", \"current\": ", JsonString(current)));
}

std::string RunDetailJson(const Run& run, const std::vector<OpRecord>& ops) {
  std::vector<std::string> items;
  for (const OpRecord& op : ops) items.push_back(ToJson(op));
  return JsonDocument(
      absl::StrCat("\"run\": ", ToJson(run), ", \"ops\": [", absl::StrJoin(items, ", "), "]"));
}

namespace {

// The rows as a JSON array of {"path", "class", "rule"[, "conflict"]}.
std::string ClassificationArray(const std::vector<Classification>& rows) {
  std::vector<std::string> items;
  for (const Classification& row : rows) {
    items.push_back(absl::StrCat("{\"path\": ", JsonString(row.path), ", \"class\": \"",
                                 PathClassName(row.cls), "\", \"rule\": ", JsonString(row.rule),
                                 row.conflict.empty() ? "" : ", \"conflict\": " + JsonString(row.conflict),
                                 "}"));
  }
  return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
}

}  // namespace

std::string ClassificationJson(const std::vector<Classification>& rows) {
  return JsonDocument(absl::StrCat("\"paths\": ", ClassificationArray(rows)));
}

std::string JsonStrings(const std::vector<std::string>& texts) {
  std::vector<std::string> items;
  for (const std::string& text : texts) items.push_back(JsonString(text));
  return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
}

std::string DryRunJson(const DeployPlan& planned) {
  std::vector<std::string> ops;
  for (const Op& op : planned.plan.op()) ops.push_back(DescribeOp(op));
  std::string out =
      absl::StrCat("\"release\": ", JsonString(planned.release_id),
                   ", \"first\": ", planned.first ? "true" : "false",
                   ", \"paths\": ", ClassificationArray(planned.classification),
                   ", \"ops\": ", JsonStrings(ops), ", \"notes\": ", JsonStrings(planned.notes));
  if (planned.vendor.has_value()) {
    const VendorComparison& vendor = *planned.vendor;
    absl::StrAppend(&out, ", \"vendor\": {\"unchanged\": ", vendor.unchanged,
                    ", \"modified\": ", JsonStrings(vendor.modified),
                    ", \"unknown\": ", JsonStrings(vendor.unknown),
                    ", \"missing\": ", JsonStrings(vendor.missing), "}");
  }
  return JsonDocument(out);
}

std::string ComposeVolumes(const std::vector<Classification>& roots,
                           const std::string& container_dir) {
  std::string out =
      "    # persist classify --volumes: the paths persist keeps in shared/, bound from the\n"
      "    # host's ./shared/ so that they stay out of the image; make each before `up`\n"
      "    # (a missing source of a bind mount is an error for a file such as .env).\n"
      "    volumes:\n";
  for (const Classification& root : roots) {
    absl::StrAppend(
        &out, "      - type: bind\n        source: ", JsonString(JoinPath("./shared", root.path)),
        "\n        target: ", JsonString(JoinPath(container_dir, root.path)), "\n");
  }
  return out;
}

std::string ClassificationTable(const std::vector<Classification>& rows) {
  std::string out;
  for (const Classification& row : rows) {
    absl::StrAppend(&out, absl::StrFormat("%-8s %-32s %s", PathClassName(row.cls),
                                          PrintablePath(row.path) + (row.is_dir ? "/" : ""), row.rule));
    if (!row.conflict.empty()) absl::StrAppend(&out, "  [overrules ", row.conflict, "]");
    absl::StrAppend(&out, "\n");
  }
  return out;
}

std::string ProblemLines(const std::vector<Problem>& problems) {
  std::string out;
  for (const Problem& p : problems) {
    absl::StrAppend(
        &out, "problem: ", PrintablePath(p.path), ": ", p.what, "\n  fix: ",
        p.repair.empty() ? p.fix : absl::StrCat("persist repair (by hand: ", p.fix, ")"), "\n");
  }
  return out;
}

std::string ChangesJson(const std::vector<Change>& changes) {
  std::vector<std::string> items;
  for (const Change& change : changes) {
    items.push_back(absl::StrCat("{\"path\": ", JsonString(change.path), ", \"change\": \"",
                                 ChangeName(change.kind), "\"}"));
  }
  return JsonDocument(absl::StrCat("\"changes\": [", absl::StrJoin(items, ", "), "]"));
}

}  // namespace persist
