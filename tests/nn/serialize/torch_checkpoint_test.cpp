#include "nn/serialize/torch_checkpoint.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "autograd/api.h"
#include "io/zip.h"
#include "nn/serialize/pickle.h"

namespace aime::nn {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

// A python3 that imports torch, or "" (the tests that need PyTorch then skip).
std::string python_with_torch() {
  for (const char* candidate : {"/usr/bin/python3", "python3"}) {
    const std::string cmd = std::string(candidate) + " -c 'import torch' > /dev/null 2>&1";
    if (std::system(cmd.c_str()) == 0) return candidate;
  }
  return "";
}

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("aime_torch_ckpt_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void expect_bit_identical(const StateDict& a, const StateDict& b) {
  ASSERT_EQ(a.keys(), b.keys());
  for (const auto& [name, t] : a) {
    const Tensor& u = b.at(name);
    ASSERT_EQ(t.shape(), u.shape()) << name;
    ASSERT_EQ(t.dtype(), u.dtype()) << name;
    const Tensor tc = t.contiguous(), uc = u.contiguous();
    EXPECT_EQ(std::memcmp(tc.data_ptr(), uc.data_ptr(), static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype())), 0)
        << name;
  }
}

StateDict example_state_dict() {
  StateDict sd;
  Generator gen(3);
  sd.set("encoder.weight", randn({4, 3}, gen));
  sd.set("encoder.bias", randn({4}, gen));
  sd.set("scalar", full({}, 2.5));
  sd.set("empty", Tensor::empty({0, 5}));
  sd.set("double", randn({2, 2}, gen).to(kFloat64));
  sd.set("steps", full({3}, 7.0, kInt64));
  return sd;
}

// An archive in torch's layout around a hand-written pickle and raw storages.
std::string archive(const std::string& pickle, const std::vector<std::pair<std::string, std::string>>& storages = {}) {
  std::ostringstream out;
  io::ZipWriter zip(out);
  zip.add("archive/data.pkl", pickle);
  for (const auto& [key, bytes] : storages) zip.add("archive/data/" + key, bytes);
  zip.add("archive/version", "3\n");
  zip.finish();
  return out.str();
}

std::string floats(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), std::data(v), s.size());
  return s;
}

// A protocol-2 pickle of {"w": tensor} with the given view, by our own writer.
std::string one_tensor_pickle(std::int64_t numel, std::int64_t offset, std::vector<std::int64_t> sizes,
                              std::vector<std::int64_t> strides, const std::string& type = "FloatStorage") {
  pickle::TensorRecord r;
  r.storage_key = "0";
  r.storage_type = type;
  r.location = "cpu";
  r.storage_numel = numel;
  r.offset = offset;
  r.sizes = std::move(sizes);
  r.strides = std::move(strides);
  return pickle::pickle_state_dict({{"w", r}});
}

