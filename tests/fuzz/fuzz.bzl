"""fuzz_target: one libFuzzer target of tests/fuzz, two ways.

  NAME_fuzz_test  a cc_test that replays the target's seed corpus and every
                  past finding through replay_main.cc; the normal gcc build
                  (and --config=asan) runs it with //...
  NAME_fuzzer     the libFuzzer binary, built by tools/fuzz with
                  `bazel build --config=fuzz` (clang, -fsanitize=fuzzer,
                  address,undefined; see .bazelrc). Tagged manual: it has no
                  main() of its own (libFuzzer's comes with --config=fuzz), so
                  //... under gcc leaves it out.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_test")

def fuzz_target(name, deps):
    cc_test(
        name = name + "_fuzz_test",
        srcs = [
            name + "_fuzz.cc",
            "replay_main.cc",
        ],
        args = [
            "tests/fuzz/corpus/" + name,
            "tests/fuzz/regressions/" + name,
        ],
        data = native.glob([
            "corpus/%s/**" % name,
            "regressions/%s/**" % name,
        ]),
        deps = deps,
    )
    cc_binary(
        name = name + "_fuzzer",
        testonly = True,
        srcs = [name + "_fuzz.cc"],
        tags = ["manual"],
        deps = deps,
    )
