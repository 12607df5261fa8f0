"""fleet_sh_test: a test of the playbooks on a simulated fleet (tests/fleet/fleet.sh)."""

def fleet_sh_test(name, data = [], env = {}, deps = []):
    """NAME.sh, given the persist binary, with what every fleet test needs.

    Outside the sandbox: each simulated host is a real sshd running as root,
    which needs its privilege separation directory /run/sshd, outside the
    sandbox's writable paths (and mounts, where a test makes them, need
    root). Tagged fleet: the sanitizer run of CI (.bazelrc config asan)
    leaves them out, since they drive Ansible for minutes while the persist
    runs they make are the ones //tests/blackbox:fleet_flags_test checks
    under the sanitizers anyway.

    Args:
      name: the test, and its script NAME.sh.
      data: more data than the playbooks, persist and the test tools.
      env: more environment than MAKE_RELEASE and SNAPSHOT.
      deps: more shell libraries than lib.sh and fleet.sh.
    """
    all_env = {
        "MAKE_RELEASE": "$(rootpath //tests/testing:make_release)",
        "SNAPSHOT": "$(rootpath //tests/testing:snapshot)",
    }
    all_env.update(env)
    native.sh_test(
        name = name,
        size = "large",
        srcs = [name + ".sh"],
        args = ["$(location //cli:persist)"],
        data = [
            ":playbooks",
            "//cli:persist",
            "//tests/testing:make_release",
            "//tests/testing:snapshot",
        ] + data,
        env = all_env,
        tags = [
            "fleet",
            "no-sandbox",
        ],
        deps = [
            "//tests/blackbox:lib",
            "//tests/fleet",
        ] + deps,
    )
