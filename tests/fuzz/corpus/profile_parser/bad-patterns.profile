shared: "/etc/passwd"
user: "public/../../x/"
custom: ""
