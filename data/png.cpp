#include "data/png.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "autograd/autograd.h"
#include "autograd/ops/creation.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/shape_ops.h"
#include "io/atomic_file.h"

// stb's implementations live in this translation unit only; they are included as system
// headers (see data/CMakeLists.txt) so their warnings stay out of our -Wall -Wextra build.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_ONLY_PNG
#include <stb_image.h>
#include <stb_image_write.h>

namespace aime::data {

namespace {
// uint8 [H, W, C] (a dataset's frame) or floating [C, H, W] (a model's) -> [H, W, C] uint8.
Tensor to_hwc_uint8(const Tensor& image, const char* fn) {
  NoGradGuard no_grad;
  Tensor x = image.detach().cpu();
  if (x.dim() == 2) x = x.is_floating_point() ? x.unsqueeze(0) : x.unsqueeze(-1);  // grayscale
  if (x.dim() != 3) throw ShapeError(std::string(fn) + ": expected an image, uint8 [H, W, C] or floating [C, H, W], got " + shape_str(x.shape()));
  if (x.is_floating_point()) {  // a model's image: [C, H, W] in [0, 1]
    x = (clamp(permute(x, {1, 2, 0}).to(kFloat32), 0.0, 1.0) * 255.0 + 0.5).to(kUInt8);
  } else if (x.dtype() != kUInt8) {
    throw DTypeError(std::string(fn) + ": expected uint8 or floating pixels, got " + dtype_name(x.dtype()));
  }
  if (x.size(2) < 1 || x.size(2) > 4)
    throw ShapeError(std::string(fn) + ": expected 1 to 4 channels last, got " + shape_str(x.shape()));
  return x.contiguous();
}

void append_bytes(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
}
}  // namespace

std::string encode_png(const Tensor& image) {
  const Tensor x = to_hwc_uint8(image, "encode_png");
  const int h = static_cast<int>(x.size(0)), w = static_cast<int>(x.size(1)), c = static_cast<int>(x.size(2));
  std::string bytes;
  if (!stbi_write_png_to_func(append_bytes, &bytes, w, h, c, x.data_ptr(), w * c)) throw Error("encode_png: encoding failed");
  return bytes;
}

void write_png(const std::string& path, const Tensor& image) {
  std::string bytes;
  try {
    bytes = encode_png(image);
  } catch (const Error& e) {
    throw Error("write_png: " + path + ": " + e.what());
  }
  io::write_file_atomically(path, [&](std::ostream& out) { out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); });
}

Tensor read_png(const std::string& path, int channels) {
  if (channels < 0 || channels > 4) throw ValueError("read_png: channels must be 0 (as stored) to 4, got " + std::to_string(channels));
  int w = 0, h = 0, c = 0;
  unsigned char* pixels = stbi_load(path.c_str(), &w, &h, &c, channels);
  if (!pixels) throw ValueError(path + ": cannot read as PNG (" + stbi_failure_reason() + ")");
  const int out_c = channels ? channels : c;
  Tensor out = Tensor::empty({h, w, out_c}, kUInt8);
  std::copy(pixels, pixels + static_cast<std::size_t>(h) * w * out_c, out.data<std::uint8_t>());
  stbi_image_free(pixels);
  return out;
}

Tensor image_grid(const Tensor& images, std::int64_t columns) {
  if (images.dim() != 4) throw ShapeError("image_grid: expected [N, H, W, C] or [N, C, H, W], got " + shape_str(images.shape()));
  if (columns < 1) throw ValueError("image_grid: columns must be >= 1");
  std::vector<Tensor> frames;
  for (std::int64_t i = 0; i < images.size(0); ++i) frames.push_back(to_hwc_uint8(images.select(0, i), "image_grid"));
  const std::int64_t n = images.size(0), h = frames[0].size(0), w = frames[0].size(1), c = frames[0].size(2);
  const std::int64_t rows = (n + columns - 1) / columns;
  Tensor grid = zeros({rows * (h + 1) + 1, columns * (w + 1) + 1, c}, kUInt8);
  auto* g = grid.data<std::uint8_t>();
  const std::int64_t gw = grid.size(1);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto* f = frames[static_cast<std::size_t>(i)].data<std::uint8_t>();
    const std::int64_t top = 1 + (i / columns) * (h + 1), left = 1 + (i % columns) * (w + 1);
    for (std::int64_t y = 0; y < h; ++y) std::copy(f + y * w * c, f + (y + 1) * w * c, g + ((top + y) * gw + left) * c);
  }
  return grid;
}

