// Copyright persist authors.

#include "cli/manual.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace persist {
namespace {

// Text as roff reads it literally: backslashes and hyphens escaped (a "-"
// in roff may print as a hyphen that cannot be copied into a shell), and a
// line that starts with '.' or '\'' guarded so that it is not a request.
std::string Roff(const std::string& text) {
  std::string escaped = absl::StrReplaceAll(text, {{"\\", "\\e"}, {"-", "\\-"}});
  std::vector<std::string> lines = absl::StrSplit(escaped, '\n');
  for (std::string& line : lines) {
    if (absl::StartsWith(line, ".") || absl::StartsWith(line, "'")) line = "\\&" + line;
  }
  return absl::StrJoin(lines, "\n");
}

// Lines kept as they are (usage lines are laid out by hand).
std::string Verbatim(const std::string& text) {
  return absl::StrCat(".PP\n.nf\n", Roff(text), "\n.fi\n");
}

// How completion fills a word, as the usage line's placeholder says:
// "dirs", "files", "releases", "runs", "topics" (of persist guide),
// "words a b c", or "" for nothing
// (a number, an id persist makes, a URL).
std::string KindOf(const std::string& placeholder) {
  if (absl::StrContains(placeholder, '|')) {
    return absl::StrCat("words ", absl::StrJoin(absl::StrSplit(placeholder, '|'), " "));
  }
  if (placeholder == absl::AsciiStrToLower(placeholder)) return "words " + placeholder;
  if (absl::StartsWith(placeholder, "RELEASE")) return "releases";
  if (placeholder == "RUN_ID") return "runs";
  if (placeholder == "TOPIC") return "topics";
  if (absl::EndsWith(placeholder, "DIR") || placeholder == "SITE") return "dirs";
  for (const char* file : {"FILE", "SRC", "PKG", "PATH", "PATH_OR_GLOB"}) {
    if (absl::EndsWith(placeholder, file)) return "files";
  }
  return "";
}

// A command's operands and flag values as its usage line gives them.
struct UsageShape {
  std::vector<std::string> operands;          // a kind per position
  std::map<std::string, std::string> values;  // flag ("--root") -> kind
};

// A usage word without its brackets and repetition marks: "[--root" is
// "--root", "URL]..." is "URL".
std::string Bare(absl::string_view word) {
  word = absl::StripPrefix(word, "[");
  word = absl::StripSuffix(word, "...");
  while (absl::ConsumeSuffix(&word, "]")) {
  }
  return std::string(word);
}

UsageShape ShapeOf(const std::string& name, const Command& command) {
  UsageShape shape;
  int form = 0;  // deploy has a second form, "persist deploy --update PKG"
  for (absl::string_view line : absl::StrSplit(command.usage, '\n')) {
    std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    for (size_t i = 0; i < words.size(); ++i) {
      const std::string word = Bare(words[i]);
      if (word == "persist") {
        ++form;
        ++i;  // the command's name
        continue;
      }
      if (word.empty()) continue;
      if (absl::StartsWith(word, "--")) {
        const std::string flag = word.substr(2);
        if (command.value_flags.count(flag) > 0 && i + 1 < words.size()) {
          shape.values[word] = KindOf(Bare(words[++i]));
        }
        continue;
      }
      // Operands of the first form only: the others' are flags' values.
      if (form == 1) shape.operands.push_back(KindOf(word));
    }
  }
  return shape;
}

// The names of `flags` as the command line spells them, sorted.
std::string Spelled(const std::set<std::string>& flags, const std::set<std::string>& common) {
  std::vector<std::string> spelled;
  for (const std::string& flag : flags) spelled.push_back("--" + flag);
  for (const std::string& flag : common) spelled.push_back("--" + flag);
  return absl::StrJoin(spelled, " ");
}

// Helpers of the completion script: they do not depend on the table.
constexpr char kCompletionHelpers[] = R"bash(
# The site the command line names: --root DIR, else the nearest directory at
# or above the current one that holds .persist/, else the current one.
_persist_site() {
  local i root=
  for ((i = 2; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --root) root=${COMP_WORDS[i + 1]} ;;
      --root=*) root=${COMP_WORDS[i]#--root=} ;;
    esac
  done
  if [[ -z $root ]]; then
    local dir=$PWD
    while [[ -n $dir && ! -d $dir/.persist ]]; do dir=${dir%/*}; done
    root=${dir:-.}
  fi
  printf '%s\n' "$root"
}

# Fills COMPREPLY with the words of KIND that start with CUR.
_persist_fill() {
  local kind=$1 cur=$2 site
  case $kind in
    dirs) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
    files) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
    releases)
      site=$(_persist_site)
      local ids=() entry
      for entry in "$site"/releases/*/; do
        entry=${entry%/}; entry=${entry##*/}
        [[ $entry == '*' || $entry == .* ]] || ids+=("$entry")
      done
      COMPREPLY=($(compgen -W "${ids[*]}" -- "$cur")) ;;
    runs)
      site=$(_persist_site)
      COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" log --root "$site" 2>/dev/null |
        awk 'NR > 1 { print $1 }')" -- "$cur")) ;;
    topics)
      COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" guide 2>/dev/null | awk 'NR > 1 { print $1 }')" -- "$cur")) ;;
    words\ *) COMPREPLY=($(compgen -W "${kind#words }" -- "$cur")) ;;
    *) COMPREPLY=() ;;
  esac
}

