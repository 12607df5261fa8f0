// Copyright persist authors.
//
// op_context: builds the fsops OpContext for one journaled op, wiring
// record_swap to a durable journal write of the op's record.

#ifndef PERSIST_JOURNAL_OP_CONTEXT_H_
#define PERSIST_JOURNAL_OP_CONTEXT_H_

#include "fsops/ops.h"
#include "journal/site.h"
#include "proto/journal.pb.h"

namespace persist {

// `record` must outlive the returned context; record_swap updates it and
// writes it to the journal.
OpContext ContextForRecord(Site& site, OpRecord* record);

}  // namespace persist

#endif  // PERSIST_JOURNAL_OP_CONTEXT_H_
