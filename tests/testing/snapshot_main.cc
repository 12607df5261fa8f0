// Copyright persist authors.
//
// snapshot: the tree snapshot of tests/testing/tree_snapshot.h for shell
// scripts (tests/blackbox, tools/demo, tools/bench), so that every test
// compares trees the same way.
//
//   snapshot [--exclude REL]... [--no-mtimes] [--follow-links] [--owners] DIR
//       prints one line per path beneath DIR, DIR itself first as ".":
//         ./PATH <TAB> DESCRIPTION
//       where DESCRIPTION is one of
//         dir mode=0755
//         file mode=0644 size=N mtime=NS sha256=HEX
//         symlink -> TARGET mtime=NS
//         other mode=10644 mtime=NS         (fifo, socket, device)
//       Mtimes are in nanoseconds; --no-mtimes leaves them out. Bytes outside
//       printable ASCII, and backslashes, are written as \xHH, so that every
//       path is one line whatever its name. REL is a path relative to DIR
//       (".persist", "shared/.deployment-history"), left out with everything
//       beneath it. --follow-links describes what symlinks point to, as an app
//       sees its release through its links into shared/. --owners adds
//       " owner=UID:GID" to every description, for trees whose files belong
//       to several users.
//
//   snapshot --compare A B
//       compares two saved snapshots path by path: prints nothing and exits 0
//       when they are equal, else one entry per path that is missing from B,
//       extra in B or changed, and exits 1. Exit status 2: a usage error or
//       an unreadable file.

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <string>

#include "absl/strings/str_format.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace testing {
namespace {

constexpr char kUsage[] =
    "usage: snapshot [--exclude REL]... [--no-mtimes] [--follow-links] [--owners] DIR\n"
    "       snapshot --compare A B\n";

std::string Escape(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\\' || c < 0x20 || c >= 0x7f) {
      out += absl::StrFormat("\\x%02x", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

int Take(int argc, char** argv) {
  TreeSnapshotOptions options;
  options.exclude.clear();
  options.digests = true;
  options.root = true;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--exclude" && i + 1 < argc) {
      std::string rel = argv[++i];
      while (rel.size() > 2 && rel.compare(0, 2, "./") == 0) rel.erase(0, 2);
      while (rel.size() > 1 && rel.back() == '/') rel.pop_back();
      options.exclude.insert(rel);
    } else if (arg == "--no-mtimes") {
      options.mtimes = false;
    } else if (arg == "--follow-links") {
      options.follow_links = true;
    } else if (arg == "--owners") {
      options.owners = true;
    } else if (dir.empty() && !arg.empty() && arg[0] != '-') {
      dir = arg;
    } else {
      fprintf(stderr, "snapshot: unexpected argument '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (dir.empty()) {
    fprintf(stderr, "%s", kUsage);
    return 2;
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "snapshot: %s is not a directory\n", dir.c_str());
    return 2;
  }
  std::string text;
  for (const auto& [path, desc] : TakeTreeSnapshot(dir, options)) {
    text += Escape(path == "." ? path : "./" + path) + "\t" + Escape(desc) + "\n";
  }
  if (fwrite(text.data(), 1, text.size(), stdout) != text.size() || fflush(stdout) != 0) {
    fprintf(stderr, "snapshot: cannot write: %s\n", strerror(errno));
    return 2;
  }
  return 0;
}

// A saved snapshot, read back: path -> description. A line without a tab
// (anything but the tool's own output) is its own path, with no description.
bool Load(const std::string& file, Snapshot* out) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    fprintf(stderr, "snapshot: cannot read %s\n", file.c_str());
    return false;
  }
  std::string line;
  while (std::getline(in, line)) {
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) {
      (*out)[line] = "";
    } else {
      (*out)[line.substr(0, tab)] = line.substr(tab + 1);
    }
  }
  return true;
}

int Compare(const std::string& a, const std::string& b) {
  Snapshot expected, actual;
  if (!Load(a, &expected) || !Load(b, &actual)) return 2;
  const std::string diff = DiffSnapshots(expected, actual);
  if (diff.empty()) return 0;
  std::cout << diff << std::flush;
  return 1;
}

}  // namespace
}  // namespace testing
}  // namespace persist

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "--compare") {
    if (argc != 4) {
      fprintf(stderr, "%s", persist::testing::kUsage);
      return 2;
    }
    return persist::testing::Compare(argv[2], argv[3]);
  }
  if (argc >= 2 && (std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help")) {
    printf("%s", persist::testing::kUsage);
    return 0;
  }
  return persist::testing::Take(argc, argv);
}