std::string error_of(const std::string& bytes) {
  try {
    parse_torch_checkpoint(bytes, "bad.pt");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Floats load as the dtype asked for (the model's): float32 unless told otherwise.
StateDict as_float32(StateDict sd) {
  for (const auto& name : sd.keys())
    if (sd.at(name).dtype() == kFloat64) sd.set(name, sd.at(name).to(kFloat32));
  return sd;
}

TEST(TorchCheckpoint, RoundTripIsBitIdentical) {
  StateDict sd = example_state_dict();
  const std::string bytes = serialize_torch_checkpoint(sd);
  expect_bit_identical(as_float32(sd), parse_torch_checkpoint(bytes, "mem.pt"));
  sd.erase("double");
  expect_bit_identical(sd, parse_torch_checkpoint(serialize_torch_checkpoint(sd), "mem.pt"));
  EXPECT_EQ(bytes, serialize_torch_checkpoint(example_state_dict()));  // reproducible bytes
  // Every entry's data starts at a multiple of 64 bytes, as torch aligns them.
  const io::ZipReader zip(bytes, "mem.pt");
  for (const auto& e : zip.entries()) {
    const std::uint64_t name_len = static_cast<unsigned char>(bytes[e.local_header_offset + 26]) |
                                   (static_cast<unsigned char>(bytes[e.local_header_offset + 27]) << 8);
    const std::uint64_t extra_len = static_cast<unsigned char>(bytes[e.local_header_offset + 28]) |
                                    (static_cast<unsigned char>(bytes[e.local_header_offset + 29]) << 8);
    EXPECT_EQ((e.local_header_offset + 30 + name_len + extra_len) % 64, 0u) << e.name;
  }
}

TEST(TorchCheckpoint, Float64LoadsAsRequested) {
  StateDict sd;
  sd.set("x", full({3}, 0.1));
  const StateDict wide = parse_torch_checkpoint(serialize_torch_checkpoint(sd), "mem.pt", kFloat64);
  EXPECT_EQ(wide.at("x").dtype(), kFloat64);
  EXPECT_EQ(wide.at("x").to_vector<double>()[0], static_cast<double>(0.1f));
}

TEST(TorchCheckpoint, ViewsOfASharedStorage) {
  // storage [0..11]; "w" = rows 1..2 transposed: offset 4, size (4, 2), stride (1, 4).
  const std::string pkl = one_tensor_pickle(12, 4, {4, 2}, {1, 4});
  std::string storage;
  for (int i = 0; i < 12; ++i) storage += floats({static_cast<float>(i)});
  const StateDict sd = parse_torch_checkpoint(archive(pkl, {{"0", storage}}), "views.pt");
  EXPECT_EQ(sd.at("w").shape(), (Shape{4, 2}));
  EXPECT_EQ(sd.at("w").to_vector<float>(), (std::vector<float>{4, 8, 5, 9, 6, 10, 7, 11}));
}

TEST(TorchCheckpoint, HalfAndBFloat16Widen) {
  // 1.0 and -2.0 in binary16 (0x3C00, 0xC000) and in bfloat16 (0x3F80, 0xC000).
  for (const auto& [type, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"HalfStorage", std::string("\x00\x3C\x00\xC0", 4)}, {"BFloat16Storage", std::string("\x80\x3F\x00\xC0", 4)}}) {
    const StateDict sd = parse_torch_checkpoint(archive(one_tensor_pickle(2, 0, {2}, {1}, type), {{"0", bytes}}), "h.pt");
    EXPECT_EQ(sd.at("w").to_vector<float>(), (std::vector<float>{1.0f, -2.0f})) << type;
  }
}

TEST(TorchCheckpoint, AnyLocationLoadsOnTheCpu) {
  TorchSaveOptions o;
  o.location = "cuda:0";
  const StateDict sd = example_state_dict();
  expect_bit_identical(as_float32(sd), parse_torch_checkpoint(serialize_torch_checkpoint(sd, o), "gpu.pt"));
}

TEST(TorchCheckpoint, RefusesGlobalsAStateDictNeverNeeds) {
  for (const char* global : {"posix\nsystem\n", "builtins\neval\n", "os\nsystem\n", "torch\nload\n"}) {
    // {'w': posix.system('true')}
    const std::string pkl = "\x80\x02}q\x00X\x01\x00\x00\x00wc"s + global + "X\x04\x00\x00\x00true\x85Rs."s;
    const std::string msg = error_of(archive(pkl));
    std::string dotted = global;
    dotted[dotted.find('\n')] = '.';
    dotted.pop_back();
    EXPECT_NE(msg.find("'" + dotted + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("refused"), std::string::npos) << msg;
  }
  // STACK_GLOBAL (protocol 4) is checked the same way.
  const std::string pkl4 = std::string("\x80\x04\x8c\x08" "builtins\x8c\x04" "eval\x93.", 20);
  EXPECT_NE(error_of(archive(pkl4)).find("'builtins.eval'"), std::string::npos);
  // Objects of classes (NEWOBJ) are refused too.
  EXPECT_NE(error_of(archive(std::string("\x80\x02\x81.", 4))).find("NEWOBJ"), std::string::npos);
}

TEST(TorchCheckpoint, BadFilesNameTheFault) {
  const StateDict sd = example_state_dict();
  const std::string good = serialize_torch_checkpoint(sd);
  std::string storage = floats({1, 2, 3, 4, 5, 6});
  auto expect_error = [](const std::string& bytes, const std::string& part) {
    const std::string msg = error_of(bytes);
    EXPECT_NE(msg.find("bad.pt"), std::string::npos) << msg;
    EXPECT_NE(msg.find(part), std::string::npos) << "expected '" << part << "' in: " << msg;
  };
  expect_error(good.substr(0, good.size() / 2), "bad.pt");                                       // truncated archive
  expect_error("not a checkpoint", "not a PyTorch checkpoint");
  expect_error(std::string("\x80\x02\x8a\x0a", 4) + std::string(20, 'x'), "legacy");           // pre-1.6 format
  expect_error(archive(one_tensor_pickle(6, 0, {2, 3}, {3, 1}), {{"0", storage.substr(0, 20)}}), "holds 20 bytes");
  expect_error(archive(one_tensor_pickle(6, 0, {2, 4}, {3, 1}), {{"0", storage}}), "runs past its storage");
  expect_error(archive(one_tensor_pickle(6, 0, {-2, 3}, {3, 1}), {{"0", storage}}), "negative size");
  expect_error(archive(one_tensor_pickle(6, 0, {2, 3}, {-3, 1}), {{"0", storage}}), "negative stride");
  expect_error(archive(one_tensor_pickle(6, -1, {2, 3}, {3, 1}), {{"0", storage}}), "negative storage offset");
  expect_error(archive(one_tensor_pickle(6, 0, {1LL << 40, 1LL << 40}, {0, 0}), {{"0", storage}}), "overflow");
  expect_error(archive(one_tensor_pickle(6, 0, {1000000000}, {0}), {{"0", storage}}), "zero strides");
  expect_error(archive(one_tensor_pickle(6, 0, {6}, {1})), "lacks");                             // no storage entry
  expect_error(archive(one_tensor_pickle(6, 0, {6}, {1}, "FancyStorage"), {{"0", storage}}), "FancyStorage");
  expect_error(archive(std::string("\x80\x02\xff.", 4)), "unknown or unsupported opcode 0xff");
  expect_error(archive(std::string("\x80\x02h\x07.", 5)), "memo reference 7");
  expect_error(archive(std::string("\x80\x02}", 3)), "without STOP");
  expect_error(archive(std::string("\x80\x02X\xff\xff\xff\x7f.", 8)), "truncated");
  expect_error(archive(std::string("\x80\x02K\x01.", 5)), "not a state dict");
  std::string deep = "\x80\x02";
  for (int i = 0; i < 100; ++i) deep += ']';
  for (int i = 0; i < 99; ++i) deep += 'a';
  expect_error(archive(deep + "."), "nested more than 64");
}

TEST(TorchCheckpoint, FuzzedFilesFailCleanly) {
  // Mutations of a small valid checkpoint, at two levels: the archive's bytes (the zip
  // layer's checks and CRC catch most) and the pickle inside a valid archive (the machine's
  // checks). Each either loads or throws aime::Error; a crash or a hang fails the suite.
  StateDict sd;
  Generator gen(1);
  sd.set("a.weight", randn({3, 2}, gen));
  sd.set("a.bias", randn({3}, gen));
  const std::string good = serialize_torch_checkpoint(sd);
  const std::string pkl = pickle::pickle_state_dict({{"a.weight", {"0", "FloatStorage", "cpu", 6, 0, {3, 2}, {2, 1}}},
                                                     {"a.bias", {"1", "FloatStorage", "cpu", 3, 0, {3}, {1}}}});
  const std::string s0 = floats({1, 2, 3, 4, 5, 6}), s1 = floats({7, 8, 9});
  std::mt19937_64 rng(42);
  int loaded = 0, refused = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 4000; ++i) {
    const bool archive_level = i % 2 == 0;
    std::string bytes = archive_level ? good : pkl;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      const std::size_t at = rng() % bytes.size();
      switch (rng() % 4) {
        case 0: bytes[at] = static_cast<char>(rng()); break;
        case 1: bytes.resize(at); break;
        case 2: bytes.insert(at, 1, static_cast<char>(rng())); break;
        default: bytes[at] = static_cast<char>(bytes[at] ^ (1 << (rng() % 8))); break;
      }
      if (bytes.empty()) bytes = "x";
    }
    if (!archive_level) bytes = archive(bytes, {{"0", s0}, {"1", s1}});
    try {
      parse_torch_checkpoint(bytes, "fuzz.pt");
      ++loaded;
    } catch (const Error&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 1000);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  std::cerr << "fuzz: " << loaded << " loaded, " << refused << " refused\n";
}

TEST(TorchCheckpoint, PyTorchReadsOursAndWeReadPyTorchs) {
  const std::string python = python_with_torch();
  if (python.empty()) GTEST_SKIP() << "no python3 with torch (python3-torch)";
  const fs::path dir = temp_dir("torch");
  const StateDict sd = example_state_dict();
  save_torch_checkpoint((dir / "ours.pt").string(), sd);
  // PyTorch loads our file (strictly as an OrderedDict of tensors), checks it against the
  // values we print, and saves it again with its own writer: as it is, as protocol 4, with a
  // float16 copy, with views of one storage, and as parameters of a module's state dict.
  {
    std::ofstream values(dir / "values.txt");
    values.precision(17);
    for (const auto& [name, t] : sd) {
      values << name;
      const Tensor d = t.to(kFloat64);
      for (double v : d.to_vector<double>()) values << " " << v;
      values << "\n";
    }
  }
  const std::string script = R"PY(
import collections, sys, torch
d = sys.argv[1]
sd = torch.load(d + "/ours.pt")
assert type(sd) is collections.OrderedDict, type(sd)
for line in open(d + "/values.txt"):
    name, *vals = line.split()
    t = sd[name]
    assert t.flatten().double().tolist() == [float(v) for v in vals], name
assert sd["double"].dtype == torch.float64 and sd["steps"].dtype == torch.int64
torch.save(sd, d + "/theirs.pt")
torch.save(sd, d + "/theirs4.pt", pickle_protocol=4)
base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
views = collections.OrderedDict(w=base, row=base[1], t=base.t(), half=base.half(), bf=base.bfloat16())
torch.save(views, d + "/views.pt")
m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4))
torch.save(m.state_dict(), d + "/module.pt")
torch.save(collections.OrderedDict((k, v.double()) for k, v in m.state_dict().items()), d + "/module_values.pt")
)PY";
  {
    std::ofstream(dir / "check.py") << script;
  }
  const std::string cmd = python + " " + (dir / "check.py").string() + " " + dir.string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  expect_bit_identical(as_float32(sd), load_torch_checkpoint((dir / "theirs.pt").string()));
  expect_bit_identical(as_float32(sd), load_torch_checkpoint((dir / "theirs4.pt").string()));
  EXPECT_EQ(load_torch_checkpoint((dir / "theirs.pt").string(), kFloat64).at("double").dtype(), kFloat64);
  const StateDict views = load_torch_checkpoint((dir / "views.pt").string());
  EXPECT_EQ(views.at("row").to_vector<float>(), (std::vector<float>{4, 5, 6, 7}));
  EXPECT_EQ(views.at("t").shape(), (Shape{4, 3}));
  EXPECT_EQ(views.at("t").to_vector<float>()[1], 4.0f);
  EXPECT_EQ(views.at("half").to_vector<float>(), views.at("w").to_vector<float>());
  EXPECT_EQ(views.at("bf").to_vector<float>(), views.at("w").to_vector<float>());
  const StateDict module = load_torch_checkpoint((dir / "module.pt").string());  // with _metadata (BUILD)
  EXPECT_EQ(module.keys(), (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias"}));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace aime::nn