std::int64_t export_episode_frames(const Episode& episode, const std::string& dir, const std::string& key) {
  const Tensor& frames = episode.at(key).data;
  if (frames.dim() != 4) throw ShapeError("export_episode_frames: '" + key + "' must be [T, H, W, C], got " + shape_str(frames.shape()));
  std::filesystem::create_directories(dir);
  for (std::int64_t t = 0; t < frames.size(0); ++t) {
    char name[32];
    std::snprintf(name, sizeof name, "frame_%04lld.png", static_cast<long long>(t));
    write_png((std::filesystem::path(dir) / name).string(), frames.select(0, t));
  }
  return frames.size(0);
}

namespace {
Tensor read_actions(const std::string& path) {
  if (std::filesystem::path(path).extension() == ".npy") {
    Tensor a = parse_npy(read_file_bytes(path), path).data;
    if (a.dim() == 1) a = a.reshape({a.size(0), 1});
    if (a.dim() != 2) throw ShapeError(path + ": actions must be [T, A], got " + shape_str(a.shape()));
    return a.to(kFloat32).contiguous();
  }
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open the actions file");
  std::vector<double> values;
  std::int64_t rows = 0, width = -1;
  std::string line;
  for (std::int64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::stringstream ss(line);
    std::string cell;
    std::int64_t count = 0;
    while (std::getline(ss, cell, ',')) {
      try {
        std::size_t used = 0;
        values.push_back(std::stod(cell, &used));
        if (cell.find_first_not_of(" \t\r", used) != std::string::npos) throw std::invalid_argument(cell);
      } catch (const std::exception&) {
        throw ValueError(path + ": line " + std::to_string(number) + ": '" + cell + "' is not a number");
      }
      ++count;
    }
    if (width >= 0 && count != width)
      throw ValueError(path + ": line " + std::to_string(number) + " has " + std::to_string(count) + " values, line 1 has " +
                       std::to_string(width));
    width = count;
    ++rows;
  }
  if (rows == 0) throw ValueError(path + ": no actions");
  return tensor(values, {rows, width});
}
}  // namespace

Episode import_png_episode(const std::string& frames_dir, const std::string& actions_file) {
  std::vector<std::string> files;
  std::error_code ec;
  if (!std::filesystem::is_directory(frames_dir, ec)) throw Error(frames_dir + ": not a directory");
  for (const auto& entry : std::filesystem::directory_iterator(frames_dir))
    if (entry.path().extension() == ".png") files.push_back(entry.path().string());
  if (files.empty()) throw ValueError(frames_dir + ": no .png frames");
  std::sort(files.begin(), files.end());
  const auto T = static_cast<std::int64_t>(files.size());
  std::vector<Tensor> frames;
  for (const auto& f : files) {
    frames.push_back(read_png(f, 3));
    if (frames.back().shape() != frames.front().shape())
      throw ShapeError(f + ": frame is " + shape_str(frames.back().shape()) + ", " + files.front() + " is " +
                       shape_str(frames.front().shape()));
  }
  const Tensor actions = read_actions(actions_file);
  if (actions.size(0) != T && actions.size(0) != T - 1)
    throw ValueError(actions_file + ": " + std::to_string(actions.size(0)) + " action rows for " + std::to_string(T) +
                     " frames (expected " + std::to_string(T) + " or " + std::to_string(T - 1) + ")");
  const std::int64_t A = actions.size(1);
  // pre_action[t] = action[t - 1], zeros at t = 0.
  Tensor pre_action = zeros({T, A});
  if (T > 1) pre_action.narrow(0, 1, T - 1).copy_(actions.narrow(0, 0, T - 1));
  Tensor is_first = zeros({T, 1}, kUInt8), is_last = zeros({T, 1}, kUInt8);
  is_first.data<std::uint8_t>()[0] = 1;
  is_last.data<std::uint8_t>()[T - 1] = 1;
  Episode e;
  e.set("image", stack(frames, 0));
  e.set("pre_action", pre_action);
  e.set("reward", zeros({T, 1}));
  e.set("is_first", is_first, true);
  e.set("is_last", is_last, true);
  e.set("is_terminal", zeros({T, 1}, kUInt8), true);
  e.validate(frames_dir);
  return e;
}

}  // namespace aime::data
