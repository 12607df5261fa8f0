// Copyright persist authors.
//
// special_files: finding the fifos, sockets and device nodes in a release
// before a deploy touches anything.
//
// persist copies files, directories and symlinks only (tree.h). A release
// holding anything else would fail halfway through its copy, naming only the
// first such path; the deploy planner looks first and refuses the release
// whole, naming every one, with nothing touched.

#ifndef PERSIST_PLANNER_SPECIAL_FILES_H_
#define PERSIST_PLANNER_SPECIAL_FILES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/env.h"

namespace persist {

struct SpecialFile {
  std::string path;  // relative to the scanned directory
  const char* kind;  // "fifo", "socket", "character device", "block device"
};

// Every fifo, socket and device node beneath the absolute directory `dir`,
// sorted by path. Symlinks are not followed. Errors name the path that could
// not be read.
absl::StatusOr<std::vector<SpecialFile>> FindSpecialFiles(Env* env, const std::string& dir);

// InvalidArgument naming every special file beneath the release `dir` (the
// first twenty, and how many more) and the next step; OK when there is none.
absl::Status RefuseSpecialFiles(Env* env, const std::string& dir);

}  // namespace persist

#endif  // PERSIST_PLANNER_SPECIAL_FILES_H_
