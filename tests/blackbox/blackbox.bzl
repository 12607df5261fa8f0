"""blackbox_test: a black-box test of the real persist binary."""

# What every black-box test gets beside the binary: the tree snapshot tool,
# found by lib.sh through $SNAPSHOT, and the sample release generator,
# through $MAKE_RELEASE (tests/testing).
_TOOLS = [
    "//tests/testing:make_release",
    "//tests/testing:snapshot",
]

_TOOLS_ENV = {
    "MAKE_RELEASE": "$(rootpath //tests/testing:make_release)",
    "SNAPSHOT": "$(rootpath //tests/testing:snapshot)",
}

def blackbox_test(name, size = "small", args = [], data = [], deps = [], **kwargs):
    """NAME.sh, given the binary's path (then `args`), with lib.sh and the tools.

    Args:
      name: the test, and its script NAME.sh.
      size: Bazel's test size.
      args: more arguments after the binary's path.
      data: more files the test reads.
      deps: more shell libraries beside //tests/blackbox:lib.
      **kwargs: as sh_test takes them (tags, ...).
    """
    native.sh_test(
        name = name,
        size = size,
        srcs = [name + ".sh"],
        args = ["$(location //cli:persist)"] + args,
        data = ["//cli:persist"] + _TOOLS + data,
        env = _TOOLS_ENV,
        deps = ["//tests/blackbox:lib"] + deps,
        **kwargs
    )
