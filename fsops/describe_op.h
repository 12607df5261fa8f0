// Copyright persist authors.
//
// describe_op: ops and their choices in words, for logs, messages and the
// command line's listings. Pure: it looks at nothing but its argument.

#ifndef PERSIST_FSOPS_DESCRIBE_OP_H_
#define PERSIST_FSOPS_DESCRIBE_OP_H_

#include <string>

#include "proto/journal.pb.h"

namespace persist {

// One line, e.g. "copy incoming/v2 -> releases/r2".
std::string DescribeOp(const Op& op);

// "absent", "file", "directory", "symlink" or "other".
const char* FileTypeName(FileType type);

// "off", "auto", "reflink", "hardlink": how files unchanged since the previous
// release are made (journal.proto's DedupeMode); an unknown mode is "off".
const char* DedupeName(DedupeMode dedupe);

}  // namespace persist

#endif  // PERSIST_FSOPS_DESCRIBE_OP_H_
