// Copyright persist authors.

#include "journal/record_wire.h"

#include <memory>
#include <mutex>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/stubs/logging.h"

namespace persist {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::DescriptorProto;
using google::protobuf::DynamicMessageFactory;
using google::protobuf::FieldDescriptor;
using google::protobuf::FieldDescriptorProto;
using google::protobuf::FileDescriptor;
using google::protobuf::FileDescriptorProto;
using google::protobuf::Message;
using google::protobuf::Reflection;

void StringsToBytes(DescriptorProto* message) {
  for (FieldDescriptorProto& field : *message->mutable_field()) {
    if (field.type() == FieldDescriptorProto::TYPE_STRING) field.set_type(FieldDescriptorProto::TYPE_BYTES);
  }
  for (DescriptorProto& nested : *message->mutable_nested_type()) StringsToBytes(&nested);
}

// The twins of the generated messages: one pool holding a copy of every
// .proto file asked for (and those it imports) with strings made bytes.
class Twins {
 public:
  static Twins& Get() {
    static Twins* twins = new Twins;  // never deleted: records are read until exit
    return *twins;
  }

  // A new, empty twin of `type`.
  std::unique_ptr<Message> New(const Descriptor* type) {
    std::lock_guard<std::mutex> lock(mu_);
    Add(type->file());
    const Descriptor* twin = pool_.FindMessageTypeByName(type->full_name());
    return std::unique_ptr<Message>(factory_.GetPrototype(twin)->New());
  }

 private:
  Twins() : factory_(&pool_) {}

  void Add(const FileDescriptor* file) {
    if (pool_.FindFileByName(file->name()) != nullptr) return;
    for (int i = 0; i < file->dependency_count(); ++i) Add(file->dependency(i));
    FileDescriptorProto proto;
    file->CopyTo(&proto);
    for (DescriptorProto& message : *proto.mutable_message_type()) StringsToBytes(&message);
    pool_.BuildFile(proto);
  }

  std::mutex mu_;
  DescriptorPool pool_;
  DynamicMessageFactory factory_;
};

// Copies every field of `from` to `to`, whose type has the same fields by
// number (a twin and its message). Reflection's setters take any bytes.
void CopyFields(const Message& from, Message* to) {
  const Reflection* in = from.GetReflection();
  const Reflection* out = to->GetReflection();
  const Descriptor* to_type = to->GetDescriptor();
  std::vector<const FieldDescriptor*> fields;
  in->ListFields(from, &fields);
  for (const FieldDescriptor* f : fields) {
    const FieldDescriptor* t = to_type->FindFieldByNumber(f->number());
    if (f->is_repeated()) {
      const int n = in->FieldSize(from, f);
      for (int i = 0; i < n; ++i) {
        switch (f->cpp_type()) {
          case FieldDescriptor::CPPTYPE_INT32: out->AddInt32(to, t, in->GetRepeatedInt32(from, f, i)); break;
          case FieldDescriptor::CPPTYPE_INT64: out->AddInt64(to, t, in->GetRepeatedInt64(from, f, i)); break;
          case FieldDescriptor::CPPTYPE_UINT32: out->AddUInt32(to, t, in->GetRepeatedUInt32(from, f, i)); break;
          case FieldDescriptor::CPPTYPE_UINT64: out->AddUInt64(to, t, in->GetRepeatedUInt64(from, f, i)); break;
          case FieldDescriptor::CPPTYPE_DOUBLE: out->AddDouble(to, t, in->GetRepeatedDouble(from, f, i)); break;
          case FieldDescriptor::CPPTYPE_FLOAT: out->AddFloat(to, t, in->GetRepeatedFloat(from, f, i)); break;
          case FieldDescriptor::CPPTYPE_BOOL: out->AddBool(to, t, in->GetRepeatedBool(from, f, i)); break;
          case FieldDescriptor::CPPTYPE_ENUM: out->AddEnumValue(to, t, in->GetRepeatedEnumValue(from, f, i)); break;
          case FieldDescriptor::CPPTYPE_STRING: out->AddString(to, t, in->GetRepeatedString(from, f, i)); break;
          case FieldDescriptor::CPPTYPE_MESSAGE: CopyFields(in->GetRepeatedMessage(from, f, i), out->AddMessage(to, t)); break;
        }
      }
      continue;
    }
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: out->SetInt32(to, t, in->GetInt32(from, f)); break;
      case FieldDescriptor::CPPTYPE_INT64: out->SetInt64(to, t, in->GetInt64(from, f)); break;
      case FieldDescriptor::CPPTYPE_UINT32: out->SetUInt32(to, t, in->GetUInt32(from, f)); break;
      case FieldDescriptor::CPPTYPE_UINT64: out->SetUInt64(to, t, in->GetUInt64(from, f)); break;
      case FieldDescriptor::CPPTYPE_DOUBLE: out->SetDouble(to, t, in->GetDouble(from, f)); break;
      case FieldDescriptor::CPPTYPE_FLOAT: out->SetFloat(to, t, in->GetFloat(from, f)); break;
      case FieldDescriptor::CPPTYPE_BOOL: out->SetBool(to, t, in->GetBool(from, f)); break;
      case FieldDescriptor::CPPTYPE_ENUM: out->SetEnumValue(to, t, in->GetEnumValue(from, f)); break;
      case FieldDescriptor::CPPTYPE_STRING: out->SetString(to, t, in->GetString(from, f)); break;
      case FieldDescriptor::CPPTYPE_MESSAGE: CopyFields(in->GetMessage(from, f), out->MutableMessage(to, t)); break;
    }
  }
  // Fields a newer persist wrote are kept for it, as protobuf itself does.
  out->MutableUnknownFields(to)->MergeFrom(in->GetUnknownFields(from));
}

}  // namespace

std::string EncodeRecord(const Message& message) {
  // protobuf writes a string field's bytes as they are and only logs when
  // they are not UTF-8: the wire form is right, the log line is noise.
  google::protobuf::LogSilencer quiet;
  return message.SerializeAsString();
}

bool EncodeRecordTo(const Message& message, void* out, size_t size) {
  google::protobuf::LogSilencer quiet;
  return message.SerializeToArray(out, static_cast<int>(size));
}

bool DecodeRecord(const void* data, size_t size, Message* message) {
  {
    // Nearly every record is text: the generated parser, silenced for the
    // rare one that is not, which it refuses with a log line.
    google::protobuf::LogSilencer quiet;
    if (message->ParseFromArray(data, static_cast<int>(size))) return true;
  }
  std::unique_ptr<Message> twin = Twins::Get().New(message->GetDescriptor());
  if (!twin->ParseFromArray(data, static_cast<int>(size))) return false;
  message->Clear();
  CopyFields(*twin, message);
  return true;
}

}  // namespace persist
