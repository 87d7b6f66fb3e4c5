#include "nn/serialize/pickle.h"

#include <cstring>
#include <limits>
#include <unordered_map>

#include "autograd/error.h"

using namespace std::string_literals;

namespace aime::nn::pickle {

namespace {

// ---- the machine's values -------------------------------------------------------------
// Every value lives in one arena and refers to others by raw pointer, so that a pickle that
// nests deeply or builds cycles (a list appended to itself through the memo) can neither
// overflow the stack on destruction nor leak.
enum class Kind { None, Bool, Int, Float, Str, Bytes, Tuple, List, Dict, Global, Storage, Tensor };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::Str: return "str";
    case Kind::Bytes: return "bytes";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Global: return "global";
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
  }
  return "?";
}

struct Value {
  Kind kind = Kind::None;
  bool b = false;
  std::int64_t i = 0;
  double f = 0;
  std::string s;                                // Str, Bytes; Global: "module.name"
  std::vector<Value*> items;                    // Tuple, List
  std::vector<std::pair<Value*, Value*>> dict;  // Dict (insertion order)
  TensorRecord tensor;                          // Storage (key, type, location, numel) and Tensor
  int depth = 1;                                // containers: 1 + deepest child
};

constexpr int kMaxDepth = 64;

const char* const kStorageTypes[][2] = {
    {"FloatStorage", "4"}, {"DoubleStorage", "8"}, {"HalfStorage", "2"}, {"BFloat16Storage", "2"},
    {"LongStorage", "8"},  {"IntStorage", "4"},    {"ShortStorage", "2"}, {"CharStorage", "1"},
    {"ByteStorage", "1"},  {"BoolStorage", "1"}};

class Machine {
 public:
  Machine(const std::string& bytes, const std::string& source) : b_(bytes), source_(source) {}

