#include "nn/serialize/json.h"

#include <gtest/gtest.h>

#include "autograd/error.h"

namespace aime::nn {
namespace {

TEST(Json, ParsesEveryKindOfValue) {
  const json::Value v = json::parse(R"( {"a": [1, -2.5e1, true, false, null], "s": "x\"\\\/\n\u00e9\ud83d\ude00",
                                       "big": 9007199254740993, "o": {}} )");
  ASSERT_TRUE(v.is_object());
  const json::Value& a = *v.find("a");
  ASSERT_EQ(a.array.size(), 5u);
  EXPECT_TRUE(a.array[0].is_integer);
  EXPECT_EQ(a.array[0].integer, 1);
  EXPECT_FALSE(a.array[1].is_integer);
  EXPECT_EQ(a.array[1].number, -25.0);
  EXPECT_TRUE(a.array[2].boolean);
  EXPECT_EQ(a.array[4].kind, json::Value::Kind::Null);
  EXPECT_EQ(v.find("s")->string, "x\"\\/\n\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(v.find("big")->integer, 9007199254740993LL);  // exact beyond 2^53
  EXPECT_EQ(v.find("missing"), nullptr);
}

TEST(Json, ErrorsGiveTheByteOffset) {
  try {
    json::parse("{\"a\": tru}");
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("at byte 6"), std::string::npos) << e.what();
  }
  EXPECT_THROW(json::parse("{\"a\": 1,}"), ValueError);
  EXPECT_THROW(json::parse("[1 2]"), ValueError);
  EXPECT_THROW(json::parse("\"unterminated"), ValueError);
  EXPECT_THROW(json::parse("{} extra"), ValueError);
  EXPECT_THROW(json::parse(std::string(100, '[')), ValueError);  // depth limit, not a stack overflow
  EXPECT_THROW(json::parse("-"), ValueError);
}

TEST(Json, QuoteEscapesWhatMustBeEscaped) {
  EXPECT_EQ(json::quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(json::parse(json::quote("tab\there \x1f")).string, "tab\there \x1f");
}

}  // namespace
}  // namespace aime::nn
