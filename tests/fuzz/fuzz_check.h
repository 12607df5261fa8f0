// Copyright persist authors.
//
// fuzz_check: what the fuzz targets assert beyond "does not crash".
//
// A property that persist's contracts promise (a validated op's paths stay
// inside the site, a glob never crosses '/') is checked with FUZZ_CHECK; a
// violation aborts, which libFuzzer reports as a finding and the replay test
// as a failure, the same as a crash.

#ifndef PERSIST_TESTS_FUZZ_FUZZ_CHECK_H_
#define PERSIST_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                           \
  do {                                                                                  \
    if (!(condition)) {                                                                 \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

#endif  // PERSIST_TESTS_FUZZ_FUZZ_CHECK_H_
