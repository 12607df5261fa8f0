// Copyright persist authors.

#include "fsops/stash_layout.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "fsops/path.h"

namespace persist {
namespace {

constexpr char kPointerSuffix[] = ".elsewhere";

}  // namespace

std::string RunStashDir(const std::string& run_id) { return absl::StrCat(kStashRoot, "/", run_id); }

std::string StashDir(const std::string& run_id, uint32_t index) {
  return absl::StrCat(kStashRoot, "/", run_id, "/", index);
}

std::string StashSlot(const std::string& run_id, uint32_t index, const std::string& slot) {
  return JoinPath(StashDir(run_id, index), slot);
}

std::string ElsewherePointerName(const std::string& slot) { return slot + kPointerSuffix; }

bool IsElsewherePointerName(absl::string_view name) {
  return name.size() > sizeof(kPointerSuffix) - 1 && absl::EndsWith(name, kPointerSuffix);
}

std::string ElsewhereStashDir(const std::string& top, const std::string& run_id, uint32_t index) {
  return JoinPath(JoinPath(top, kElsewhereStashName), absl::StrCat(run_id, "/", index));
}

std::string ElsewhereRunStashDir(const std::string& elsewhere_stash_dir) {
  return SplitParent(elsewhere_stash_dir).first;
}

}  // namespace persist
