// Copyright persist authors.
//
// binary_record: .persist/persist-binary, the absolute path of the persist
// binary that last changed the site, one line. shared/health-check.sh and
// shared/emergency-recovery.sh fall back on it where persist is not on PATH
// (a shared host's ~/apps/persist, say). Best effort: a site whose record
// cannot be written works as well, the scripts then need persist on PATH.

#ifndef PERSIST_WORKFLOWS_BINARY_RECORD_H_
#define PERSIST_WORKFLOWS_BINARY_RECORD_H_

#include "journal/site.h"

namespace persist {

// Writes this process's binary path to .persist/persist-binary (mode 0644),
// unless it says so already.
void RecordPersistBinary(const Site& site);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_BINARY_RECORD_H_
