replace_defaults: true
shared: ".env"
shared: "storage/"
user: "public/uploads/"
user: "public/[a-z]*-media/"
runtime: "public/qr?codes/"
keep_releases: 10
