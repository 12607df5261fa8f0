// Copyright persist authors.

#include "fsops/describe_op.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "fsops/path.h"

namespace persist {

const char* DedupeName(DedupeMode dedupe) {
  switch (dedupe) {
    case DEDUPE_AUTO:
      return "auto";
    case DEDUPE_REFLINK:
      return "reflink";
    case DEDUPE_HARDLINK:
      return "hardlink";
    default:
      return "off";
  }
}

std::string DescribeOp(const Op& op) {
  switch (op.kind_case()) {
    case Op::kMkdir:
      return "mkdir " + PrintablePath(op.mkdir().path());
    case Op::kCopy:
      return absl::StrCat("copy ", PrintablePath(op.copy().from()), " -> ",
                          PrintablePath(op.copy().to()));
    case Op::kMove:
      return absl::StrCat("move ", PrintablePath(op.move().from()), " -> ",
                          PrintablePath(op.move().to()));
    case Op::kSymlink:
      return absl::StrCat("symlink ", PrintablePath(op.symlink().path()), " -> ",
                          PrintablePath(op.symlink().target()));
    case Op::kRemove:
      return "remove " + PrintablePath(op.remove().path());
    case Op::kWrite:
      return absl::StrCat("write ", PrintablePath(op.write().path()), " (",
                          op.write().content().size(), " bytes)");
    case Op::kExchange:
      return absl::StrCat("exchange ", PrintablePath(op.exchange().a()), " <-> ",
                          PrintablePath(op.exchange().b()));
    case Op::kChmod:
      return absl::StrFormat("chmod %04o %s", op.chmod().mode() & 07777,
                             PrintablePath(op.chmod().path()));
    case Op::kImport: {
      std::string line = absl::StrCat("import ", PrintablePath(op.import().from()), " -> ",
                                      PrintablePath(op.import().to()));
      if (op.import().dedupe() != DEDUPE_OFF && !op.import().dedupe_from().empty()) {
        absl::StrAppend(&line, " (", DedupeName(op.import().dedupe()),
                        " from ", PrintablePath(op.import().dedupe_from()), ")");
      }
      return line;
    }
    case Op::kUnpack: {
      std::string line = absl::StrCat("unpack ", PrintablePath(op.unpack().archive()));
      for (const std::string& nested : op.unpack().nested()) {
        absl::StrAppend(&line, ": ", PrintablePath(nested));
      }
      if (!op.unpack().dir().empty())
        absl::StrAppend(&line, ": ", PrintablePath(op.unpack().dir()));
      absl::StrAppend(&line, " -> ", PrintablePath(op.unpack().to()));
      return line;
    }
    case Op::kUpdate: {
      const UpdateOp& update = op.update();
      std::string package = update.package_dir();
      if (update.has_package_archive()) {
        package = update.package_archive().archive();
        for (const std::string& nested : update.package_archive().nested()) {
          absl::StrAppend(&package, ": ", nested);
        }
        if (!update.package_archive().dir().empty()) {
          absl::StrAppend(&package, ": ", update.package_archive().dir());
        }
      }
      std::string line =
          package.empty() ? absl::StrCat("capture ", PrintablePath(update.base()), " as it is now")
                          : absl::StrCat("update ", PrintablePath(update.base()), " with ",
                                         PrintablePath(package));
      if (update.deleted_size() > 0) {
        absl::StrAppend(&line, ", deleting ", update.deleted_size(), " path",
                        update.deleted_size() == 1 ? "" : "s");
      }
      absl::StrAppend(&line, " -> ", PrintablePath(update.to()));
      if (update.dedupe() != DEDUPE_OFF)
        absl::StrAppend(&line, " (", DedupeName(update.dedupe()), ")");
      return line;
    }
    case Op::kRecord:
      return absl::StrCat("record the manifest of ", PrintablePath(op.record().release()));
    case Op::KIND_NOT_SET:
      break;
  }
  return "(empty op)";
}

const char* FileTypeName(FileType type) {
  switch (type) {
    case ABSENT:
      return "absent";
    case REGULAR:
      return "file";
    case DIRECTORY:
      return "directory";
    case SYMLINK:
      return "symlink";
    default:
      return "other";
  }
}

}  // namespace persist
