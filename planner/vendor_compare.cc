// Copyright persist authors.

#include "planner/vendor_compare.h"

#include <algorithm>

#include "fsops/path.h"

namespace persist {
namespace {

class Comparer {
 public:
  Comparer(const SourceTree& live, const SourceTree& vendor,
           const std::vector<Classification>& persistent)
      : live_(live), vendor_(vendor), persistent_(persistent) {}

  // Walks the directory `rel`, present on both sides.
  absl::Status Both(const std::string& rel) {
    absl::StatusOr<std::vector<std::string>> names = live_.List(rel);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      const std::string path = JoinPath(rel, name);
      if (IsData(path)) continue;
      absl::StatusOr<PathState> here = live_.Observe(path, false);
      if (!here.ok()) return here.status();
      absl::StatusOr<PathState> shipped = vendor_.Observe(path, false);
      if (!shipped.ok()) return shipped.status();
      if (shipped->type() == ABSENT) {
        out_.unknown.push_back(here->type() == DIRECTORY ? path + "/" : path);
        continue;
      }
      if (here->type() == DIRECTORY && shipped->type() == DIRECTORY) {
        absl::Status status = Both(path);
        if (!status.ok()) return status;
        continue;
      }
      absl::StatusOr<bool> same = Same(path, *here, *shipped);
      if (!same.ok()) return same.status();
      if (*same) {
        ++out_.unchanged;
      } else {
        out_.modified.push_back(path);
      }
    }
    return absl::OkStatus();
  }

  // The vendor's paths beneath `rel` that the install lacks.
  absl::Status Missing(const std::string& rel) {
    absl::StatusOr<std::vector<std::string>> names = vendor_.List(rel);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      const std::string path = JoinPath(rel, name);
      if (IsData(path)) continue;
      absl::StatusOr<PathState> shipped = vendor_.Observe(path, false);
      if (!shipped.ok()) return shipped.status();
      absl::StatusOr<PathState> here = live_.Observe(path, false);
      if (!here.ok()) return here.status();
      if (here->type() == ABSENT) {
        out_.missing.push_back(shipped->type() == DIRECTORY ? path + "/" : path);
      } else if (here->type() == DIRECTORY && shipped->type() == DIRECTORY) {
        absl::Status status = Missing(path);
        if (!status.ok()) return status;
      }
    }
    return absl::OkStatus();
  }

  VendorComparison Result() {
    for (auto* list : {&out_.modified, &out_.unknown, &out_.missing}) {
      std::sort(list->begin(), list->end());
    }
    return out_;
  }

 private:
  bool IsData(const std::string& path) const {
    for (const Classification& row : persistent_) {
      if (IsWithin(path, row.path)) return true;
    }
    return false;
  }

  absl::StatusOr<bool> Same(const std::string& path, const PathState& here,
                            const PathState& shipped) {
    if (here.type() != shipped.type()) return false;
    if (here.type() == SYMLINK) return here.link_target() == shipped.link_target();
    if (here.type() != REGULAR) return true;
    if (here.size() != shipped.size()) return false;
    absl::StatusOr<PathState> a = live_.Observe(path, true);
    if (!a.ok()) return a.status();
    absl::StatusOr<PathState> b = vendor_.Observe(path, true);
    if (!b.ok()) return b.status();
    return a->digest() == b->digest();
  }

  const SourceTree& live_;
  const SourceTree& vendor_;
  const std::vector<Classification>& persistent_;
  VendorComparison out_;
};

}  // namespace

absl::StatusOr<VendorComparison> CompareWithVendor(const SourceTree& live, const SourceTree& vendor,
                                                   const std::vector<Classification>& persistent) {
  Comparer comparer(live, vendor, persistent);
  absl::Status status = comparer.Both("");
  if (status.ok()) status = comparer.Missing("");
  if (!status.ok()) return status;
  return comparer.Result();
}

}  // namespace persist
