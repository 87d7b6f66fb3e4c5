#include "data/episode_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "autograd/api.h"
#include "data/sequence_dataset.h"
#include "data/sequence_sampler.h"

namespace aime::data {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Episode e of T steps: distinct values everywhere, so a wrong row or key shows.
Episode make(std::int64_t e, std::int64_t T) {
  Episode ep;
  std::vector<double> image;
  for (std::int64_t j = 0; j < T * 12; ++j) image.push_back(static_cast<double>((j + 7 * e) % 251));
  ep.set("image", tensor(image, {T, 2, 3, 2}, kFloat32).to(kUInt8));
  ep.set("pre_action", (arange(0, static_cast<double>(T * 2), 1, kFloat64) * 0.5 + static_cast<double>(e)).reshape({T, 2}));
  ep.set("reward", arange(0, static_cast<double>(T), 1, kFloat32) - static_cast<double>(e));  // [T]: read as [T, 1]
  ep.set("is_first", zeros({T}, kUInt8), true);
  return ep;
}

void write_folder(const fs::path& dir, const std::vector<std::int64_t>& lengths, Compression c) {
  for (std::size_t e = 0; e < lengths.size(); ++e)
    save_episode((dir / (std::to_string(e) + ".npz")).string(), make(static_cast<std::int64_t>(e), lengths[e]), c);
}

void expect_same(const Batch& a, const Batch& b) {
  ASSERT_EQ(a.keys(), b.keys());
  for (const auto& key : a.keys()) {
    EXPECT_EQ(a.at(key).shape(), b.at(key).shape()) << key;
    EXPECT_EQ(a.at(key).to_vector<float>(), b.at(key).to_vector<float>()) << key;
  }
}

TEST(EpisodeFile, IndexesHeadersAndReadsRowsAsTheWholeLoadHoldsThem) {
  const fs::path dir = fresh_dir("aime_episode_file_rows");
  for (Compression c : {Compression::Stored, Compression::Deflate}) {
    const std::string path = (dir / "0.npz").string();
    save_episode(path, make(3, 9), c);
    const EpisodeFile f(path);
    const Episode whole = load_episode(path);
    EXPECT_EQ(f.length(), 9);
    ASSERT_EQ(f.keys().size(), 4u);
    EXPECT_EQ(f.at("reward").shape, (Shape{9, 1}));
    EXPECT_EQ(f.at("image").step_shape(), (Shape{2, 3, 2}));
    EXPECT_EQ(f.at("image").by_rows, c == Compression::Stored);
    EXPECT_EQ(f.decoded_bytes(), 9u * 12 + 9u * 2 * 8 + 9u * 4 + 9u);
    const Episode loaded = f.load();
    for (const auto& key : whole.keys()) {
      EXPECT_EQ(loaded.at(key).data.shape(), whole.at(key).data.shape()) << key;
      EXPECT_EQ(loaded.at(key).data.to(kFloat64).to_vector<double>(), whole.at(key).data.to(kFloat64).to_vector<double>());
      EXPECT_EQ(loaded.at(key).boolean, whole.at(key).boolean);
      if (!f.at(key).by_rows) continue;
      const Tensor rows = f.read_rows(f.at(key), 4, 3);
      EXPECT_EQ(rows.to(kFloat64).to_vector<double>(),
                slice(whole.at(key).data, 0, 4, 7).contiguous().to(kFloat64).to_vector<double>()) << key;
    }
    if (c == Compression::Stored) {
      EXPECT_THROW(f.read_rows(f.at("image"), 8, 2), ValueError);
    } else {
      EXPECT_THROW(f.read_rows(f.at("image"), 0, 1), ValueError);  // deflated: whole only
    }
    EXPECT_THROW(f.at("nope"), ValueError);
  }
  fs::remove_all(dir);
}

TEST(EpisodeFile, AShapeTheEntryCannotHoldIsRefusedBeforeAnyAllocation) {
  // A header that claims [200000, 64, 64, 3] over 12 bytes of data: refused from the
  // directory's sizes, naming the file and the entry.
  const fs::path dir = fresh_dir("aime_episode_file_lie");
  std::string npy = serialize_npy({zeros({1, 2, 2, 3}, kUInt8), false});
  const std::string claim = "(200000, 64, 64, 3)", honest = "(1, 2, 2, 3)";
  const auto at = npy.find(honest);
  ASSERT_NE(at, std::string::npos);
  npy.replace(at, honest.size(), claim);
  npy.erase(npy.find('\n') - (claim.size() - honest.size()), claim.size() - honest.size());  // keep the header's length
  std::ofstream out(dir / "0.npz", std::ios::binary);
  ZipWriter zip(out);
  zip.add("image.npy", npy);
  zip.finish();
  out.close();
  try {
    EpisodeFile f((dir / "0.npz").string());
    FAIL() << "expected an error";
  } catch (const ValueError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("0.npz: image.npy"), std::string::npos) << m;
    EXPECT_NE(m.find("needs 2457600000 bytes"), std::string::npos) << m;
  }
  fs::remove_all(dir);
}

