// Copyright persist authors.
//
// archive: a tree as a tar archive and back (persist backup and restore),
// with libarchive, through an Env.
//
// WriteArchive reads the tree fd-relative, never following a symlink, and
// writes it in pax interchange format: every mtime to the nanosecond, modes
// (07777), symlinks stored as symlinks with their targets, directories with
// their modes, names of any bytes (newlines, invalid UTF-8). Not restricted
// pax: libarchive's restricted pax writes an extended header only for an
// entry that needs one for another reason, so an ordinary file would lose
// the sub-second part of its mtime. Members are named `top`, `top/a`,
// `top/a/b` ..., sorted, so that the same tree gives the same archive.
//
// ExtractArchive recreates an archive's members beneath a directory through
// the Env (libarchive only decodes): every name is checked before anything
// is created (no absolute path, no "..", nothing outside `top`), parents are
// opened component by component with O_NOFOLLOW, so a member can never be
// written through a symlink that an earlier member planted, and files are
// created with O_EXCL, so none is written twice. Directories get their final
// mode and mtime once everything in them is in place (a 0555 directory must
// still take its entries, and adding them changes its mtime).
//
// Neither function syncs: the caller decides what must be durable.

#ifndef PERSIST_FSOPS_ARCHIVE_H_
#define PERSIST_FSOPS_ARCHIVE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/env.h"
#include "fsops/tree.h"

namespace persist {

struct ArchiveCounts {
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t symlinks = 0;
  uint64_t bytes = 0;  // content of regular files
  // WriteArchive: paths (as `tree.path` + relative path) of the fifos,
  // sockets and devices it left out; a tar member cannot hold them usefully.
  std::vector<std::string> skipped;
};

// Writes `tree` (a directory, file or symlink, not followed) and everything
// beneath it to `out_fd` as a pax archive with members named `top`,
// `top/...`. `out_path` names the archive in messages. A regular file is
// archived with the size it had when opened: a file that grows meanwhile (a
// log being appended to) is cut at that size; one that shrinks fails the
// archive (FailedPrecondition naming it: run the backup again).
absl::StatusOr<ArchiveCounts> WriteArchive(Env* env, const Entry& tree, const std::string& top,
                                           int out_fd, const std::string& out_path);

// Reads the archive from `in_fd` (`in_path` names it in messages; plain,
// or compressed with gzip, bzip2, xz or zstd) and recreates the member
// `top` as `into`, which must not exist, and every member beneath `top/` in
// it. A leading "./" on member names is accepted.
//
// InvalidArgument, naming the archive and the member, for input that is not
// a readable tar archive (garbled, truncated, another format), for a member
// whose name is absolute, holds "..", or lies outside `top`, for a hard
// link, fifo, socket or device member, for a member given twice, for a
// member beneath a symlink member, for a `top` that is not a directory, and
// for an archive holding nothing under `top` (an empty file included). A
// `top/...` member without its directories before it gets them, mode 0755.
// Errors of the Env (ENOSPC where `into` is) keep their code. On error, whatever
// was created beneath `into` stays for the caller to remove (RemoveTree).
absl::StatusOr<ArchiveCounts> ExtractArchive(Env* env, int in_fd, const std::string& in_path,
                                             const std::string& top, const Entry& into);

}  // namespace persist

#endif  // PERSIST_FSOPS_ARCHIVE_H_
