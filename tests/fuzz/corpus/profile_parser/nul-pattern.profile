user: "public/\000nul/"