_persist() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  COMPREPLY=()
  if ((COMP_CWORD == 1)); then
    COMPREPLY=($(compgen -W "$_persist_commands --help --version" -- "$cur"))
    return
  fi
  local command=${COMP_WORDS[1]} values switches
  values=$(_persist_flags "$command" values)
  switches=$(_persist_flags "$command" switches)
  if [[ " $values " == *" $prev "* ]]; then
    _persist_fill "$(_persist_kind "$command" "$prev")" "$cur"
    return
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$values $switches --help" -- "$cur"))
    return
  fi
  # The operand's position: words that are neither flags nor their values.
  local i n=0
  for ((i = 2; i < COMP_CWORD; i++)); do
    if [[ " $values " == *" ${COMP_WORDS[i]} "* ]]; then
      ((i++))
    elif [[ ${COMP_WORDS[i]} != -* ]]; then
      ((n++))
    fi
  done
  _persist_fill "$(_persist_kind "$command" "$((n + 1))")" "$cur"
}

complete -F _persist persist
)bash";

// The page header every page shares: the generator's note and .TH.
std::string PageHeader(const std::string& title, const std::string& version) {
  return absl::StrCat(
      ".\\\" Generated by `persist --man` from the command table (cli/command_table.cc).\n", ".TH ",
      Roff(absl::AsciiStrToUpper(title)), " 1 \"\" \"persist ", Roff(version),
      "\" \"User Commands\"\n");
}

// What a command does, for its NAME line (which whatis and apropos list
// one line each): the head of the first sentence of its help, up to its
// first colon or semicolon, without what it says in parentheses, on one
// line, in lower case at the start ("Deploys the release in SRC, a
// directory or the vendor's archive (.zip, ...), as releases/ID in one
// journaled run: ..." -> "deploys the release in SRC, a directory or the
// vendor's archive, as releases/ID in one journaled run").
std::string Summary(const Command& command) {
  const std::string help = absl::StrReplaceAll(command.help, {{"\n", " "}});
  size_t end = help.find(". ");
  if (end == std::string::npos) end = help.find_last_of('.');
  const std::string sentence = help.substr(0, end);
  std::string summary;
  int depth = 0;
  for (size_t i = 0; i < sentence.size(); ++i) {
    const char c = sentence[i];
    if (depth == 0 && (c == ':' || c == ';') &&
        (i + 1 == sentence.size() || sentence[i + 1] == ' ')) {
      break;
    }
    if (c == '(') {
      if (depth++ == 0 && !summary.empty() && summary.back() == ' ') summary.pop_back();
    } else if (c == ')' && depth > 0) {
      --depth;
    } else if (depth == 0) {
      summary.push_back(c);
    }
  }
  if (!summary.empty()) summary[0] = absl::ascii_tolower(summary[0]);
  return summary;
}

}  // namespace

std::string CommandManPage(const std::string& name, const Command& command,
                           const std::string& version) {
  return absl::StrCat(PageHeader("persist-" + name, version), ".SH NAME\npersist\\-", Roff(name),
                      " \\- ", Roff(Summary(command)), "\n", ".SH SYNOPSIS\n.nf\n",
                      Roff(command.usage), "\n.fi\n", ".SH DESCRIPTION\n", Roff(command.help), "\n",
                      ".SH COMMON OPTIONS\n", Verbatim(CommonHelp()),
                      ".SH SEE ALSO\n\\fBpersist\\fR(1), which explains every command.\n");
}

