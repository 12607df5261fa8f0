// Copyright persist authors.
//
// record_wire: journal records to and from bytes, with every byte of every
// name kept.
//
// Paths on Linux are bytes, not text. A release may hold a file whose name is
// not UTF-8, and its manifest, the ops that touch it and the paths an undo
// rescues must keep that name exactly. The records are proto3 messages whose
// names are `string` fields, and protobuf refuses to parse a string field
// holding invalid UTF-8: one such name would make a run, an op or a manifest
// unreadable, and with a run every command that lists the journal. Writing
// is not the problem (protobuf writes the bytes as they are, and only logs);
// a record the generated parser refuses is read again through a twin of its
// .proto file in which every string field is `bytes`: the same wire format,
// without the check.

#ifndef PERSIST_JOURNAL_RECORD_WIRE_H_
#define PERSIST_JOURNAL_RECORD_WIRE_H_

#include <cstddef>
#include <string>

#include "google/protobuf/message.h"

namespace persist {

// The wire form of `message` (SerializeAsString), without protobuf's log
// line for a string field that is not UTF-8.
std::string EncodeRecord(const google::protobuf::Message& message);

// Writes the wire form of `message` into `out`, which holds exactly
// message.ByteSizeLong() bytes (LMDB's reserved space), without the log line.
bool EncodeRecordTo(const google::protobuf::Message& message, void* out, size_t size);

// Parses `size` bytes into `message` (cleared first). False when they are not
// a record of that type.
bool DecodeRecord(const void* data, size_t size, google::protobuf::Message* message);

}  // namespace persist

#endif  // PERSIST_JOURNAL_RECORD_WIRE_H_
