// Copyright persist authors.

#include "journal/op_context.h"

namespace persist {

OpContext ContextForRecord(Site& site, OpRecord* record) {
  OpContext ctx;
  ctx.root = &site.root();
  ctx.run_id = record->run_id();
  ctx.index = record->index();
  ctx.before.assign(record->before().begin(), record->before().end());
  ctx.swap_recorded = record->swap_recorded();
  ctx.staged_dev = record->staged_dev();
  ctx.staged_inode = record->staged_inode();
  Store* store = &site.store();
  ctx.record_swap = [store, record](uint64_t dev, uint64_t inode) {
    record->set_swap_recorded(true);
    record->set_staged_dev(dev);
    record->set_staged_inode(inode);
    return store->PutOp(*record);
  };
  return ctx;
}

}  // namespace persist
