#include "data/sequence_sampler.h"

#include <gtest/gtest.h>

#include <map>

#include "autograd/api.h"

namespace aime::data {
namespace {

SequenceDataset dataset() {
  // Lengths 5, 7, 9 with horizon 3: 3 + 5 + 7 = 15 windows.
  std::vector<Episode> episodes;
  for (std::int64_t T : {5, 7, 9}) {
    Episode e;
    e.set("x", arange(0, static_cast<double>(T), 1, kFloat32).reshape({T, 1}));
    episodes.push_back(e);
  }
  SequenceDatasetOptions o;
  o.horizon = 3;
  return SequenceDataset(std::move(episodes), {}, o);
}

std::vector<std::pair<std::int64_t, std::int64_t>> draws(SequenceSampler& s, int batches) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (int i = 0; i < batches; ++i) {
    s.next();
    for (const auto& w : s.last_windows()) out.emplace_back(w.episode, w.start);
  }
  return out;
}

TEST(SequenceSampler, ReproducibleForASeedWithOrWithoutPrefetch) {
  const SequenceDataset ds = dataset();
  SequenceSampler a(ds, 4, 7, Device::cpu(), true), b(ds, 4, 7, Device::cpu(), false), c(ds, 4, 8);
  const auto da = draws(a, 20), db = draws(b, 20), dc = draws(c, 20);
  EXPECT_EQ(da, db);
  EXPECT_NE(da, dc);
}

TEST(SequenceSampler, StartBatchContinuesTheSequence) {
  const SequenceDataset ds = dataset();
  SequenceSampler whole(ds, 4, 7), resumed(ds, 4, 7, Device::cpu(), true, 5);
  const auto all = draws(whole, 8), tail = draws(resumed, 3);
  const decltype(tail) expected(all.begin() + 20, all.end());  // batches 5..7 of 4 windows each
  EXPECT_EQ(expected, tail);
}

TEST(SequenceSampler, RowsAreAShareOfTheWholeBatch) {
  const SequenceDataset ds = dataset();
  SequenceSampler whole(ds, 5, 7, Device::cpu(), true, 2);
  const auto all = draws(whole, 4);
  std::vector<std::pair<std::int64_t, std::int64_t>> joined(all.size());
  for (auto [begin, end] : std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 2}, {2, 4}, {4, 5}}) {
    SequenceSampler part(ds, 5, 7, Device::cpu(), begin == 0, 2, {5, begin, end});
    for (int b = 0; b < 4; ++b) {
      const Batch batch = part.next();
      ASSERT_EQ(batch.at("x").size(1), end - begin);  // [T, B_r, 1]: only the share is collated
      for (std::int64_t i = begin; i < end; ++i)
        joined[static_cast<std::size_t>(b * 5 + i)] = {part.last_windows()[static_cast<std::size_t>(i - begin)].episode,
                                                        part.last_windows()[static_cast<std::size_t>(i - begin)].start};
    }
  }
  EXPECT_EQ(joined, all);
  EXPECT_THROW(SequenceSampler(ds, 5, 7, Device::cpu(), false, 0, {4, 0, 2}), ValueError);  // not this batch's rows
  EXPECT_THROW(SequenceSampler(ds, 5, 7, Device::cpu(), false, 0, {5, 3, 3}), ValueError);
}

// Chi-square test that every valid start position is equally likely: 15 windows, 30,000
// draws, 14 degrees of freedom; the 0.999 quantile is 36.12.
TEST(SequenceSampler, WindowsAreUniformOverValidStarts) {
  const SequenceDataset ds = dataset();
  SequenceSampler s(ds, 50, 1);
  std::map<std::pair<std::int64_t, std::int64_t>, int> counts;
  const auto d = draws(s, 600);
  for (const auto& w : d) ++counts[w];
  EXPECT_EQ(counts.size(), 15u);
  const double expected = static_cast<double>(d.size()) / 15.0;
  double chi2 = 0;
  for (const auto& [w, n] : counts) {
    EXPECT_LE(w.second + 3, std::vector<std::int64_t>({5, 7, 9})[static_cast<std::size_t>(w.first)]);  // a valid start
    chi2 += (n - expected) * (n - expected) / expected;
  }
  EXPECT_LT(chi2, 36.12);
}

TEST(SequenceSampler, BatchesHoldTheWindowsTheyReport) {
  const SequenceDataset ds = dataset();
  SequenceSampler s(ds, 6, 3);
  for (int i = 0; i < 5; ++i) {
    const Batch batch = s.next();
    const Tensor& x = batch.at("x");
    ASSERT_EQ(x.shape(), (Shape{3, 6, 1}));
    for (std::int64_t b = 0; b < 6; ++b) {
      const auto& w = s.last_windows()[static_cast<std::size_t>(b)];
      for (std::int64_t t = 0; t < 3; ++t)
        EXPECT_EQ(x.select(0, t).select(0, b).item(), static_cast<double>(w.start + t));
    }
  }
  EXPECT_THROW(SequenceSampler(ds, 0, 1), ValueError);
}

}  // namespace
}  // namespace aime::data
