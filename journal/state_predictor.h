// Copyright persist authors.
//
// StatePredictor: the state each path of a plan will be in when its op runs,
// worked out before any op runs, so that all of a run's intents (each with
// the pre-state of every path it touches) go to the journal in one commit.
//
// The tree does not change while a plan is being predicted. The predictor
// keeps an overlay of what earlier ops of the plan did: a path an op created
// is known from the op (a write's size and digest, a symlink's target, a new
// directory), a copied or moved tree is an alias of its source's real path,
// an unpacked one stands for the archive's listing (read when the unpack is
// applied to the prediction), and a removed path is absent. Anything the overlay does not cover is
// observed on disk. A predicted state that was not observed has inode 0.

#ifndef PERSIST_JOURNAL_STATE_PREDICTOR_H_
#define PERSIST_JOURNAL_STATE_PREDICTOR_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "fsops/root.h"
#include "fsops/source_tree.h"
#include "proto/journal.pb.h"

namespace persist {

class StatePredictor {
 public:
  explicit StatePredictor(const Root* root) : root_(root) {}

  // The state `path` will have after the ops given to Apply so far.
  absl::StatusOr<PathState> Predict(const std::string& path) const;

  // Records `op`'s effect. `op` must be valid and feasible (ops.h).
  absl::Status Apply(const Op& op);

 private:
  struct Node {
    enum Kind { kAbsent, kAlias, kNew, kTree } kind = kAbsent;
    std::string alias;                       // kAlias: a real path, as it was before the run
                                             // (absolute: an import's source); kTree: the
                                             // path in `tree`
    std::shared_ptr<const SourceTree> tree;  // kTree: an unpack's archive
    PathState state;               // kNew
    std::optional<uint32_t> mode;  // a chmod applied to this very path
  };

  // The node covering `path` and the rest of `path` below it; nullopt when
  // the overlay does not cover it.
  std::optional<std::pair<Node, std::string>> Covering(const std::string& path) const;
  // A node standing for `path` as it is now: its own, one derived from the
  // node covering it, or an alias of the real path.
  Node NodeFor(const std::string& path) const;
  void EraseBeneath(const std::string& path);
  // The overlay entries strictly beneath `path`, keyed by the rest of the path.
  std::map<std::string, Node> EntriesBeneath(const std::string& path) const;
  void Graft(const std::string& path, const Node& base, const std::map<std::string, Node>& beneath);

  const Root* root_;
  std::map<std::string, Node> overlay_;
};

}  // namespace persist

#endif  // PERSIST_JOURNAL_STATE_PREDICTOR_H_
