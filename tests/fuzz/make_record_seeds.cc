// Copyright persist authors.
//
// Writes the record decoder's seed corpus into the directory given:
//   bazel run //tests/fuzz:make_record_seeds -- $PWD/tests/fuzz/corpus/record_decoder
// Each file is one byte naming the kind (0 Run, 1 OpRecord, 2 Manifest, as
// record_decoder_fuzz.cc reads it) followed by the record as the journal
// stores it: the runs, ops and manifests that exec and deploy write.

#include <cstdio>
#include <fstream>
#include <string>

#include "google/protobuf/message.h"
#include "proto/journal.pb.h"

namespace persist {
namespace {

constexpr char kRunId[] = "20261128T101500Z";

PathState State(const std::string& path, FileType type, uint32_t mode = 0, uint64_t inode = 0) {
  PathState state;
  state.set_path(path);
  state.set_type(type);
  state.set_mode(mode);
  state.set_inode(inode);
  state.set_dev(inode == 0 ? 0 : 2049);
  state.set_mtime_ns(inode == 0 ? 0 : 1764324900123456789);
  if (type == REGULAR) {
    state.set_size(21);
    state.set_digest(std::string(32, '\x5a'));
  }
  return state;
}

OpRecord Record(uint32_t index, const Op& op, std::initializer_list<PathState> before,
                std::initializer_list<PathState> after, OpStatus status) {
  OpRecord record;
  record.set_run_id(kRunId);
  record.set_index(index);
  *record.mutable_op() = op;
  for (const PathState& state : before) *record.add_before() = state;
  for (const PathState& state : after) *record.add_after() = state;
  record.set_status(status);
  return record;
}

bool Write(const std::string& dir, const std::string& name, char kind,
           const google::protobuf::Message& message) {
  const std::string path = dir + "/" + name;
  std::ofstream out(path, std::ios::binary);
  out << kind << message.SerializeAsString();
  if (!out) std::fprintf(stderr, "make_record_seeds: cannot write %s\n", path.c_str());
  return static_cast<bool>(out);
}

int Main(const std::string& dir) {
  bool ok = true;

  Run deploy;
  deploy.set_id(kRunId);
  deploy.set_kind("deploy");
  deploy.set_state(RUN_COMMITTED);
  deploy.set_start_ns(1764324900000000001);
  deploy.set_end_ns(1764324903000000002);
  deploy.set_user("deploy");
  deploy.set_host("web-1");
  deploy.set_pid(4242);
  deploy.set_op_count(7);
  deploy.set_release(kRunId);
  deploy.set_exit_code(0);
  HookResult* hook = deploy.add_hooks();
  hook->set_phase("after_switch");
  hook->set_command("php artisan config:cache");
  hook->set_exit_code(0);
  hook->set_output("Configuration cached successfully.\n");
  hook->set_start_ns(1764324902000000000);
  hook->set_end_ns(1764324902500000000);
  ok &= Write(dir, "run-deploy-committed", 0, deploy);

  Run undone = deploy;
  undone.set_id("20261128T101500Z-2");
  undone.set_kind("exec");
  undone.set_state(RUN_FAILED);
  undone.set_error("op 3 (remove shared/x): does not exist");
  undone.set_exit_code(1);
  undone.set_undo_reason("failed: op 3");
  undone.set_undo_start_ns(1764324904000000000);
  undone.set_undo_end_ns(1764324905000000000);
  undone.add_rescued(".persist/rescued/20261128T101500Z-2/public/uploads/a.png");
  undone.clear_hooks();
  ok &= Write(dir, "run-exec-failed-undone", 0, undone);

  Run applying;
  applying.set_id("20261128T101500Z-10");
  applying.set_kind("rollback");
  applying.set_state(RUN_APPLYING);
  applying.set_start_ns(1764324906000000000);
  applying.set_op_count(1);
  applying.set_stash_purged(true);
  ok &= Write(dir, "run-rollback-interrupted", 0, applying);

  Op mkdir;
  mkdir.mutable_mkdir()->set_path("releases/r2");
  mkdir.mutable_mkdir()->set_mode(0755);
  ok &= Write(dir, "op-mkdir-applied", 1,
              Record(0, mkdir, {State("releases/r2", ABSENT)},
                     {State("releases/r2", DIRECTORY, 0755, 77)}, OP_APPLIED));
  Op copy;
  copy.mutable_copy()->set_from("incoming/v2");
  copy.mutable_copy()->set_to("releases/r2/app");
  ok &= Write(dir, "op-copy-intended", 1,
              Record(1, copy, {State("incoming/v2", DIRECTORY, 0755, 12), State("releases/r2/app", ABSENT)},
                     {}, OP_INTENDED));
  Op move;
  move.mutable_move()->set_from("releases/r2/.env");
  move.mutable_move()->set_to("shared/.env");
  OpRecord moved = Record(2, move, {State("releases/r2/.env", REGULAR, 0600, 13), State("shared/.env", REGULAR, 0600, 14)},
                          {State("releases/r2/.env", ABSENT), State("shared/.env", REGULAR, 0600, 13)},
                          OP_UNDONE);
  moved.set_swap_recorded(true);
  moved.set_staged_dev(2049);
  moved.set_staged_inode(99);
  ok &= Write(dir, "op-move-swapped-undone", 1, moved);
  Op symlink;
  symlink.mutable_symlink()->set_target("../../shared/public/uploads");
  symlink.mutable_symlink()->set_path("releases/r2/public/uploads");
  PathState link = State("releases/r2/public/uploads", SYMLINK, 0777, 15);
  link.set_link_target("../../shared/public/uploads");
  ok &= Write(dir, "op-symlink-applied", 1,
              Record(3, symlink, {State("releases/r2/public/uploads", DIRECTORY, 0755, 16)}, {link}, OP_APPLIED));
  Op remove;
  remove.mutable_remove()->set_path("releases/r0");
  ok &= Write(dir, "op-remove-intended", 1,
              Record(4, remove, {State("releases/r0", DIRECTORY, 0755, 17)}, {}, OP_INTENDED));
  Op write;
  write.mutable_write()->set_path("shared/.env");
  write.mutable_write()->set_content(std::string("APP_KEY=base64:\0\xff", 17));
  write.mutable_write()->set_mode(0600);
  ok &= Write(dir, "op-write-applied", 1,
              Record(5, write, {State("shared/.env", ABSENT)}, {State("shared/.env", REGULAR, 0600, 18)}, OP_APPLIED));
  Op exchange;
  exchange.mutable_exchange()->set_a("current");
  exchange.mutable_exchange()->set_b("releases/.next");
  PathState current = State("current", SYMLINK, 0777, 19);
  current.set_link_target("releases/r1");
  PathState next = State("releases/.next", SYMLINK, 0777, 20);
  next.set_link_target("releases/r2");
  ok &= Write(dir, "op-exchange-applied", 1, Record(6, exchange, {current, next}, {next, current}, OP_APPLIED));
  Op chmod;
  chmod.mutable_chmod()->set_path("storage/logs");
  chmod.mutable_chmod()->set_mode(02775);
  ok &= Write(dir, "op-chmod-intended", 1,
              Record(7, chmod, {State("storage/logs", DIRECTORY, 0755, 21)}, {}, OP_INTENDED));
  Op import;
  import.mutable_import()->set_from("/home/deploy/uploads/app-v2");
  import.mutable_import()->set_to("releases/20261128T101500Z");
  ok &= Write(dir, "op-import-applied", 1,
              Record(8, import, {State("releases/20261128T101500Z", ABSENT)},
                     {State("releases/20261128T101500Z", DIRECTORY, 0755, 22)}, OP_APPLIED));

  Manifest manifest;
  manifest.set_release_path("releases/20261128T101500Z");
  manifest.set_run_id(kRunId);
  auto add = [&](const std::string& path, FileType type, uint32_t mode) {
    ManifestEntry* entry = manifest.add_entry();
    entry->set_path(path);
    entry->set_type(type);
    entry->set_mode(mode);
    entry->set_mtime_ns(1764324900000000000);
    if (type == REGULAR) {
      entry->set_size(64);
      entry->set_digest(std::string(32, '\x11'));
    }
    return entry;
  };
  add("", DIRECTORY, 0755);
  add("artisan", REGULAR, 0755);
  add("public", DIRECTORY, 0755);
  add("public/index.php", REGULAR, 0644);
  add("public/storage", SYMLINK, 0777)->set_link_target("../storage/app/public");
  add("vendor", DIRECTORY, 0755);
  ok &= Write(dir, "manifest-release", 2, manifest);

  return ok ? 0 : 1;
}

}  // namespace
}  // namespace persist

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  return persist::Main(argv[1]);
}
