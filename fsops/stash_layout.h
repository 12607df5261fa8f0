// Copyright persist authors.
//
// stash_layout: where a run keeps what its ops replace or remove.
//
// Ops never delete what they replace or remove: they move it into the run's
// stash, from where undo puts it back, until the run leaves the undo window
// and the stash is purged. Paths are relative to the site root:
//
//   .persist/stash/                          kStashRoot
//     <run>/                                 RunStashDir(run)
//       <index>/                             StashDir(run, index): one op's stash;
//                                            made before the op touches anything,
//                                            it marks that the op began (ops.h)
//         old                                kOldSlot: what the op replaced or removed
//         src                                kSrcSlot: a move's source, when the move
//                                            across filesystems became a copy
//         <slot>.elsewhere                   ElsewherePointerName(slot): the slot is on
//                                            another filesystem; the file holds the
//                                            root-relative directory that has it
//   <top>/.persist-stash/<run>/<index>/<slot>
//                                            ElsewhereStashDir(top, run, index): a slot
//                                            whose object is on another filesystem
//                                            than .persist/ (shared/ on a mount of its
//                                            own), <top> being the site's highest
//                                            directory on that filesystem
//
// Ops (ops.cc) make this layout; recovery, the stash purge and the commands
// that read a stash (restore, the purge guard) find things in it through
// these names only.

#ifndef PERSIST_FSOPS_STASH_LAYOUT_H_
#define PERSIST_FSOPS_STASH_LAYOUT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace persist {

// Every run's stash, beneath the state directory .persist.
inline constexpr char kStashRoot[] = ".persist/stash";

// The slots of one op's stash.
inline constexpr char kOldSlot[] = "old";
inline constexpr char kSrcSlot[] = "src";

// The directory, in <top>, that holds the slots stashed on <top>'s filesystem.
inline constexpr char kElsewhereStashName[] = ".persist-stash";

// The directory, in <top>, that holds what an undo rescued on <top>'s
// filesystem, where it could not be renamed into .persist/rescued/ (ops.h
// Rescue): <top>/.persist-rescued/<run>/<path>. Never purged: it is data
// that was on the site.
inline constexpr char kElsewhereRescuedName[] = ".persist-rescued";

// .persist/stash/<run_id>
std::string RunStashDir(const std::string& run_id);

// .persist/stash/<run_id>/<index>: the stash of op `index` of the run.
std::string StashDir(const std::string& run_id, uint32_t index);

// .persist/stash/<run_id>/<index>/<slot>
std::string StashSlot(const std::string& run_id, uint32_t index, const std::string& slot);

// <slot>.elsewhere: the name, beside where `slot` would be, of the pointer
// to the directory on another filesystem that holds it.
std::string ElsewherePointerName(const std::string& slot);

// True when `name`, an entry of a StashDir, is such a pointer.
bool IsElsewherePointerName(absl::string_view name);

// <top>/.persist-stash/<run_id>/<index>: what an ElsewherePointerName file
// holds. `top` is "" for the site root itself.
std::string ElsewhereStashDir(const std::string& top, const std::string& run_id, uint32_t index);

// <top>/.persist-stash/<run_id>, the run's part of it, from an
// ElsewhereStashDir (as a pointer holds it).
std::string ElsewhereRunStashDir(const std::string& elsewhere_stash_dir);

}  // namespace persist

#endif  // PERSIST_FSOPS_STASH_LAYOUT_H_
