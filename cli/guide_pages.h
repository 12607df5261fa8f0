// Copyright persist authors.
//
// guide_pages: the guides of docs/guides/ that are written by hand, carried
// in the binary (cli/embed_guides.sh makes their source at build time), so
// that `persist guide TOPIC` prints them where no documentation is
// installed. The shared-hosting guide is not among them: the binary makes
// it from the code that writes the stub it describes (guide_command.cc).

#ifndef PERSIST_CLI_GUIDE_PAGES_H_
#define PERSIST_CLI_GUIDE_PAGES_H_

#include <string>
#include <vector>

namespace persist {

struct GuidePage {
  // The topic: the file's name without ".md" ("first-setup").
  const char* name;
  // The page as docs/guides/NAME.md holds it, byte for byte.
  const char* text;
};

// The pages, in the order of their file names.
const std::vector<GuidePage>& WrittenGuides();

}  // namespace persist

#endif  // PERSIST_CLI_GUIDE_PAGES_H_
