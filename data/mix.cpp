#include "data/mix.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "autograd/error.h"
#include "data/episode.h"
#include "data/sequence_dataset.h"
#include "io/atomic_file.h"

namespace aime::data {

namespace fs = std::filesystem;

MixSummary mix_datasets(const std::vector<std::string>& inputs, const std::string& out, bool numeric_order) {
  if (inputs.empty()) throw ValueError("mix: no input folder");
  if (fs::exists(out) && fs::is_directory(out))
    for (const auto& entry : fs::directory_iterator(out))
      if (entry.path().extension() == ".npz")
        throw ValueError(out + ": already holds episodes (" + entry.path().filename().string() + "); mix into a new folder");
  // Every folder's episodes must fit together: compare the first episode's keys and shapes.
  const SequenceDataset first = index_first_episode(inputs[0]);
  std::vector<std::vector<std::string>> files;
  for (const auto& dir : inputs) {
    const SequenceDataset head = index_first_episode(dir);
    for (const auto& key : first.keys()) {
      const auto& keys = head.keys();
      if (std::find(keys.begin(), keys.end(), key) == keys.end())
        throw ValueError(dir + ": its episodes have no '" + key + "', which those of " + inputs[0] + " hold");
      if (head.step_shape(key) != first.step_shape(key))
        throw ValueError(dir + ": '" + key + "' is " + shape_str(head.step_shape(key)) + " per step, in " + inputs[0] +
                         " it is " + shape_str(first.step_shape(key)));
    }
    if (head.keys().size() != first.keys().size())
      throw ValueError(dir + ": its episodes hold " + std::to_string(head.keys().size()) + " keys, those of " + inputs[0] +
                       " hold " + std::to_string(first.keys().size()));
    std::vector<std::string> list = list_episode_files(dir);  // numeric order
    if (!numeric_order)
      std::sort(list.begin(), list.end(), [](const std::string& a, const std::string& b) {
        return fs::path(a).filename().string() < fs::path(b).filename().string();
      });
    files.push_back(std::move(list));
  }
  fs::create_directories(out);
  MixSummary summary;
  for (const auto& list : files) {
    for (const auto& path : list) {
      std::ifstream in(path, std::ios::binary);
      if (!in) throw ValueError(path + ": cannot open");
      const std::string target = (fs::path(out) / (std::to_string(summary.total) + ".npz")).string();
      io::write_file_atomically(target, [&](std::ostream& o) { o << in.rdbuf(); });
      ++summary.total;
    }
    summary.episodes.push_back(static_cast<std::int64_t>(list.size()));
  }
  return summary;
}

}  // namespace aime::data