std::string ManPage(const std::map<std::string, Command>& commands, const std::string& version) {
  std::string page = absl::StrCat(
      PageHeader("persist", version),
      ".SH NAME\npersist \\- deploys of PHP and Laravel apps that keep user data and can always "
      "be undone\n",
      ".SH SYNOPSIS\n.nf\n");
  for (const auto& [name, command] : commands) absl::StrAppend(&page, Roff(command.usage), "\n");
  absl::StrAppend(&page, "persist \\-\\-version\n.fi\n");
  absl::StrAppend(
      &page, ".SH DESCRIPTION\n",
      "persist deploys releases of an app into a site (ROOT/releases/ID, ROOT/current, "
      "ROOT/shared) so that the data that belongs to the site, not to a release, lives once "
      "in shared/ and survives every update. Every change is recorded in a journal "
      "(ROOT/.persist/) before it is made, applied by an atomic rename, and can be undone "
      "exactly: \\fBpersist undo\\fR after a run, \\fBpersist recover\\fR after an "
      "interrupted one.\n",
      ".SH COMMON OPTIONS\n", Verbatim(CommonHelp()));
  absl::StrAppend(&page, ".SH COMMANDS\n");
  for (const auto& [name, command] : commands) {
    absl::StrAppend(&page, ".SS ", Roff(name), "\n", Verbatim(command.usage), ".PP\n",
                    Roff(command.help), "\n");
  }
  absl::StrAppend(
      &page, ".SH FILES\n.TP\n.I ROOT/.persist/\n",
      "the journal (LMDB), the stashes of the runs that can still be undone, rescued data "
      "and the site lock\n.TP\n.I ROOT/shared/.persistence\\-config\n",
      "the site's profile (protobuf text format)\n.TP\n.I ROOT/shared/.deployment\\-history\n",
      "one line per run\n", ".SH SEE ALSO\n");
  for (const auto& [name, command] : commands) {
    absl::StrAppend(&page, "\\fBpersist\\-", Roff(name), "\\fR(1), ");
  }
  absl::StrAppend(&page,
                  "one page per command. \\fBultimate\\-persistence\\fR(1) is the blueprint's "
                  "entry point, a wrapper around \\fBpersist link\\fR. "
                  "/usr/share/doc/persist/README.md, and the guides of \\fBpersist guide\\fR "
                  "in /usr/share/doc/persist/guides/.\n");
  return page;
}

std::string BashCompletion(const std::map<std::string, Command>& commands) {
  std::vector<std::string> names;
  std::string flags =
      "# What a command takes: _persist_flags COMMAND values|switches.\n"
      "_persist_flags() {\n  case $1:$2 in\n";
  std::string kinds =
      "# How to complete a flag's value or an operand (by position):\n"
      "# _persist_kind COMMAND --FLAG|N.\n"
      "_persist_kind() {\n  case $1:$2 in\n";
  for (const auto& [name, command] : commands) {
    names.push_back(name);
    absl::StrAppend(&flags, "    ", name, ":values) echo \"",
                    Spelled(command.value_flags, CommonValueFlags()), "\" ;;\n");
    absl::StrAppend(&flags, "    ", name, ":switches) echo \"",
                    Spelled(command.switch_flags, CommonSwitchFlags()), "\" ;;\n");
    const UsageShape shape = ShapeOf(name, command);
    for (const auto& [flag, kind] : shape.values) {
      absl::StrAppend(&kinds, "    ", name, ":", flag, ") echo \"", kind, "\" ;;\n");
    }
    for (size_t i = 0; i < shape.operands.size(); ++i) {
      absl::StrAppend(&kinds, "    ", name, ":", i + 1, ") echo \"", shape.operands[i], "\" ;;\n");
    }
  }
  absl::StrAppend(&flags, "  esac\n}\n");
  absl::StrAppend(&kinds,
                  "    *:--empty-trash) echo \"words background wait later\" ;;\n  esac\n}\n");
  return absl::StrCat(
      "# bash completion for persist. Generated by `persist --completion bash` from the\n"
      "# command table that --help prints (cli/command_table.cc); do not edit.\n\n",
      "_persist_commands=\"", absl::StrJoin(names, " "), "\"\n\n", flags, "\n", kinds,
      kCompletionHelpers);
}

}  // namespace persist
