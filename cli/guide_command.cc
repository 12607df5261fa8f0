// Copyright persist authors.
//
// persist guide TOPIC: a page an operator follows from start to end, printed
// as Markdown; persist guide alone lists the topics. The pages written by
// hand come from docs/guides/ (guide_pages.h). The shared-hosting page is
// made here, and what persist itself writes (the stub index.php) is printed
// from the code that writes it, so the page cannot drift from it; every
// line that starts with "    $ " is a command a test runs, in order
// (tests/blackbox/guide_test.sh).

#include <iostream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/error_kind.h"
#include "cli/commands.h"
#include "cli/guide_pages.h"
#include "planner/web_root.h"

namespace persist {
namespace {

// `text` indented as a Markdown code block inside a list item.
std::string CodeBlockInItem(const std::string& text) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&out, "      ", line, "\n");
  }
  return out;
}

std::string SharedHostingGuide() {
  return absl::StrCat(
      R"(# Deploying with persist on shared hosting

For a host where you have SSH but no root (cPanel, Plesk, DirectAdmin,
Hostinger): the web server serves `~/public_html`, PHP runs as you, and
nobody can reload PHP for you. The site is your home directory: persist
keeps `releases/`, `shared/`, `current` and its journal `.persist/` there,
beside `public_html`. The commands to type start with `$`; the others
apply only where the text says.

## 1. Put persist in ~/bin

Download `persist-VERSION-linux-x86_64` and its `.sha256` file (it needs no
library of the host), check it, and make it `~/bin/persist`:

    sha256sum -c persist-VERSION-linux-x86_64.sha256
    mkdir -p ~/bin && mv persist-VERSION-linux-x86_64 ~/bin/persist && chmod 0755 ~/bin/persist

## 2. Find out what your host follows

Many hosts refuse a `public_html` that is a symlink, and some follow no
symlink at all inside it (Apache without FollowSymLinks), or only a link
owned by the owner of what it leads to (SymLinksIfOwnerMatch, cPanel's
SymlinkProtect). Make a probe:

    $ mkdir -p ~/persist-probe && echo ok > ~/persist-probe/probe.txt
    $ ln -s ../persist-probe ~/public_html/persist-probe

Open `https://YOUR-DOMAIN/persist-probe/probe.txt`. It says `ok`: the host
follows links of one owner; `403 Forbidden`: it follows none. Then remove
the probe:

    $ rm ~/public_html/persist-probe && rm -r ~/persist-probe

## 3. Tell persist how to serve public_html

persist reads the site's profile, `~/shared/.persistence-config`. Where the
host lets `public_html` be a symlink, you need nothing: it becomes a link
to `current/public`. Where it does not, ask for a stub:

    $ mkdir -p ~/shared
    $ echo 'web_root: "stub"' >> ~/shared/.persistence-config

`public_html` then stays a real directory. Its `index.php`, written by
persist, hands every request to the live release, reading `current` on
each request so that no cache of PHP's serves the release of before a
switch. The release's other public files are links through `current`.
Where the probe said `403`, add:

    echo 'copy_assets: true' >> ~/shared/.persistence-config

and persist copies them into `public_html` at every switch instead (the
links into `shared/`, such as uploads, stay links). Files in `public_html`
that no release ships, such as `.well-known/` or a search engine's
verification file, are left where they are.

## 4. The first deploy

Upload the vendor's zip (here `~/uploads/shop-v1.zip`), look at what
persist would do, then deploy:

    $ persist deploy ~/uploads/shop-v1.zip --root ~ --dry-run
    $ persist deploy ~/uploads/shop-v1.zip --root ~

An app already unpacked in `public_html` is taken over in place with
`persist adopt ~/public_html` instead (see `persist adopt --help`).
Then set the database and `APP_KEY` in `~/shared/.env`, which every release
links to, and run the app's migrations (`php ~/current/artisan migrate
--force`). Laravel's scheduler runs from cron as
`* * * * * cd ~/current && php artisan schedule:run`.

## 5. Check it

    $ persist verify --root ~

`verify` names each problem with the command that fixes it: a link that
SymLinksIfOwnerMatch would refuse (its owner and its target's), a stub
file out of date, a `.env` others can read. Most are fixed in one
undoable run:

    $ persist repair --root ~

## 6. Vendor updates, and going back

    $ persist deploy ~/uploads/shop-v2.zip --root ~
    $ persist rollback --root ~
    $ persist undo --root ~ --yes

Users' uploads, `.env` and `storage/` stay in `shared/` through every
deploy; the vendor's copies of them are set aside, never written over
yours. `persist undo` reverses the last run exactly, the rollback here.

## 7. What persist cannot do for you

- **The domain points elsewhere.** Point its document root at
  `~/public_html` (or, with a host that allows a symlinked one, at
  `~/current/public`) in the control panel.
- **public_html made by hand.** A stub is this `index.php` in
  `public_html`:

)",
      CodeBlockInItem(StubIndexPhp()),
      R"(
  and, for each entry NAME of the release's `public/` but `index.php`, a
  link `ln -s ../current/public/NAME ~/public_html/NAME` (a copy, with
  `cp -a`, where the host follows no links; `.htaccess` always a copy).
- **A 403 after a deploy.** Run `persist verify --root ~`: a link owned by
  another user than its target is named; `persist repair --root ~` makes it
  again as the site's owner, or `chown -h YOU LINK` as root.
- **The old release still answers** with `public_html` a link: PHP's
  OPcache or realpath cache holds it. Reset OPcache from the control panel,
  or use `web_root: "stub"`, whose `index.php` reads `current` anew on every
  request.
)");
}

// The topics, by name: the pages written by hand (docs/guides/, carried in
// the binary) and the one made here.
const std::map<std::string, std::string>& Guides() {
  static const auto* guides = [] {
    auto* pages = new std::map<std::string, std::string>;
    for (const GuidePage& page : WrittenGuides()) pages->emplace(page.name, page.text);
    pages->emplace("shared-hosting", SharedHostingGuide());
    return pages;
  }();
  return *guides;
}

// A page's title: its first line, without the leading "# ".
absl::string_view TitleOf(absl::string_view page) {
  absl::string_view first = page.substr(0, page.find('\n'));
  absl::ConsumePrefix(&first, "# ");
  return first;
}

}  // namespace

absl::Status RunGuide(const Args& args) {
  absl::Status status = ExpectPositionals("guide", args, 0, 1);
  if (!status.ok()) return status;
  if (args.positional.empty()) {
    std::cout << "The guides (persist guide TOPIC prints one, as Markdown):\n";
    for (const auto& [name, page] : Guides()) {
      std::cout << "  " << absl::StrFormat("%-16s", name) << TitleOf(page) << "\n";
    }
    return absl::OkStatus();
  }
  auto guide = Guides().find(args.positional[0]);
  if (guide == Guides().end()) {
    std::vector<std::string> topics;
    for (const auto& [name, page] : Guides()) topics.push_back(name);
    return UsageError(absl::StrCat("there is no guide \"", args.positional[0],
                                   "\"; the guides are: ", absl::StrJoin(topics, ", "),
                                   " (persist guide lists them)"));
  }
  std::cout << guide->second;
  return absl::OkStatus();
}

}  // namespace persist
