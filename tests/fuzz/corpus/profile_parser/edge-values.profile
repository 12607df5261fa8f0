keep_releases: 4294967295
shared: "a//b"
