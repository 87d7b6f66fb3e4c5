// Mixing episode folders into one, as the original's scripts/mix_datasets.py does (e.g.
// walker-mix = random, p2e buffer, stand buffer, walk buffer): the folders are copied in the
// order given, the files of each in the original's order, and renumbered 0, 1, 2, ...
// The original lists each folder with os.listdir and sorts the names as strings, so within a
// folder 10.npz comes before 2.npz (dreamer-facts.md §10): `numeric_order` false keeps that
// order (index 1000 + j of a mix is then not file j of its second folder), true sorts by
// number.
#pragma once
#include <string>
#include <vector>

namespace aime::data {

struct MixSummary {
  std::vector<std::int64_t> episodes;  // per input folder
  std::int64_t total = 0;
};

// Copies every `<int>.npz` of the inputs into `out` (created; it must hold no episode yet),
// each file atomically. Every input's first episode must hold the same keys with the same
// per-step shapes as the first input's (ValueError naming both folders and the key).
MixSummary mix_datasets(const std::vector<std::string>& inputs, const std::string& out, bool numeric_order = false);

}  // namespace aime::data
