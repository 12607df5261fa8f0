// Copyright persist authors.
//
// make_release: the sample releases of sample_release.h for shell tests.
//
//   make_release DIR SHAPE [VERSION]
//
// writes the release SHAPE (laravel, shop or small; VERSION defaults to v1
// and is not used by small) into DIR, which is created if need be.

#include <stdio.h>

#include <string>

#include "tests/testing/sample_release.h"

int main(int argc, char** argv) {
  using persist::testing::SampleRelease;
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: make_release DIR laravel|shop|small [VERSION]\n");
    return 2;
  }
  const std::string dir = argv[1], shape = argv[2], version = argc == 4 ? argv[3] : "v1";
  if (shape == "laravel") {
    SampleRelease::Laravel(version).Write(dir);
  } else if (shape == "shop") {
    SampleRelease::Shop(version).Write(dir);
  } else if (shape == "small") {
    SampleRelease::Small().Write(dir);
  } else {
    fprintf(stderr, "make_release: unknown shape '%s' (laravel, shop or small)\n", shape.c_str());
    return 2;
  }
  return 0;
}
