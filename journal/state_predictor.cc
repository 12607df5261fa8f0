// Copyright persist authors.

#include "journal/state_predictor.h"

#include <fcntl.h>

#include "fsops/digest.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "fsops/release_archive.h"
#include "fsops/release_update.h"

namespace persist {

std::optional<std::pair<StatePredictor::Node, std::string>> StatePredictor::Covering(
    const std::string& path) const {
  std::string prefix = path;
  while (true) {
    auto it = overlay_.find(prefix);
    if (it != overlay_.end()) {
      std::string rest = prefix.size() == path.size() ? "" : path.substr(prefix.size() + 1);
      return std::make_pair(it->second, rest);
    }
    size_t slash = prefix.rfind('/');
    if (slash == std::string::npos) return std::nullopt;
    prefix.resize(slash);
  }
}

absl::StatusOr<PathState> StatePredictor::Predict(const std::string& path) const {
  auto covering = Covering(path);
  PathState state;
  if (!covering.has_value()) {
    absl::StatusOr<PathState> observed = root_->Observe(path, true);
    if (!observed.ok()) return observed.status();
    return *observed;
  }
  const Node& node = covering->first;
  const std::string& rest = covering->second;
  switch (node.kind) {
    case Node::kAbsent:
      state.set_type(ABSENT);
      break;
    case Node::kNew:
      if (rest.empty()) {
        state = node.state;
      } else {
        state.set_type(ABSENT);
      }
      break;
    case Node::kTree: {
      absl::StatusOr<PathState> listed = node.tree->Observe(JoinPath(node.alias, rest), false);
      if (!listed.ok()) return listed.status();
      state = *listed;
      // Another object than the one a tree on disk shows will stand here.
      state.clear_inode();
      state.clear_dev();
      break;
    }
    case Node::kAlias: {
      const std::string real = JoinPath(node.alias, rest);
      // An absolute alias is an import's source outside the site.
      absl::StatusOr<PathState> observed =
          real.front() == '/' ? ObservePath(root_->env(), AT_FDCWD, real, real, true)
                              : root_->Observe(real, true);
      if (!observed.ok()) return observed.status();
      state = *observed;
      // Another object than the one observed will stand here.
      state.clear_inode();
      state.clear_dev();
      break;
    }
  }
  if (rest.empty() && node.mode.has_value() && state.type() != ABSENT) state.set_mode(*node.mode);
  state.set_path(path);
  return state;
}

StatePredictor::Node StatePredictor::NodeFor(const std::string& path) const {
  auto covering = Covering(path);
  if (!covering.has_value()) {
    Node alias;
    alias.kind = Node::kAlias;
    alias.alias = path;
    return alias;
  }
  const Node& node = covering->first;
  const std::string& rest = covering->second;
  if (rest.empty()) return node;
  Node derived;
  if (node.kind == Node::kAlias || node.kind == Node::kTree) {
    derived.kind = node.kind;
    derived.alias = JoinPath(node.alias, rest);
    derived.tree = node.tree;
  }
  return derived;  // beneath something absent or new: absent
}

void StatePredictor::EraseBeneath(const std::string& path) {
  // A full scan: "a/b-x" sorts between "a/b" and "a/b/c", and the overlay
  // holds a few entries per op.
  for (auto it = overlay_.begin(); it != overlay_.end();) {
    it = IsWithin(it->first, path) ? overlay_.erase(it) : std::next(it);
  }
}

std::map<std::string, StatePredictor::Node> StatePredictor::EntriesBeneath(
    const std::string& path) const {
  std::map<std::string, Node> beneath;
  for (const auto& [key, node] : overlay_) {
    if (key.size() > path.size() && IsWithin(key, path)) {
      beneath.emplace(key.substr(path.size() + 1), node);
    }
  }
  return beneath;
}

void StatePredictor::Graft(const std::string& path, const Node& base,
                           const std::map<std::string, Node>& beneath) {
  EraseBeneath(path);
  overlay_[path] = base;
  for (const auto& [rest, node] : beneath) overlay_[JoinPath(path, rest)] = node;
}

absl::Status StatePredictor::Apply(const Op& op) {
  auto set_new = [&](const std::string& path, PathState state) {
    Node node;
    node.kind = Node::kNew;
    node.state = std::move(state);
    Graft(path, node, {});
  };
  auto set_absent = [&](const std::string& path) { Graft(path, Node{}, {}); };

  switch (op.kind_case()) {
    case Op::kMkdir: {
      absl::StatusOr<PathState> now = Predict(op.mkdir().path());
      if (!now.ok()) return now.status();
      if (now->type() == DIRECTORY) break;
      PathState dir;
      dir.set_type(DIRECTORY);
      dir.set_mode(op.mkdir().mode() == 0 ? 0755 : (op.mkdir().mode() & 07777));
      set_new(op.mkdir().path(), dir);
      break;
    }
    case Op::kCopy:
      Graft(op.copy().to(), NodeFor(op.copy().from()), EntriesBeneath(op.copy().from()));
      break;
    case Op::kImport: {
      Node source;
      source.kind = Node::kAlias;
      source.alias = op.import().from();
      Graft(op.import().to(), source, {});
      break;
    }
    case Op::kUnpack: {
      absl::StatusOr<std::unique_ptr<ArchiveListing>> listing =
          ScanArchive(root_->env(), ArchivePathOf(op.unpack()), ArchiveLimitsOf(op.unpack()));
      if (!listing.ok()) return listing.status();
      Node source;
      source.kind = Node::kTree;
      source.tree = std::shared_ptr<const SourceTree>(std::move(*listing));
      source.alias = op.unpack().dir();
      Graft(op.unpack().to(), source, {});
      break;
    }
    case Op::kUpdate: {
      // The base is read from disk, as it is before the run.
      for (const auto& [path, node] : overlay_) {
        if (IsWithin(path, op.update().base()) || IsWithin(op.update().base(), path)) {
          return absl::InvalidArgumentError(absl::StrCat(
              DescribeOp(op), ": an earlier op of the plan changes its base ",
              PrintablePath(op.update().base()), "; update a release the plan leaves alone"));
        }
      }
      absl::StatusOr<std::unique_ptr<UpdateResult>> result =
          UpdateResult::Open(*root_, op.update());
      if (!result.ok()) return result.status();
      Node made;
      made.kind = Node::kTree;
      made.tree = std::shared_ptr<const SourceTree>(std::move(*result));
      Graft(op.update().to(), made, {});
      break;
    }
    case Op::kMove: {
      Node base = NodeFor(op.move().from());
      std::map<std::string, Node> beneath = EntriesBeneath(op.move().from());
      Graft(op.move().to(), base, beneath);
      set_absent(op.move().from());
      break;
    }
    case Op::kSymlink: {
      PathState link;
      link.set_type(SYMLINK);
      link.set_mode(0777);
      link.set_link_target(op.symlink().target());
      set_new(op.symlink().path(), link);
      break;
    }
    case Op::kRemove:
      set_absent(op.remove().path());
      break;
    case Op::kWrite: {
      PathState file;
      file.set_type(REGULAR);
      file.set_mode(op.write().mode() == 0 ? 0644 : (op.write().mode() & 07777));
      file.set_size(op.write().content().size());
      file.set_digest(DigestBytes(op.write().content()));
      set_new(op.write().path(), file);
      break;
    }
    case Op::kExchange: {
      const std::string& a = op.exchange().a();
      const std::string& b = op.exchange().b();
      Node base_a = NodeFor(a), base_b = NodeFor(b);
      auto beneath_a = EntriesBeneath(a), beneath_b = EntriesBeneath(b);
      Graft(a, base_b, beneath_b);
      Graft(b, base_a, beneath_a);
      break;
    }
    case Op::kChmod: {
      Node node = NodeFor(op.chmod().path());
      node.mode = op.chmod().mode() & 07777;
      if (node.kind == Node::kNew) node.state.set_mode(*node.mode);
      overlay_[op.chmod().path()] = node;
      break;
    }
    case Op::kRecord:  // changes nothing
      break;
    case Op::KIND_NOT_SET:
      break;
  }
  return absl::OkStatus();
}

}  // namespace persist
