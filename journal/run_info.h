// Copyright persist authors.
//
// run_info: facts about the running process recorded with every run.

#ifndef PERSIST_JOURNAL_RUN_INFO_H_
#define PERSIST_JOURNAL_RUN_INFO_H_

#include <cstdint>
#include <string>

namespace persist {

// Nanoseconds since the Unix epoch.
int64_t NowNs();
// The effective user's name, or "uid N".
std::string UserName();
std::string HostName();

}  // namespace persist

#endif  // PERSIST_JOURNAL_RUN_INFO_H_