TEST(EpisodeFile, AFolderNamedLikeAnEpisodeIsRefusedByName) {
  const fs::path dir = fresh_dir("aime_episode_file_folder");
  save_episode((dir / "0.npz").string(), make(0, 4));
  fs::create_directories(dir / "1.npz");
  try {
    list_episode_files(dir.string());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("1.npz: named like an episode but not a regular file"), std::string::npos) << e.what();
  }
  EXPECT_THROW(EpisodeFile((dir / "1.npz").string()), Error);
  fs::remove_all(dir);
}

// options.keys: only the named keys are read, counted against the budget, collated and
// returned, so a folder whose images do not fit can still be held in memory for a model that
// reads its vectors only. index_first_episode reads headers alone.
TEST(SequenceDataset, SelectedKeysAreTheOnlyOnesReadOrCounted) {
  const fs::path dir = fresh_dir("aime_dataset_keys");
  write_folder(dir, {12, 9, 15}, Compression::Stored);
  const SequenceDataset head = index_first_episode(dir.string());
  EXPECT_FALSE(head.resident());
  EXPECT_EQ(head.num_episodes(), 1);
  EXPECT_EQ(head.step_shape("image"), (Shape{2, 3, 2}));
  SequenceDatasetOptions all;
  all.horizon = 4;
  SequenceDatasetOptions some = all;
  some.keys = {"pre_action", "reward"};
  const std::uint64_t vectors = (12 + 9 + 15) * (2 * 8 + 4);  // pre_action float64 [2], reward float32
  some.memory_budget = vectors;  // the images (12 bytes a step) would not fit beside them
  const SequenceDataset whole(dir.string(), all), selected(dir.string(), some);
  EXPECT_TRUE(selected.resident());
  EXPECT_EQ(selected.decoded_bytes(), vectors);
  EXPECT_EQ(whole.decoded_bytes(), vectors + (12 + 9 + 15) * (12 + 1));
  EXPECT_EQ(selected.episode(1).keys(), (std::vector<std::string>{"pre_action", "reward"}));
  SequenceSampler a(whole, 5, 3, Device::cpu(), false), b(selected, 5, 3, Device::cpu(), false);
  for (int i = 0; i < 5; ++i) {
    const Batch x = a.next(), y = b.next();
    EXPECT_EQ(y.keys(), (std::vector<std::string>{"pre_action", "reward"}));
    for (const char* key : {"pre_action", "reward"}) EXPECT_EQ(x.at(key).to_vector<float>(), y.at(key).to_vector<float>());
  }
  // On demand, the same keys only.
  some.memory_budget = 1;
  const SequenceDataset lazy(dir.string(), some);
  EXPECT_FALSE(lazy.resident());
  EXPECT_EQ(lazy.decoded_bytes(), vectors);
  EXPECT_EQ(lazy.episode(2).keys(), (std::vector<std::string>{"pre_action", "reward"}));
  fs::remove_all(dir);
}

