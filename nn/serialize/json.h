// A small JSON reader and writer for file headers (safetensors) and metadata: enough of
// RFC 8259 to read what Python's json and Rust's serde_json write, with limits so that a
// corrupt file fails with a clear error instead of exhausting the stack or the memory.
// Integers without fraction or exponent are kept exact (int64/uint64 byte offsets).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace aime::nn::json {

class Value {
 public:
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  double number = 0.0;
  bool is_integer = false;  // written without fraction or exponent and fits in int64
  std::int64_t integer = 0;
  std::string string;
  std::vector<Value> array;
  std::vector<std::pair<std::string, Value>> object;  // in file order

  bool is_object() const { return kind == Kind::Object; }
  bool is_array() const { return kind == Kind::Array; }
  bool is_string() const { return kind == Kind::String; }
  // The member named key, or nullptr.
  const Value* find(const std::string& key) const;
};

// Parses a whole document (trailing whitespace allowed); throws ValueError with the byte
// offset and what was expected. Nesting deeper than max_depth fails.
Value parse(const std::string& text, int max_depth = 64);

// A JSON string literal (with quotes) for s, escaping what must be escaped.
std::string quote(const std::string& s);

}  // namespace aime::nn::json