  Value* run() {
    while (true) {
      if (pos_ >= b_.size()) fail("the pickle ends without STOP");
      op_at_ = pos_;
      const auto op = static_cast<unsigned char>(b_[pos_++]);
      if (op == '.') {  // STOP
        if (stack_.empty()) fail("STOP with an empty stack");
        return stack_.back();
      }
      step(op);
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw ValueError(source_ + ": byte " + std::to_string(op_at_) + ": " + what);
  }

  // ---- reading the byte stream ----
  std::uint64_t le(std::size_t n) {
    if (b_.size() - pos_ < n) fail("truncated (an argument runs past the end)");
    std::uint64_t v = 0;
    for (std::size_t k = 0; k < n; ++k) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(b_[pos_ + k])) << (8 * k);
    pos_ += n;
    return v;
  }
  std::string take(std::uint64_t n) {
    if (b_.size() - pos_ < n) fail("truncated (a string of " + std::to_string(n) + " bytes runs past the end)");
    std::string s = b_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return s;
  }
  std::string line() {
    const std::size_t end = b_.find('\n', pos_);
    if (end == std::string::npos) fail("truncated (no newline after a text argument)");
    std::string s = b_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  std::int64_t decimal(const std::string& text) {
    std::string t = text;
    if (!t.empty() && t.back() == 'L') t.pop_back();
    if (t.empty() || t.size() > 19) fail("bad or too large text integer '" + text + "'");
    std::size_t k = (t[0] == '-' || t[0] == '+') ? 1 : 0;
    if (k == t.size()) fail("bad text integer '" + text + "'");
    for (std::size_t j = k; j < t.size(); ++j)
      if (t[j] < '0' || t[j] > '9') fail("bad text integer '" + text + "'");
    return std::stoll(t);
  }

  // ---- values ----
  Value* make(Kind k) {
    arena_.push_back(std::make_unique<Value>());
    arena_.back()->kind = k;
    return arena_.back().get();
  }
  Value* make_int(std::int64_t v) {
    Value* x = make(Kind::Int);
    x->i = v;
    return x;
  }
  Value* make_str(Kind k, std::string s) {
    Value* x = make(k);
    x->s = std::move(s);
    return x;
  }
  void nest(Value* container, const Value* child) {
    if (child->depth + 1 > container->depth) container->depth = child->depth + 1;
    if (container->depth > kMaxDepth) fail("containers nested more than " + std::to_string(kMaxDepth) + " deep");
  }
  void push(Value* v) { stack_.push_back(v); }
  Value* pop() {
    if (stack_.size() <= floor()) fail("stack underflow");
    Value* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Value* top() {
    if (stack_.size() <= floor()) fail("stack underflow");
    return stack_.back();
  }
  std::size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  // The values above the last mark, which is removed.
  std::vector<Value*> pop_mark() {
    if (marks_.empty()) fail("no MARK to pop to");
    const std::size_t m = marks_.back();
    marks_.pop_back();
    std::vector<Value*> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  Value* tuple(std::vector<Value*> items) {
    Value* t = make(Kind::Tuple);
    for (const Value* c : items) nest(t, c);
    t->items = std::move(items);
    return t;
  }
  void memo_put(std::uint64_t index) {
    if (index > 100000000ull) fail("memo index " + std::to_string(index) + " out of range");
    memo_[index] = top();
  }
  void memo_get(std::uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo reference " + std::to_string(index) + " was never stored");
    push(it->second);
  }
  void set_items(Value* dict, const std::vector<Value*>& kv) {
    if (dict->kind != Kind::Dict) fail(std::string("SETITEM(S) on a ") + kind_name(dict->kind) + ", not a dict");
    if (kv.size() % 2) fail("SETITEMS with an odd number of values");
    for (std::size_t k = 0; k < kv.size(); k += 2) {
      nest(dict, kv[k]);
      nest(dict, kv[k + 1]);
      bool replaced = false;
      if (kv[k]->kind == Kind::Str)
        for (auto& [key, value] : dict->dict)
          if (key->kind == Kind::Str && key->s == kv[k]->s) value = kv[k + 1], replaced = true;
      if (!replaced) dict->dict.emplace_back(kv[k], kv[k + 1]);
    }
  }
  void append(Value* list, const std::vector<Value*>& items) {
    if (list->kind != Kind::List) fail(std::string("APPEND(S) on a ") + kind_name(list->kind) + ", not a list");
    for (Value* v : items) {
      nest(list, v);
      list->items.push_back(v);
    }
  }

  // ---- globals: accepted by name only ----
  void global(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    bool ok = full == "collections.OrderedDict" || full == "torch._utils._rebuild_tensor_v2" ||
              full == "torch._utils._rebuild_parameter" || full == "torch._utils._rebuild_parameter_with_state";
    if (module == "torch")
      for (const auto& st : kStorageTypes) ok = ok || name == st[0];
    if (!ok)
      fail("the pickle names the global '" + full +
           "', which a state dict never needs; refused (nothing in the file is executed)");
    push(make_str(Kind::Global, full));
  }
  std::vector<std::int64_t> int_tuple(const Value* v, const char* what) {
    if (v->kind != Kind::Tuple) fail(std::string("_rebuild_tensor_v2: ") + what + " must be a tuple, got " + kind_name(v->kind));
    std::vector<std::int64_t> out;
    for (const Value* x : v->items) {
      if (x->kind != Kind::Int) fail(std::string("_rebuild_tensor_v2: ") + what + " must hold ints");
      out.push_back(x->i);
    }
    return out;
  }
  void reduce() {
    Value* args = pop();
    Value* callable = pop();
    if (callable->kind != Kind::Global) fail(std::string("REDUCE calls a ") + kind_name(callable->kind) + ", not a global");
    if (args->kind != Kind::Tuple) fail("REDUCE arguments must be a tuple");
    const auto& a = args->items;
    const std::string& f = callable->s;
    if (f == "collections.OrderedDict") {
      if (!a.empty()) fail("OrderedDict(...) with arguments is not a state dict's layout");
      push(make(Kind::Dict));
    } else if (f == "torch._utils._rebuild_tensor_v2") {
      if (a.size() != 6 && a.size() != 7) fail("_rebuild_tensor_v2 takes 6 or 7 arguments, got " + std::to_string(a.size()));
      if (a[0]->kind != Kind::Storage) fail("_rebuild_tensor_v2: the first argument must be a storage (a persistent id)");
      if (a[1]->kind != Kind::Int) fail("_rebuild_tensor_v2: storage_offset must be an int");
      if (a[4]->kind != Kind::Bool) fail("_rebuild_tensor_v2: requires_grad must be a bool");
      if (a[5]->kind != Kind::Dict || !a[5]->dict.empty()) fail("_rebuild_tensor_v2: backward hooks must be an empty dict");
      Value* t = make(Kind::Tensor);
      t->tensor = a[0]->tensor;
      t->tensor.offset = a[1]->i;
      t->tensor.sizes = int_tuple(a[2], "size");
      t->tensor.strides = int_tuple(a[3], "stride");
      if (t->tensor.sizes.size() != t->tensor.strides.size()) fail("_rebuild_tensor_v2: size and stride differ in length");
      push(t);
    } else if (f == "torch._utils._rebuild_parameter" || f == "torch._utils._rebuild_parameter_with_state") {
      if (a.size() < 3 || a[0]->kind != Kind::Tensor) fail(f + ": the first argument must be a tensor");
      push(a[0]);
    } else {
      fail("'" + f + "' cannot be called (a storage class is only valid inside a persistent id)");
    }
  }
  void persistent_id(Value* pid) {
    if (pid->kind != Kind::Tuple || pid->items.size() != 5 || pid->items[0]->kind != Kind::Str ||
        pid->items[0]->s != "storage")
      fail("a persistent id must be ('storage', class, key, location, numel)");
    const auto& a = pid->items;
    if (a[1]->kind != Kind::Global || a[1]->s.rfind("torch.", 0) != 0 || !storage_element_size(a[1]->s.substr(6)))
      fail("persistent id: the second field must be a torch storage class");
    if (a[2]->kind != Kind::Str || a[3]->kind != Kind::Str || a[4]->kind != Kind::Int)
      fail("persistent id: key and location must be strings, numel an int");
    if (a[4]->i < 0) fail("persistent id: negative storage size " + std::to_string(a[4]->i));
    Value* s = make(Kind::Storage);
    s->tensor.storage_type = a[1]->s.substr(6);
    s->tensor.storage_key = a[2]->s;
    s->tensor.location = a[3]->s;
    s->tensor.storage_numel = a[4]->i;
    push(s);
  }

  void step(unsigned char op) {
    switch (op) {
      case 0x80: {  // PROTO
        const auto v = le(1);
        if (v > 5) fail("pickle protocol " + std::to_string(v) + " (this reader knows 0-5)");
        return;
      }
      case 0x95: le(8); return;  // FRAME: a hint only
      case '(': marks_.push_back(stack_.size()); return;
      case '0': pop(); return;
      case '1': pop_mark(); return;
      case '2': push(top()); return;
      case 'N': push(make(Kind::None)); return;
      case 0x88: case 0x89: {
        Value* v = make(Kind::Bool);
        v->b = op == 0x88;
        push(v);
        return;
      }
      case 'J': push(make_int(static_cast<std::int32_t>(static_cast<std::uint32_t>(le(4))))); return;
      case 'K': push(make_int(static_cast<std::int64_t>(le(1)))); return;
      case 'M': push(make_int(static_cast<std::int64_t>(le(2)))); return;
      case 0x8a: case 0x8b: {  // LONG1, LONG4: little-endian two's complement
        const std::uint64_t n = le(op == 0x8a ? 1 : 4);
        if (n > 8) fail("an integer of " + std::to_string(n) + " bytes (more than 64 bits)");
        std::uint64_t v = le(static_cast<std::size_t>(n));
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~0ull << (8 * n);
        push(make_int(static_cast<std::int64_t>(v)));
        return;
      }
      case 'I': {  // INT (text); "00"/"01" are False/True
        const std::string t = line();
        if (t == "00" || t == "01") {
          Value* v = make(Kind::Bool);
          v->b = t == "01";
          push(v);
        } else {
          push(make_int(decimal(t)));
        }
        return;
      }
      case 'L': push(make_int(decimal(line()))); return;
      case 'G': {  // BINFLOAT: big-endian IEEE double
        const std::string raw = take(8);
        std::uint64_t bits = 0;
        for (unsigned char c : raw) bits = (bits << 8) | c;
        Value* v = make(Kind::Float);
        std::memcpy(&v->f, &bits, 8);
        push(v);
        return;
      }
      case 'X': push(make_str(Kind::Str, take(le(4)))); return;
      case 0x8c: push(make_str(Kind::Str, take(le(1)))); return;
      case 0x8d: push(make_str(Kind::Str, take(le(8)))); return;
      case 'T': push(make_str(Kind::Str, take(le(4)))); return;  // BINSTRING (py2 str)
      case 'U': push(make_str(Kind::Str, take(le(1)))); return;
      case 'V': push(make_str(Kind::Str, line())); return;  // UNICODE (raw text)
      case 'B': push(make_str(Kind::Bytes, take(le(4)))); return;
      case 'C': push(make_str(Kind::Bytes, take(le(1)))); return;
      case 0x8e: push(make_str(Kind::Bytes, take(le(8)))); return;
      case ')': push(make(Kind::Tuple)); return;
      case 't': push(tuple(pop_mark())); return;
      case 0x85: case 0x86: case 0x87: {
        const std::size_t n = op - 0x84u;
        if (stack_.size() < floor() + n) fail("stack underflow");
        std::vector<Value*> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
        stack_.resize(stack_.size() - n);
        push(tuple(std::move(items)));
        return;
      }
      case ']': push(make(Kind::List)); return;
      case 'l': {
        std::vector<Value*> items = pop_mark();
        Value* l = make(Kind::List);
        append(l, items);
        push(l);
        return;
      }
      case 'a': {
        Value* v = pop();
        append(top(), {v});
        return;
      }
      case 'e': {
        std::vector<Value*> items = pop_mark();
        append(top(), items);
        return;
      }
      case '}': push(make(Kind::Dict)); return;
      case 'd': {
        std::vector<Value*> kv = pop_mark();
        Value* d = make(Kind::Dict);
        set_items(d, kv);
        push(d);
        return;
      }
      case 's': {
        Value* v = pop();
        Value* k = pop();
        set_items(top(), {k, v});
        return;
      }
      case 'u': {
        std::vector<Value*> kv = pop_mark();
        set_items(top(), kv);
        return;
      }
      case 'c': {
        const std::string module = line();
        const std::string name = line();
        global(module, name);
        return;
      }
      case 0x93: {  // STACK_GLOBAL
        Value* name = pop();
        Value* module = pop();
        if (module->kind != Kind::Str || name->kind != Kind::Str) fail("STACK_GLOBAL needs two strings");
        global(module->s, name->s);
        return;
      }
      case 'R': reduce(); return;
      case 'b': {  // BUILD: only the state dict's own `_metadata` attribute dict
        Value* state = pop();
        Value* target = top();
        if (target->kind != Kind::Dict || (state->kind != Kind::Dict && state->kind != Kind::None))
          fail(std::string("BUILD sets the state of a ") + kind_name(target->kind) + ", which a state dict never does");
        return;
      }
      case 'Q': persistent_id(pop()); return;
      case 'q': memo_put(le(1)); return;
      case 'r': memo_put(le(4)); return;
      case 0x94: memo_put(memo_.size()); return;
      case 'h': memo_get(le(1)); return;
      case 'j': memo_get(le(4)); return;
      case 'p': memo_put(static_cast<std::uint64_t>(decimal(line()))); return;
      case 'g': memo_get(static_cast<std::uint64_t>(decimal(line()))); return;
      case 0x81: case 0x92: case 'i': case 'o':
        fail("the pickle builds an object of a class (NEWOBJ/INST/OBJ), which a state dict never does; refused");
      case 'P': fail("a text persistent id (PERSID); torch writes BINPERSID");
      default: {
        static const char* hex = "0123456789abcdef";
        fail(std::string("unknown or unsupported opcode 0x") + hex[op >> 4] + hex[op & 15]);
      }
    }
  }

  const std::string& b_;
  const std::string& source_;
  std::size_t pos_ = 0, op_at_ = 0;
  std::vector<std::unique_ptr<Value>> arena_;
  std::vector<Value*> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, Value*> memo_;
};

// ---- writing --------------------------------------------------------------------------
void put_le(std::string& out, std::uint64_t v, int n) {
  for (int k = 0; k < n; ++k) out += static_cast<char>((v >> (8 * k)) & 0xFF);
}
void put_int(std::string& out, std::int64_t v) {
  if (v >= 0 && v < 256) {
    out += 'K';
    put_le(out, static_cast<std::uint64_t>(v), 1);
  } else if (v >= 0 && v < 65536) {
    out += 'M';
    put_le(out, static_cast<std::uint64_t>(v), 2);
  } else if (v >= std::numeric_limits<std::int32_t>::min() && v <= std::numeric_limits<std::int32_t>::max()) {
    out += 'J';
    put_le(out, static_cast<std::uint32_t>(static_cast<std::int32_t>(v)), 4);
  } else {
    out += static_cast<char>(0x8a);
    out += static_cast<char>(8);
    put_le(out, static_cast<std::uint64_t>(v), 8);
  }
}
void put_str(std::string& out, const std::string& s) {
  out += 'X';
  put_le(out, s.size(), 4);
  out += s;
}
void put_int_tuple(std::string& out, const std::vector<std::int64_t>& v) {
  out += '(';
  for (std::int64_t x : v) put_int(out, x);
  out += 't';
}

}  // namespace

std::size_t storage_element_size(const std::string& storage_type) {
  for (const auto& st : kStorageTypes)
    if (storage_type == st[0]) return static_cast<std::size_t>(st[1][0] - '0');
  return 0;
}

std::vector<std::pair<std::string, TensorRecord>> unpickle_state_dict(const std::string& bytes,
                                                                      const std::string& source) {
  Machine machine(bytes, source);
  const Value* root = machine.run();
  if (root->kind != Kind::Dict)
    throw ValueError(source + ": the pickle holds a " + kind_name(root->kind) + ", not a state dict (a dict of tensors)");
  std::vector<std::pair<std::string, TensorRecord>> out;
  for (const auto& [key, value] : root->dict) {
    if (key->kind != Kind::Str) throw ValueError(source + ": a state dict key is a " + std::string(kind_name(key->kind)) + ", not a str");
    if (value->kind != Kind::Tensor)
      throw ValueError(source + ": entry '" + key->s + "' is a " + kind_name(value->kind) + ", not a tensor");
    out.emplace_back(key->s, value->tensor);
  }
  return out;
}

std::string pickle_state_dict(const std::vector<std::pair<std::string, TensorRecord>>& entries) {
  std::string out = "\x80\x02";
  out += "ccollections\nOrderedDict\nq\x00)R"s;
  if (!entries.empty()) {
    out += '(';
    for (const auto& [name, r] : entries) {
      put_str(out, name);
      out += "ctorch._utils\n_rebuild_tensor_v2\n(";
      out += '(';
      put_str(out, "storage");
      out += "ctorch\n" + r.storage_type + "\n";
      put_str(out, r.storage_key);
      put_str(out, r.location);
      put_int(out, r.storage_numel);
      out += "tQ";
      put_int(out, r.offset);
      put_int_tuple(out, r.sizes);
      put_int_tuple(out, r.strides);
      out += static_cast<char>(0x89);  // requires_grad False
      out += "h\x00)R"s;               // OrderedDict() (memo 0): no backward hooks
      out += "tR";
    }
    out += 'u';
  }
  out += '.';
  return out;
}

}  // namespace aime::nn::pickle