TEST(SequenceDataset, OnDemandGivesTheSameBatchesAsInMemoryWithinItsBudget) {
  for (Compression c : {Compression::Stored, Compression::Deflate}) {
    const fs::path dir = fresh_dir("aime_dataset_on_demand");
    write_folder(dir, {12, 9, 15, 11, 10}, c);
    SequenceDatasetOptions resident_options;
    resident_options.horizon = 4;
    const SequenceDataset resident(dir.string(), resident_options);
    ASSERT_TRUE(resident.resident());
    SequenceDatasetOptions lazy_options = resident_options;
    // Two episodes' worth: the folder does not fit, so it is read on demand.
    const std::uint64_t one = EpisodeFile((dir / "0.npz").string()).decoded_bytes();
    lazy_options.memory_budget = 2 * one + one / 2;
    const SequenceDataset lazy(dir.string(), lazy_options);
    ASSERT_FALSE(lazy.resident());
    EXPECT_EQ(lazy.num_windows(), resident.num_windows());
    // Both count the same decoded bytes (the in-memory copy from its arrays, the other from
    // the headers), and say which path they took.
    EXPECT_EQ(lazy.decoded_bytes(), resident.decoded_bytes());
    EXPECT_EQ(resident.memory_in_use(), resident.decoded_bytes());
    EXPECT_EQ(resident.memory_summary().rfind("in memory, ", 0), 0u) << resident.memory_summary();
    EXPECT_EQ(lazy.memory_summary().rfind("read per batch: ", 0), 0u) << lazy.memory_summary();
    EXPECT_EQ(lazy.step_shape("image"), (Shape{2, 3, 2}));
    SequenceSampler a(resident, 6, 11, Device::cpu(), false), b(lazy, 6, 11, Device::cpu(), true);
    for (int i = 0; i < 20; ++i) {
      expect_same(a.next(), b.next());
      EXPECT_LE(lazy.memory_in_use(), lazy_options.memory_budget);
    }
    if (c == Compression::Deflate) EXPECT_GT(lazy.memory_in_use(), 0u);  // the cache holds something
    else EXPECT_EQ(lazy.memory_in_use(), 0u);                           // rows come straight from the files
    // Whole episodes still read, from the file.
    EXPECT_EQ(lazy.episode(2).at("reward").data.to_vector<float>(), resident.episode(2).at("reward").data.to_vector<float>());
    fs::remove_all(dir);
  }
}

TEST(SequenceDataset, MaxEpisodesNeverReadsTheRest) {
  const fs::path dir = fresh_dir("aime_dataset_max_episodes");
  write_folder(dir, {6, 6, 6}, Compression::Stored);
  std::ofstream(dir / "2.npz", std::ios::binary | std::ios::trunc) << "not a zip";
  SequenceDatasetOptions o;
  o.horizon = 3;
  EXPECT_THROW(SequenceDataset(dir.string(), o), ValueError);
  o.max_episodes = 2;
  const SequenceDataset ds(dir.string(), o);
  EXPECT_EQ(ds.num_episodes(), 2);
  fs::remove_all(dir);
}

TEST(SequenceDataset, ACompressedArrayLargerThanTheBudgetNamesTheFileKeyAndBudget) {
  const fs::path dir = fresh_dir("aime_dataset_over_budget");
  write_folder(dir, {40, 40}, Compression::Deflate);
  SequenceDatasetOptions o;
  o.horizon = 4;
  o.memory_budget = 100;  // bytes: less than one image array (40 x 12)
  const SequenceDataset ds(dir.string(), o);  // indexing reads headers only
  try {
    ds.collate({{0, 0}});
    FAIL() << "expected an error";
  } catch (const ValueError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("0.npz: key 'image' is compressed"), std::string::npos) << m;
    EXPECT_NE(m.find("memory budget"), std::string::npos) << m;
  }
  fs::remove_all(dir);
}

TEST(SequenceDataset, OnDemandRefusesNonFiniteRowsNamingTheFileKeyAndStep) {
  const fs::path dir = fresh_dir("aime_dataset_on_demand_nan");
  write_folder(dir, {8, 8}, Compression::Stored);
  Episode bad = make(1, 8);
  Tensor action = bad.at("pre_action").data.clone();
  action.data<double>()[5 * 2 + 1] = std::numeric_limits<double>::quiet_NaN();
  bad.set("pre_action", action);
  save_episode((dir / "1.npz").string(), bad);
  SequenceDatasetOptions o;
  o.horizon = 4;
  o.memory_budget = 64;
  const SequenceDataset ds(dir.string(), o);
  EXPECT_NO_THROW(ds.collate({{1, 0}}));  // steps 0-3 are finite
  try {
    ds.collate({{1, 3}});
    FAIL() << "expected an error";
  } catch (const ValueError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("1.npz: key 'pre_action' holds nan at element 11 (step 5)"), std::string::npos) << m;
  }
  fs::remove_all(dir);
}

TEST(SequenceSampler, ABatchLargerThanTheMachineIsRefusedNamingTheFlag) {
  const fs::path dir = fresh_dir("aime_sampler_giant");
  write_folder(dir, {8}, Compression::Stored);
  SequenceDatasetOptions o;
  o.horizon = 4;
  const SequenceDataset ds(dir.string(), o);
  try {
    SequenceSampler s(ds, 100000000000LL, 1);
    FAIL() << "expected an error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("--batch-size"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace aime::data
