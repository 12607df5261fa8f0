// Copyright persist authors.
//
// format: the version of the journal's on-disk format.
//
// The format is the LMDB environment at ROOT/.persist/journal/: its three
// databases (runs, ops, manifests), their keys (journal/store.h) and the
// protobuf records in them (proto/journal.proto, journal/record_codec.h).
// Version 1 is the format every persist so far has written. Raise the number
// when a change would make an older persist misread a journal (a new field
// that older versions skip does not).
//
// `persist --version` prints it. The journal does not record it yet, so
// nothing compares it when a journal is opened.

#ifndef PERSIST_JOURNAL_FORMAT_H_
#define PERSIST_JOURNAL_FORMAT_H_

namespace persist {

inline constexpr int kJournalFormatVersion = 1;

}  // namespace persist

#endif  // PERSIST_JOURNAL_FORMAT_H_
