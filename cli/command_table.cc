// Copyright persist authors.

#include "cli/command_table.h"

#include "cli/commands.h"

namespace persist {
namespace {

using Table = std::map<std::string, Command>;

// deploy, classify.
void AddDeployCommands(Table* table) {
  table->insert({
      {"deploy",
       {"persist deploy SRC [--root DIR] [--mode auto|first|subsequent] [--id ID] [--keep N]\n"
        "                 [--merge-new] [--no-switch] [--dry-run] [--json] [--force]\n"
        "                 [--dedupe auto|reflink|hardlink|off] [--manifest on|off] [--app-dir "
        "PATH]\n"
        "                 [--max-entries N] [--max-unpacked SIZE] [--max-ratio N]\n"
        "                 [--health-url URL]... [--no-health] [--fleet-run ID]\n"
        "                 [--expect-current OLD_ID]\n"
        "       persist deploy --update PKG [--delete-list FILE] [--expect-version V] [...]",
        "Deploys the release in SRC, a directory or the vendor's archive (.zip, .tar,\n"
        ".tar.gz/.tgz, .tar.xz, .tar.bz2), as releases/ID in one journaled run: copies or\n"
        "unpacks it (nothing is unpacked anywhere else), moves or links every persistent path\n"
        "(the blueprint's classes, see persist classify) into shared/, switches current, prunes "
        "releases beyond --keep (default 5) and logs\n"
        "it in shared/.deployment-history. A first deploy keeps the release's demo content in\n"
        "shared/; later deploys never overwrite it (--merge-new adds only files shared/ lacks).\n"
        "--mode accepts the blueprint's true (first) and false (subsequent). --dry-run prints\n"
        "the classification and the plan and changes nothing. `persist undo` reverses it.\n"
        "--manifest off skips the release's manifest (and so diff and verify's file checks).\n"
        "--dedupe: a file the live release holds byte for byte is reflinked to it (auto, the\n"
        "default, where the filesystem can; reflink: or fail), hard-linked to it (hardlink:\n"
        "when mode, mtime and owner agree too; the releases then share that file, see the\n"
        "README), or copied (off).\n"
        "The app is the directory that holds artisan, composer.json or public/index.php: SRC\n"
        "itself, or the one directory up to three levels below it that does (a vendor's\n"
        "download with documentation/ beside the app, or the app a folder down); the deploy\n"
        "says which. --app-dir PATH (inside SRC) names it where SRC holds several. A SRC\n"
        "without an app is refused unless --force. In an archive, a zip or tarball it holds\n"
        "(the app's own zip beside documentation/) is searched too, and --app-dir may lead\n"
        "into it (\"Main Files/shop.zip/shop\"). An archive is refused before anything changes\n"
        "when a member climbs out (\"..\", an absolute path), is a device, fifo or socket, a\n"
        "hard link or symlink leading out of the app, given twice, or encrypted; when it is\n"
        "damaged; or when it passes --max-entries (default 1000000), --max-unpacked (32G)\n"
        "or --max-ratio (unpacked bytes per archive byte, 200). __MACOSX/ and .DS_Store are\n"
        "left out; no file is made world-writable or set-uid.\n"
        "--update PKG takes a vendor's update package (a directory, zip or tarball holding the\n"
        "changed and added files): the new release is the live one's files (linked or cloned\n"
        "as --dedupe says, else copied), the package's over them, less the paths its\n"
        "deleted-files.txt (or --delete-list FILE) names; the live release is never written.\n"
        "Shared data is never overwritten nor deleted by it. A package whose VERSION is not\n"
        "above the live release's VERSION, or a live release not at --expect-version V, is\n"
        "refused. `persist diff` shows what it changed; `persist undo` reverses it.\n"
        "After the switch, the profile's reload commands run in the live release, then each\n"
        "health URL (the profile's health_url, and every --health-url) is asked through the\n"
        "web server and must answer as health_expect says (default: status 200-399), 3 tries\n"
        "each. When one does not, the deploy is undone before persist returns (exit 1), the\n"
        "reloads run again, and the message names the URL, its status and the body's first\n"
        "lines. --no-health skips the checks; persist show lists every check of a run.\n"
        "--expect-current OLD_ID refuses (exit 2, nothing changed) unless current points at\n"
        "release OLD_ID when the site is locked, as for switch.\n"
        "--fleet-run ID records the run as this host's part of a fleet deploy (persist log\n"
        "and show name it; see ansible/README.md), and refuses (exit 2, nothing changed)\n"
        "while the host's latest run is another fleet run's staging, neither switched nor\n"
        "undone: that fleet run is under way, or was cut off and must be undone first.",
        {"root", "mode", "id", "keep", "manifest", "dedupe", "app-dir", "max-entries",
         "max-unpacked", "max-ratio", "delete-list", "expect-version", "health-url",
         "expect-current", "fleet-run"},
        {"merge-new", "no-switch", "dry-run", "json", "force", "update", "no-health"},
        RunDeploy,
        /*changes_site=*/true}},
      {"capture",
       {"persist capture [--root DIR] [--id ID] [--keep N] [--dedupe auto|reflink|hardlink|off]\n"
        "                [--dry-run] [--json] [--health-url URL]... [--no-health]",
        "Makes the live release as it is now a new release, in one journaled run: whatever\n"
        "was written into it in place (an update from the app's admin panel, a hotfix) is\n"
        "copied with the rest (linked or cloned where --dedupe allows), gets a manifest, and\n"
        "current switches to it. persist verify is clean again, persist diff OLD NEW shows\n"
        "exactly what changed in place, and persist undo goes back to the release as it was\n"
        "left, the in-place changes still in it. The live release itself is never written.\n"
        "Reloads and health checks follow the switch as for deploy.",
        {"root", "id", "keep", "dedupe", "health-url"},
        {"dry-run", "json", "no-health"},
        RunCapture,
        /*changes_site=*/true}},
      {"adopt",
       {"persist adopt APP_DIR [--root SITE] [--web-root PATH] [--id ID] [--force] [--dry-run]\n"
        "                [--vendor PKG [--adopt-unknown release|shared]] [--json]",
        "Makes an app installed in place a persist site, in one journaled run: the app becomes\n"
        "releases/ID by renames (nothing copied on one filesystem), every persistent path it\n"
        "holds (uploads, storage/, .env ...: the site's data, all of it kept) moves into\n"
        "shared/ and is linked back, current points at the release, and the web server's path\n"
        "leads to it. Layouts: the app inside the web root (~/public_html holding artisan\n"
        "and public/): the site is its parent, and public_html becomes a link to\n"
        "current/public; or the app served from its public/ (/var/www/example.com): the site\n"
        "is the app's directory, whose entries move into releases/ID and whose public becomes\n"
        "a link to current/public. --web-root names which (the app's directory or its public/)\n"
        "where the directory's name does not say (public_html, www, htdocs, httpdocs: served\n"
        "itself). A third: --web-root a directory of its own beside the app (~/public_html\n"
        "holding the app's public files, its index.php requiring ../example.com/...): the site\n"
        "holds both; the web root becomes the release's public/ (index.php rewritten to\n"
        "require ../vendor/...), the app's own public/ is kept as public.before-adopt/, and\n"
        "both directories become links, to current/public and current.\n"
        "--root puts the site elsewhere above the app. --dry-run prints the\n"
        "classification and the plan and changes nothing. `persist undo` puts it all back.\n"
        "--vendor PKG (the vendor's zip, tarball or directory of the installed version)\n"
        "compares the install with it, outside the persistent paths: the vendor's files as\n"
        "shipped, modified in place (kept in the release, listed), missing, and files the\n"
        "vendor never shipped, each with the persist custom add that would keep it as data.\n"
        "Where there are any, the adoption stops and names them, unless --adopt-unknown\n"
        "release keeps them in the release as code, or --adopt-unknown shared keeps them as\n"
        "the site's data: moved into shared/, linked, and named as custom paths in the\n"
        "profile it writes.",
        {"root", "web-root", "id", "vendor", "adopt-unknown"},
        {"force", "dry-run", "json"},
        RunAdopt,
        /*changes_site=*/true}},
      {"classify",
       {"persist classify [DIR] [--root SITE] [--json]\n"
        "       persist classify [DIR] [--root SITE] --volumes [--container-dir DIR]",
        "Lists each candidate path of an app directory with its class (APP, SHARED, USER,\n"
        "RUNTIME, CUSTOM) and the rule that decided it, using SITE's profile when given.\n"
        "--volumes prints instead the paths persist keeps in shared/ as a docker compose\n"
        "service's volumes: block, each bound from ./shared/PATH to --container-dir/PATH\n"
        "(default /var/www/html), so that a container keeps the same data out of its image.",
        {"root", "container-dir"},
        {"json", "volumes"},
        RunClassify}},
  });
}

// switch, rollback, diff.
void AddReleaseCommands(Table* table) {
  table->insert({
      {"switch",
       {"persist switch RELEASE_ID [--root DIR] [--expect-current OLD_ID] [--fleet-run ID]\n"
        "                [--health-url URL]... [--no-health] [--json]",
        "Points current at a prepared release (see deploy --no-switch) as one undoable run.\n"
        "Reloads and health checks follow, as for deploy: a release that does not answer is\n"
        "switched away from again (exit 1). --expect-current OLD_ID refuses (exit 2, nothing\n"
        "changed) unless current points at release OLD_ID when the site is locked ('' for a\n"
        "site without current): a fleet's controller passes what it saw, so that two\n"
        "controllers cannot interleave. --fleet-run ID records the run as this host's part\n"
        "of a fleet deploy, and is refused as deploy's is. --json prints {\"runs\": [the\n"
        "run]}, no run when current pointed there already.",
        {"root", "health-url", "expect-current", "fleet-run"},
        {"no-health", "json"},
        RunSwitch,
        /*changes_site=*/true}},
      {"rollback",
       {"persist rollback [--to RELEASE_ID] [--root DIR] [--expect-current OLD_ID] [--fleet-run ID]\n"
        "                  [--health-url URL]... [--no-health] [--json]",
        "Points current at the release before the live one (or RELEASE_ID) as a new,\n"
        "undoable run. Shared data is not touched. Reloads and health checks follow, as for\n"
        "deploy. --expect-current, --fleet-run and --json as for switch.",
        {"root", "to", "health-url", "expect-current", "fleet-run"},
        {"no-health", "json"},
        RunRollback,
        /*changes_site=*/true}},
      {"diff",
       {"persist diff RELEASE_A RELEASE_B [--root DIR] [--json]",
        "Lists what changed from one release to another, from the manifests made while each\n"
        "was staged: added, removed, modified (content), mode and type changes.",
        {"root"},
        {"json"},
        RunDiff}},
  });
}

// exec, recover, undo.
void AddJournalCommands(Table* table) {
  table->insert({
      {"exec",
       {"persist exec PLAN_FILE [--root DIR] [--json] [--intents grouped|per-op]",
        "Applies an explicit plan (a persist.Plan in protobuf text format, one `op` per change,\n"
        "paths relative to the root) as one journaled run. If an op fails the run is undone\n"
        "before persist returns; if persist is killed, `persist recover` undoes it.\n"
        "--intents per-op journals each op's intent just before it instead of all at once.",
        {"root", "intents"},
        {"json"},
        RunExec,
        /*changes_site=*/true}},
      {"recover",
       {"persist recover [--root DIR]",
        "Undoes an interrupted run exactly: every path outside .persist/ is as before the run.\n"
        "Data written meanwhile where the run must restore is kept in .persist/rescued/ (on\n"
        "another filesystem, such as shared/ on a mount of its own: shared/.persist-rescued/).\n"
        "Safe to run again if it is itself interrupted. A release the run had staged but not\n"
        "yet made visible is set aside whole in .persist/trash/ (one rename) and removed after\n"
        "recover returns, in the background unless --empty-trash says otherwise.",
        {"root"},
        {},
        RunRecover,
        /*changes_site=*/true}},
      {"undo",
       {"persist undo [RUN_ID] [--root DIR] [--yes] [--dry-run] [--fleet-run ID]\n"
        "             [--health-url URL]... [--no-health]",
        "Undoes the latest completed run exactly (or RUN_ID, which must be that run).\n"
        "Run it again to undo the run before, while its stash is kept. It first names the\n"
        "run (kind, release, when, by whom); on a terminal it asks before it acts (--yes:\n"
        "do not ask), and --dry-run only names it. Right after a run that failed (and was\n"
        "undone already), it refuses without RUN_ID rather than undo the run before.\n"
        "Exactly means: every path outside .persist/ is as it was before the run (type,\n"
        "mode, size, content, symlink target, file mtime), directory mtimes excepted, and\n"
        "shared/.deployment-history, the append-only log every run (this undo too) adds a\n"
        "line to. An undo that moves current is followed by the reloads and health checks\n"
        "(as for deploy); a failing check is reported (exit 1) and the undo stands.\n"
        "--fleet-run ID refuses (exit 2, nothing undone) unless the run is part of that fleet\n"
        "run: a fleet's controller undoes its own runs only.",
        {"root", "health-url", "fleet-run"},
        {"yes", "dry-run", "no-health"},
        RunUndo,
        /*changes_site=*/true}},
  });
}

// log, show, status, releases, empty-trash.
void AddReadCommands(Table* table) {
  table->insert({
      {"status",
       {"persist status [--root DIR] [--json]",
        "The site at a glance: the live release, every release with its size and deploy\n"
        "time, the size of shared/, a run left interrupted, who holds the site lock, the last\n"
        "health check persist made and the undo window (what persist undo would reverse).\n"
        "Only reads the site: it takes no lock and creates nothing. --json carries\n"
        "\"version\": 1, the format's number (docs/json.md).",
        {"root"},
        {"json"},
        RunStatus}},
      {"releases",
       {"persist releases [--root DIR] [--json]",
        "Lists the releases under releases/, oldest deploy first: id, whether it is live,\n"
        "size and files (links into shared/ not followed), when it was deployed and by which\n"
        "run. Only reads the site. --json carries \"version\": 1 (docs/json.md).",
        {"root"},
        {"json"},
        RunReleases}},
      {"log",
       {"persist log [--root DIR] [--json]",
        "Lists every run: id, kind, state, op count, start, user and host, and the fleet run\n"
        "it is part of, if any. --json adds \"current\", the release current points at.",
        {"root"},
        {"json"},
        RunLog}},
      {"show",
       {"persist show RUN_ID [--root DIR] [--json]",
        "Shows one run and each of its ops with the before and after state of every path.",
        {"root"},
        {"json"},
        RunShow}},
      {"empty-trash",
       {"persist empty-trash [--root DIR] [--idle]",
        "Removes what waits in .persist/trash/: staged releases that recover or undo set aside,\n"
        "and stashes that left the undo window. Commands start this in the background once they\n"
        "release the site (see --empty-trash in persist --help); this waits for an emptier\n"
        "already at work, then removes whatever is left and says how much. Takes no site lock:\n"
        "runs may go on meanwhile. Exit 0 when there was nothing to remove. --idle: at the idle\n"
        "I/O class and nice 10, so that the site's own disk I/O goes first (the background\n"
        "emptier runs so).",
        {"root"},
        {"idle"},
        RunEmptyTrash}},
  });
}

// link, custom, verify.
void AddInPlaceCommands(Table* table) {
  table->insert({
      {"link",
       {"persist link APP_DIR SHARED_DIR [MODE] [ENV] [--merge-new]",
        "The blueprint's in-place form (ultimate-persistence.sh APP_DIR SHARED_DIR MODE ENV)\n"
        "for an app directory that is not a persist release. MODE: first, subsequent, auto\n"
        "(default), verify, custom; true and false mean first and subsequent. ENV: server\n"
        "(default) links every persistent path into SHARED_DIR as a deploy does; local makes\n"
        "sure every persistent directory exists in the app, without links. One journaled run,\n"
        "kept in the .persist/ of the directory holding both; running it again changes nothing.\n"
        "The app's copy of a path may be live data: where SHARED_DIR holds the path too, what\n"
        "it lacks moves in (so --merge-new, accepted as deploy takes it, is always in effect),\n"
        "nothing there is overwritten, and entries that differ are named and kept.",
        {},
        {"merge-new"},
        RunLink,
        /*changes_site=*/true}},
      {"custom",
       {"persist custom add PATH_OR_GLOB [--root DIR]",
        "Makes a path persistent (the blueprint's E-Customize-App): adds it to the profile's\n"
        "custom list in shared/.persistence-config, so every later deploy keeps it in shared/,\n"
        "and moves it into shared/ and links it in the live release now: one undoable run.\n"
        "A trailing / matches directories only; * stays within one path component.",
        {"root"},
        {},
        RunCustom,
        /*changes_site=*/true}},
      {"verify",
       {"persist verify [--root DIR] [--quick] [--json]",
        "Checks the site's health: current and every shared link resolve inside the site,\n"
        "public_html serves current/public (as a link, or a stub with web_root \"stub\"), no\n"
        "run is left interrupted, the journal reads, links a request follows have the owner\n"
        "of what they lead to (SymLinksIfOwnerMatch),\n"
        "the last emptying of .persist/trash/ did not fail, shared/.env is not world-readable,\n"
        "storage/ and bootstrap/cache/ are writable, and\n"
        "the live release is what was deployed: every file changed since (by SHA-256; --quick\n"
        "compares size and mtime) and every file written into application code (drift) is\n"
        "named. Exit 1 naming each problem and the command that fixes it.",
        {"root"},
        {"json", "quick"},
        RunVerify}},
      {"repair",
       {"persist repair [--root DIR] [--dry-run] [--json]",
        "Fixes, as one journaled run, what persist verify finds and persist can fix: current\n"
        "dangling or missing (back to the newest release), a shared link of the live release\n"
        "missing or pointing elsewhere, public_html pointing elsewhere or its stub out of\n"
        "date, a link a request follows owned by another user than its target, a file of the\n"
        "live release changed since deploy (from another release with its digest), a world-readable\n"
        "shared/.env, storage/ and bootstrap/cache/ missing or not writable (by the web\n"
        "server's user too, through the bits of its owner or group, never every user's\n"
        "write). Never over a file or directory, which may hold data: what it cannot fix is\n"
        "named with what to do (exit 1). --dry-run prints what it would do. A repair that\n"
        "points current elsewhere is followed by the reloads and health checks of a switch.\n"
        "`persist undo` puts the site back as it was before the repair.",
        {"root"},
        {"dry-run", "json"},
        RunRepair,
        /*changes_site=*/true}},
  });
}

// backup, restore.
void AddBackupCommands(Table* table) {
  table->insert({
      {"backup",
       {"persist backup [--out FILE] [--root DIR]",
        "Writes shared/ (the site's data, its profile .persistence-config included) to FILE\n"
        "as a pax tar archive, mode 0600: mtimes to the nanosecond, modes, symlinks as\n"
        "symlinks (never followed), directories with their modes. Fifos, sockets and devices\n"
        "are skipped and named. FILE defaults to persist-backup-<site dir name>-<UTC time>.tar\n"
        "in the current directory and is never overwritten. Only reads the site; refused\n"
        "while a run is interrupted.",
        {"root", "out"},
        {},
        RunBackup}},
      {"restore",
       {"persist restore FILE [--root DIR]",
        "Brings shared/ back exactly as FILE (an archive persist backup wrote) holds it, in\n"
        "one journaled run: the archive is checked and extracted under TMPDIR first (a bad\n"
        "one changes nothing), then swapped in for shared/, whose old copy goes to the run's\n"
        "stash, so `persist undo` puts it back exactly. What the old shared/ held that the\n"
        "archive does not is also copied to .persist/rescued/restore-RUN/shared/, so it\n"
        "outlives the stash.",
        {"root"},
        {},
        RunRestore,
        /*changes_site=*/true}},
  });
}

// guide.
void AddGuideCommands(Table* table) {
  table->insert({
      {"guide",
       {"persist guide [TOPIC]",
        "Prints a guide to follow from start to end, as Markdown; without TOPIC, lists them:\n"
        "first-setup (a new site from the vendor's zip), vendor-update (a new zip or an update\n"
        "package), maintenance (health checks, backups, restore, recovery), customisation (your\n"
        "own code and folders across updates), shared-hosting (persist in ~/bin, web_root\n"
        "\"link\" or \"stub\") and troubleshooting (each message persist prints, what to do).\n"
        "The same pages are in /usr/share/doc/persist/guides/. Reads nothing, changes nothing.",
        {},
        {},
        RunGuide}},
  });
}

}  // namespace

const char* CommonHelp() {
  return "`persist COMMAND --help` explains one command. --root defaults to the nearest\n"
         "directory at or above the current one that holds .persist/ (as git finds .git), else\n"
         "the current directory; --quiet keeps the progress log off stderr.\n"
         "--empty-trash background|wait|later: what a command that changed a site does, once it\n"
         "has released the site, with the trees set aside in .persist/trash/ (a staged release\n"
         "undone, a stash purged): remove them in a detached background process (background,\n"
         "the default), remove them before exiting (wait), or leave them for `persist\n"
         "empty-trash` or the next command (later). The environment variable\n"
         "PERSIST_EMPTY_TRASH sets it too; the option wins.\n"
         "Exit codes: 0 ok, 1 failed, 2 usage or configuration error (nothing\n"
         "touched), 3 an interrupted run must be recovered first, 4 the site is locked.\n"
         "Under --json, an error is also printed on stdout, as\n"
         "{\"error\": {\"code\": EXIT_CODE, \"message\": \"...\", \"path\": \"...\"}} (path where "
         "known).\n";
}

const std::set<std::string>& CommonValueFlags() {
  static const auto* flags = new std::set<std::string>{"empty-trash"};
  return *flags;
}

const std::set<std::string>& CommonSwitchFlags() {
  static const auto* flags = new std::set<std::string>{"quiet", "allow-root"};
  return *flags;
}

const std::map<std::string, Command>& Commands() {
  static const Table* commands = [] {
    auto* table = new Table;
    AddDeployCommands(table);
    AddReleaseCommands(table);
    AddJournalCommands(table);
    AddReadCommands(table);
    AddInPlaceCommands(table);
    AddBackupCommands(table);
    AddGuideCommands(table);
    return table;
  }();
  return *commands;
}

}  // namespace persist
