# shellcheck shell=bash
# The journal scenario of tools/bench (sourced): what persist exec costs next
# to the same changes made by a shell sequence, and what undo costs.

# fresh VARIANT: replaces run/ by a copy of the variant's template, and
# flushes the copy to disk so the timed command does not pay for it.
fresh() {
  rm -rf "$work/run"
  cp -a "$work/tpl-$1" "$work/run"
  sync
}

# The shell script of a baseline mode.
script_of() { if [[ $2 == shell+sync ]]; then echo "$1-sync.sh"; else echo "$1.sh"; fi; }

# Runs one mode of one variant in $work/run (which must be fresh).
run_mode() {
  local variant=$1 mode=$2
  case $mode in
    shell | shell+sync) bash "$work/plans/$(script_of "$variant" "$mode")" ;;
    grouped | per-op) persist exec "$work/plans/$variant.plan" --root . --intents "$mode" ;;
    undo) persist undo --root . --yes ;;
  esac
}

# Runs COMMAND... in $work/run under strace -c, counting sync calls and the
# wall-clock time spent in them (-w); writes the summary to FILE.
strace_count() {
  local file=$1
  shift
  (cd "$work/run" && strace -f -c -w -e trace=fsync,fdatasync,syncfs,msync,sync -o "$file" "$@") \
    >>"$work/log.txt" 2>&1 || die "'$*' failed under strace (see $work/log.txt)"
}

# Prints the number of calls of syscall NAME ("total" for all) in an
# `strace -c` summary: the "calls" column is the 4th, the name the last.
calls_of() {
  awk -v want="$2" '
    $NF == want && $4 ~ /^[0-9]+$/ { n = $4 }
    END { print n + 0 }' "$1"
}

# Prints the wall-clock milliseconds an `strace -c -w` summary counted in all
# its calls (the "seconds" column of the total line).
ms_in_calls() { awk '$NF == "total" { s = $2 } END { printf "%.1f", s * 1000 }' "$1"; }

