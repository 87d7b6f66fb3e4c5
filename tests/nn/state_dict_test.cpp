#include "nn/state_dict.h"

#include <gtest/gtest.h>

#include "autograd/aime.h"

namespace aime::nn {
namespace {

TEST(StateDict, KeepsInsertionOrderAndReplacesInPlace) {
  StateDict s;
  s.set("b", ones({1}));
  s.set("a", zeros({2}));
  s.set("b", zeros({3}));
  EXPECT_EQ(s.keys(), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(s.at("b").numel(), 3);
  EXPECT_TRUE(s.contains("a"));
  EXPECT_FALSE(s.contains("c"));
  try {
    s.at("c");
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("'c'"), std::string::npos);
  }
}

}  // namespace
}  // namespace aime::nn
