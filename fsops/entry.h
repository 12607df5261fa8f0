// Copyright persist authors.

#ifndef PERSIST_FSOPS_ENTRY_H_
#define PERSIST_FSOPS_ENTRY_H_

#include <string>

namespace persist {

// A name in an open directory, with its root-relative path for messages.
struct Entry {
  int dir_fd;
  std::string name;
  std::string path;
};

}  // namespace persist

#endif  // PERSIST_FSOPS_ENTRY_H_