# Runs COMMAND... in $work/run under a full strace of the sync calls and of
# what tells them apart, then classifies each sync-class call:
#   file     fsync of a staged file (the op's temporary name, before its rename)
#   dir      fsync of a directory of the site
#   stash    fsync of a directory under .persist/ (stash, journal setup)
#   fdsync   fdatasync of the LMDB data file (one per journal commit)
#   meta     write of LMDB's meta page through its O_DSYNC descriptor (one per commit)
#   syncfs / sync
# Prints "file dir stash fdsync meta syncfs sync".
strace_classify() {
  local file=$1
  shift
  (cd "$work/run" && strace -f -qq -y -e trace=fsync,fdatasync,syncfs,msync,sync,openat,pwrite64 \
    -e signal=none -o "$file" "$@") >>"$work/log.txt" 2>&1 ||
    die "'$*' failed under strace (see $work/log.txt)"
  awk '
    # "PID openat(..., O_WRONLY|O_DSYNC|..., ...) = FD</path>"
    $2 ~ /^openat\(/ && /O_DSYNC/ && /data\.mdb/ {
      fd = $NF; sub(/<.*/, "", fd); dsync[$1 " " fd] = 1; next
    }
    $2 ~ /^pwrite64\(/ && /data\.mdb/ {
      fd = $2; sub(/^pwrite64\(/, "", fd); sub(/<.*/, "", fd)
      if (($1 " " fd) in dsync) meta++
      next
    }
    $2 ~ /^fsync\(/ {
      if ($0 ~ /\/\.persist-[^\/>]*\.tmp>/) file++
      else if ($0 ~ /\/\.persist[\/>]/) stash++
      else dir++
      next
    }
    $2 ~ /^fdatasync\(/ { fdsync++; next }
    $2 ~ /^syncfs\(/ { syncfs++; next }
    $2 ~ /^sync\(/ { sync++; next }
    $2 ~ /^msync\(/ { msync++; next }
    END { printf "%d %d %d %d %d %d %d\n", file, dir, stash, fdsync, meta, syncfs, sync + msync }
  ' "$file"
}


# ================================================================ the journal

journal_bench() {
  # -------------------------------------------------------------- templates

  step "Templates and plans"
  say "Each template is a site whose journal already holds one run, so the runs measured are not the site's first."

  # A template site with a journal that holds one earlier run.
  new_template() {
    local dir=$1
    mkdir -p "$dir"
    printf 'op { write { path: ".bench-template" content: "template\\n" } }\n' >"$work/plans/init.plan"
    persist exec "$work/plans/init.plan" --root "$dir" >>"$work/log.txt" 2>&1 ||
      die "could not start the journal of $dir (see $work/log.txt)"
  }

  # The "ops" variant: data/d0..d3 with the files to write over, shared/up-I
  # for the symlinks to point at.
  tpl=$work/tpl-ops
  new_template "$tpl"
  for ((d = 0; d < 4; d++)); do mkdir -p "$tpl/data/d$d"; done
  for ((i = 0; i < quarter; i++)); do
    printf 'old file %d, as the template has it\n' "$i" >"$tpl/data/d$((i % 4))/old-$i.txt"
    mkdir -p "$tpl/shared/up-$i"
  done
  {
    echo "# $ops ops: $quarter new files, $quarter symlinks, $quarter mkdirs, $quarter files written over."
    for ((i = 0; i < quarter; i++)); do
      echo "op { write { path: \"data/d$((i % 4))/new-$i.txt\" content: \"new file $i, written by the plan\\n\" } }"
    done
    for ((i = 0; i < quarter; i++)); do
      echo "op { symlink { target: \"../../shared/up-$i\" path: \"data/d$((i % 4))/up-$i\" } }"
    done
    for ((i = 0; i < quarter; i++)); do
      echo "op { mkdir { path: \"data/d$((i % 4))/dir-$i\" } }"
    done
    for ((i = 0; i < quarter; i++)); do
      echo "op { write { path: \"data/d$((i % 4))/old-$i.txt\" content: \"file $i, written over by the plan\\n\" } }"
    done
  } >"$work/plans/ops.plan"
  # The same changes as plain shell: printf is a builtin; one ln per directory
  # (ln -s -t names each link after its target's last component) and one mkdir.
  {
    echo "set -e"
    for ((i = 0; i < quarter; i++)); do
      echo "printf 'new file $i, written by the plan\\n' >data/d$((i % 4))/new-$i.txt"
    done
    for ((d = 0; d < 4 && d < quarter; d++)); do
      printf 'ln -s -t data/d%d' "$d"
      for ((i = d; i < quarter; i += 4)); do printf ' ../../shared/up-%d' "$i"; done
      echo
    done
    printf 'mkdir'
    for ((i = 0; i < quarter; i++)); do printf ' data/d%d/dir-%d' $((i % 4)) "$i"; done
    echo
    for ((i = 0; i < quarter; i++)); do
      echo "printf 'file $i, written over by the plan\\n' >data/d$((i % 4))/old-$i.txt"
    done
  } >"$work/plans/ops.sh"

  # The "copy" variant: incoming/tree holds $files small files (100 B to 1 KB)
  # in directories of 50.
  tpl=$work/tpl-copy
  new_template "$tpl"
  mkdir -p "$tpl/releases"
  for ((i = 0; i < files; i++)); do
    sub=$tpl/incoming/tree/s$((i / 50))
    ((i % 50)) || mkdir -p "$sub"
    printf '%*s\n' $((100 + (i * 37) % 900)) "file $i" >"$sub/f$i.txt"
  done
  echo 'op { copy { from: "incoming/tree" to: "releases/tree" } }' >"$work/plans/copy.plan"
  printf 'set -e\ncp -a incoming/tree releases/tree\n' >"$work/plans/copy.sh"

  for v in ops copy; do
    { cat "$work/plans/$v.sh"; echo sync; } >"$work/plans/$v-sync.sh"
  done
  sync
  echo "templates: $work/tpl-ops ($(find "$work/tpl-ops" -path '*/.persist' -prune -o -print | wc -l) paths), $work/tpl-copy ($(find "$work/tpl-copy" -path '*/.persist' -prune -o -print | wc -l) paths)"
  echo "plans:     $work/plans/ops.plan ($(grep -c '^op ' "$work/plans/ops.plan") ops), $work/plans/copy.plan (1 op); shell: $work/plans/{ops,copy}.sh"

  # -------------------------------------------------------------- fsyncs

  step "Counting fsyncs (one extra run of each, under strace)"
  say "strace -f -c counts fsync, fdatasync, syncfs, msync and sync; a second traced run tells them apart. Each persist run is checked to leave the same tree as the shell sequence, and its undo to restore the template exactly."

  variants=(ops copy)
  modes=(shell shell+sync grouped per-op)
  declare -A nsync syncms breakdown
  for v in "${variants[@]}"; do
    snapshot "$work/tpl-$v" "$work/snap/$v-template.txt" mtime
    for m in "${modes[@]}"; do
      # Counted run: strace -c; then the tree is checked.
      fresh "$v"
      case $m in
        shell | shell+sync) strace_count "$work/strace/$v-$m.c" bash "$work/plans/$(script_of "$v" "$m")" ;;
        *) strace_count "$work/strace/$v-$m.c" persist exec "$work/plans/$v.plan" --root . --intents "$m" ;;
      esac
      nsync[$v.$m]=$(calls_of "$work/strace/$v-$m.c" total)
      syncms[$v.$m]=$(ms_in_calls "$work/strace/$v-$m.c")
      snapshot "$work/run" "$work/snap/$v-$m.txt"
      if [[ $m != shell ]]; then
        same "$v, $m: same tree as the shell sequence" "$work/snap/$v-shell.txt" "$work/snap/$v-$m.txt"
      fi
      if [[ $m == grouped || $m == per-op ]]; then
        strace_count "$work/strace/$v-$m-undo.c" persist undo --root . --yes
        nsync[$v.$m-undo]=$(calls_of "$work/strace/$v-$m-undo.c" total)
        syncms[$v.$m-undo]=$(ms_in_calls "$work/strace/$v-$m-undo.c")
        snapshot "$work/run" "$work/snap/$v-$m-undone.txt" mtime
        same "$v, $m, then undo: the template exactly (mtimes included)" \
          "$work/snap/$v-template.txt" "$work/snap/$v-$m-undone.txt"
      fi

      # Classified run: a full trace of the same calls, with their paths.
      fresh "$v"
      case $m in
        shell | shell+sync) breakdown[$v.$m]=$(strace_classify "$work/strace/$v-$m.tr" bash "$work/plans/$(script_of "$v" "$m")") ;;
        *)
          breakdown[$v.$m]=$(strace_classify "$work/strace/$v-$m.tr" persist exec "$work/plans/$v.plan" --root . --intents "$m")
          breakdown[$v.$m-undo]=$(strace_classify "$work/strace/$v-$m-undo.tr" persist undo --root . --yes)
          ;;
      esac
    done
  done

  # Checks that both traced runs saw the same number of sync-class calls.
  for key in "${!breakdown[@]}"; do
    read -r f dd st fd me sf sy <<<"${breakdown[$key]}"
    classified=$((f + dd + st + fd + sf + sy))
    [[ $classified == "${nsync[$key]}" ]] ||
      echo "bench: note: $key: strace -c counted ${nsync[$key]} sync calls, the classified trace $classified"
  done

  # -------------------------------------------------------------- timing

  step "Timing: $rounds round(s), modes alternating"
  say "Each run starts on a fresh cp -a of the template, flushed by an untimed sync; only the command is timed (wall clock). persist undo is timed right after each persist run, on the site that run left."
  timed() {
    local out=$1 t0 t1
    shift
    t0=$(now_ns)
    "$@" >>"$work/log.txt" 2>&1 || return 1
    t1=$(now_ns)
    echo $((t1 - t0)) >>"$out"
  }
  for ((r = 1; r <= rounds; r++)); do
    line="round $r/$rounds:"
    for v in "${variants[@]}"; do
      for m in "${modes[@]}"; do
        fresh "$v"
        cd "$work/run"
        timed "$work/times/$v.$m" run_mode "$v" "$m" || die "$v $m failed in round $r (see $work/log.txt)"
        if [[ $m == grouped || $m == per-op ]]; then
          timed "$work/times/$v.$m-undo" run_mode "$v" undo || die "$v undo failed in round $r (see $work/log.txt)"
        fi
        cd "$work"
        line+=" $v/$m $(($(tail -n 1 "$work/times/$v.$m") / 1000000))ms"
      done
    done
    echo "$line"
  done
  rm -rf "$work/run"

  # -------------------------------------------------------------- results

  step "Journal results (medians of $rounds round(s))"
  # report VARIANT OPS UNIT COUNT TITLE: the tables of one plan. Time per
  # UNIT is the median divided by COUNT (ops for "ops", files for "copy").
  report() {
    local v=$1 nops=$2 unit=$3 count=$4 title=$5
    local base_plain base_sync m med
    base_plain=$(median "$work/times/$v.shell")
    base_sync=$(median "$work/times/$v.shell+sync")
    echo
    echo "$title"
    echo
    echo "| run | median ms (min-max) | µs/$unit | fsyncs | fsyncs/op | × shell | × shell+sync | × its exec |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for m in shell shell+sync grouped per-op; do
      med=$(median "$work/times/$v.$m")
      awk -v name="$m" -v med="$med" -v range="$(minmax "$work/times/$v.$m")" -v n="$nops" -v c="$count" \
        -v fs="${nsync[$v.$m]}" -v bp="$base_plain" -v bs="$base_sync" 'BEGIN {
          label = name
          if (name == "grouped" || name == "per-op") label = "persist exec, " name
          printf "| %s | %.1f (%s) | %.0f | %d | %.2f | %.2f | %.2f | |\n",
            label, med / 1e6, range, med / 1e3 / c, fs, fs / n, med / bp, med / bs }'
    done
    for m in grouped per-op; do
      med=$(median "$work/times/$v.$m-undo")
      awk -v name="$m" -v med="$med" -v range="$(minmax "$work/times/$v.$m-undo")" -v n="$nops" -v c="$count" \
        -v fs="${nsync[$v.$m-undo]}" -v ex="$(median "$work/times/$v.$m")" \
        -v bp="$base_plain" -v bs="$base_sync" 'BEGIN {
          printf "| persist undo of the %s run | %.1f (%s) | %.0f | %d | %.2f | %.2f | %.2f | %.2f |\n",
            name, med / 1e6, range, med / 1e3 / c, fs, fs / n, med / bp, med / bs, med / ex }'
    done
    echo
    echo "Where the syncs go, from the traced runs (the last column from the strace -c run):"
    echo
    echo "| run | fsync staged file | fsync site dir | fsync .persist dir | LMDB commits (fdatasync) | LMDB meta O_DSYNC writes | syncfs | sync | ms in sync calls |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    local key label
    for key in shell shell+sync grouped per-op grouped-undo per-op-undo; do
      case $key in
        grouped | per-op) label="persist exec, $key" ;;
        *-undo) label="persist undo of the ${key%-undo} run" ;;
        *) label=$key ;;
      esac
      read -r f dd st fd me sf sy <<<"${breakdown[$v.$key]}"
      printf '| %s | %d | %d | %d | %d | %d | %d | %d | %s |\n' "$label" "$f" "$dd" "$st" "$fd" "$me" "$sf" "$sy" "${syncms[$v.$key]}"
    done
  }
  {
    report ops "$ops" op "$ops" "Plan \"ops\": $ops ops ($quarter new files, $quarter symlinks, $quarter mkdirs, $quarter files written over)"
    report copy 1 file "$files" "Plan \"copy\": one copy op of a tree of $files files"
    echo
    echo "fsyncs: fsync, fdatasync, syncfs, msync and sync calls counted by strace -f -c. Each LMDB"
    echo "commit also writes its meta page through an O_DSYNC descriptor, a synchronous write"
    echo "strace -c does not count as a sync: see the \"LMDB meta\" column. \"ms in sync calls\" is the"
    echo "wall-clock time the counted run spent in the calls strace -c counted (strace -w), slowed by strace."
  } | tee "$work/results-journal.md"
}

