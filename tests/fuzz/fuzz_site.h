// Copyright persist authors.
//
// fuzz_site: a small site for fuzz targets that observe a tree, made once
// per process in a temporary directory and removed at exit. The targets only
// read it.

#ifndef PERSIST_TESTS_FUZZ_FUZZ_SITE_H_
#define PERSIST_TESTS_FUZZ_FUZZ_SITE_H_

#include "fsops/root.h"

namespace persist {

// A Laravel site as a deploy leaves it: releases/r1 (live through
// `current`), incoming/v2 waiting to be deployed, shared/ with .env,
// storage/ and public/uploads/, and links from the release into shared/.
const Root& FuzzSite();

}  // namespace persist

#endif  // PERSIST_TESTS_FUZZ_FUZZ_SITE_H_
