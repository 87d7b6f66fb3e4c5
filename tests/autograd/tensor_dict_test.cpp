#include "autograd/tensor_dict.h"

#include <gtest/gtest.h>

#include "autograd/api.h"

namespace aime {
namespace {

TEST(TensorDict, KeepsInsertionOrderAndReplacesInPlace) {
  TensorDict s;
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

TEST(TensorDict, FindAndInitializerList) {
  const TensorDict s{{"x", ones({2})}, {"y", zeros({1})}, {"x", zeros({4})}};
  EXPECT_EQ(s.keys(), (std::vector<std::string>{"x", "y"}));
  ASSERT_NE(s.find("x"), nullptr);
  EXPECT_EQ(s.find("x")->numel(), 4);  // a repeated name replaces, in place
  EXPECT_EQ(s.find("z"), nullptr);
  EXPECT_EQ(&s.require("y", "Encoder"), s.find("y"));
  try {
    s.require("z", "Encoder");
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_EQ(std::string(e.what()), "Encoder: the batch has no 'z'");
  }
}

TEST(TensorDict, EraseKeepsTheOthersInOrder) {
  TensorDict s{{"a", ones({1})}, {"b", ones({2})}, {"c", ones({3})}};
  EXPECT_TRUE(s.erase("b"));
  EXPECT_FALSE(s.erase("b"));
  EXPECT_EQ(s.keys(), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(s.at("c").numel(), 3);  // the index moved with the items
  s.set("b", zeros({4}));
  EXPECT_EQ(s.keys(), (std::vector<std::string>{"a", "c", "b"}));
}

}  // namespace
}  // namespace aime
