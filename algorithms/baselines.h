// The original's baselines (scripts/train_{bc,bco,iidm}.py; docs/original.md §4), on the frame-stack networks of
// frame_stack.h and the early-stopped regression of regression.h. Windows hold K + 1
// steps (K = the stack): frames o_{i..i+K-1} form the stack, o_{i+K} is the next frame and
// a = pre_action_{i+K} the action taken after the stack's last frame.
//   BC      the policy regresses the demonstrations' true actions (an oracle: it sees the
//           actions AIME never gets).
//   BCO(0)  an inverse model on K + 1 frames regresses a on the embodiment data; it labels
//           the demonstrations; the policy (its encoder initialised from the inverse
//           model's) regresses those labels. No further interaction with the environment.
//   IIDM    a forward model [stack, a] -> o_{i+K} is fitted to the embodiment data (MSE)
//           and frozen; the policy is trained on the demonstrations by back-propagating the
//           next-observation error through it: || F(stack, pi(stack)) - o_{i+K} ||^2.
// Each writes its run folder (imitation.h): metrics.csv (the policy's epochs),
// dynamics.csv (BCO's and IIDM's first phase), eval.csv, policy.safetensors.
#pragma once
#include <string>
#include "algorithms/frame_stack.h"
#include "algorithms/imitation.h"
#include "algorithms/regression.h"
#include "data/sequence_dataset.h"

namespace aime::algorithms {

// The dynamics models' fit: the policy's, and at least 5,000 steps (the original's BCO and
// IIDM scripts).
inline RegressionOptions dynamics_fit_defaults() {
  RegressionOptions o;
  o.min_steps = 5000;
  return o;
}

struct BaselineOptions {
  FrameStackConfig network;            // inputs, stack (5; 1 in mdp), action size, widths
  RegressionOptions policy;            // the policy's fit (on the demonstrations)
  RegressionOptions dynamics = dynamics_fit_defaults();  // BCO's inverse / IIDM's forward model (on the embodiment data)
  std::vector<models::SensorSpec> outputs;  // what IIDM's forward model predicts (empty: the inputs)
  EvaluationOptions evaluation;        // env empty: no tests
  std::int64_t test_period = 10;       // policy epochs between tests
  std::int64_t final_test_episodes = 100;
  std::uint64_t seed = 0;              // the networks' initial weights
  std::string out_dir;
  nn::Metadata metadata;               // added to the saved policy's metadata
};

// `demonstrations` and `embodiment` must have windows of network.stack + 1 steps.
ImitationResult train_bc(const data::SequenceDataset& demonstrations, const BaselineOptions& options,
                         const ImitationCallbacks& callbacks = {});
ImitationResult train_bco(const data::SequenceDataset& embodiment, const data::SequenceDataset& demonstrations,
                          const BaselineOptions& options, const ImitationCallbacks& callbacks = {});
ImitationResult train_iidm(const data::SequenceDataset& embodiment, const data::SequenceDataset& demonstrations,
                           const BaselineOptions& options, const ImitationCallbacks& callbacks = {});

}  // namespace aime::algorithms
