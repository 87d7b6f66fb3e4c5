// conv_bench: each convolution of the cnn_ha encoder and decoder (models/encoders.cpp,
// models/decoders.cpp) at a world model's real batch, forward and backward, one layer at a
// time, so that a change to autograd/cpu/cpu_conv.cpp can be measured where it lands.
//
//   conv_bench [--width 8] [--frames 256] [--threads 1] [--repeats 5] [--image-size 64] [--im2col]
//              [--no-gather] [--chunk-columns 1024]
//
// The defaults are the pixel demo's model (width 8, 8 windows x 32 steps = 256 frames of
// 64x64x3, scripts/demo.sh); --width 32 --frames 2500 is the original's step (50 x 50). Each
// layer runs as in training: the forward with its weight and input requiring gradients (the
// encoder's first layer reads the images, which need none), then backward from a gradient of
// ones. --im2col turns the direct kernels off (autograd/cpu/cpu_conv_direct.h), for the
// layers they would take, to compare in one run; --no-gather the gather tables of the layers
// with few positions per image (autograd/cpu/cpu_conv.cpp); --chunk-columns N sets the
// columns per chunk of those layers (1073741824: 8 MB chunks, as before lever 28).
// --image-size 32 runs aime's 32x32 variant of cnn_ha (one layer fewer each way). The table
// gives the best of --repeats runs for the forward alone and for forward plus backward, and
// each layer's share of the sum.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "autograd/api.h"
#include "autograd/cpu/cpu_backend.h"

using namespace aime;

namespace {

struct Layer {
  std::string name;
  bool transposed;
  std::int64_t in, out, kernel, size;  // channels in and out, kernel, input height = width
  bool input_grad;
};

std::vector<Layer> cnn_ha(std::int64_t w, std::int64_t image_size) {
  if (image_size == 32)
    return {{"encoder 1", false, 3, 2 * w, 4, 32, false},      {"encoder 2", false, 2 * w, 4 * w, 4, 15, true},
            {"encoder 3", false, 4 * w, 8 * w, 4, 6, true},    {"decoder 1", true, 32 * w, 4 * w, 5, 1, true},
            {"decoder 2", true, 4 * w, 2 * w, 6, 5, true},     {"decoder 3", true, 2 * w, 3, 6, 14, true}};
  return {{"encoder 1", false, 3, w, 4, 64, false},          {"encoder 2", false, w, 2 * w, 4, 31, true},
          {"encoder 3", false, 2 * w, 4 * w, 4, 14, true},   {"encoder 4", false, 4 * w, 8 * w, 4, 6, true},
          {"decoder 1", true, 32 * w, 4 * w, 5, 1, true},    {"decoder 2", true, 4 * w, 2 * w, 5, 5, true},
          {"decoder 3", true, 2 * w, w, 6, 13, true},        {"decoder 4", true, w, 3, 6, 30, true}};
}

double seconds(const std::chrono::steady_clock::time_point& t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t width = 8, frames = 256, image_size = 64, chunk_columns = 1024;
  int threads = 1, repeats = 5;
  bool im2col = false, gather = true;
  for (int i = 1; i < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--im2col" || a == "--no-gather") {  // switches: no value follows
      if (a == "--im2col") im2col = true;
      else gather = false;
      --i;
      continue;
    }
    if (i + 1 >= argc ||
        (a != "--width" && a != "--frames" && a != "--threads" && a != "--repeats" && a != "--image-size" &&
         a != "--chunk-columns")) {
      std::fprintf(stderr, "usage: conv_bench [--width 8] [--frames 256] [--threads 1] [--repeats 5] [--image-size 64|32] "
                           "[--im2col] [--no-gather] [--chunk-columns 1024]\n");
      return 2;
    }
    const long v = std::atol(argv[i + 1]);
    if (v < 1) {
      std::fprintf(stderr, "conv_bench: %s must be a positive integer, got '%s'\n", a.c_str(), argv[i + 1]);
      return 2;
    }
    if (a == "--width") width = v;
    if (a == "--frames") frames = v;
    if (a == "--threads") threads = static_cast<int>(v);
    if (a == "--repeats") repeats = static_cast<int>(v);
    if (a == "--image-size") image_size = v;
    if (a == "--chunk-columns") chunk_columns = v;
  }
  if (image_size != 64 && image_size != 32) {
    std::fprintf(stderr, "conv_bench: --image-size must be 64 or 32, got %ld\n", image_size);
    return 2;
  }
  set_num_threads(threads);
  cpu::set_conv_direct(!im2col);
  cpu::set_conv_gather_tables(gather);
  cpu::set_conv_batched_chunk_columns(chunk_columns);
  Generator gen(0);
  std::printf("cnn_ha at width %ld, %ld frames of %ldx%ld, %d thread(s), best of %d, %s, %s, chunks of %ld columns\n\n",
              width, frames, image_size, image_size, threads, repeats,
              im2col ? "im2col + GEMM only" : "direct kernels where they apply", gather ? "gather tables" : "no gather tables",
              chunk_columns);
  std::printf("| layer | channels | size in -> out | forward (ms) | forward + backward (ms) | share |\n");
  std::printf("|---|---|---|---|---|---|\n");
  struct Row {
    std::string text;
    double total;
  };
  std::vector<Row> rows;
  double sum = 0.0;
  for (const Layer& l : cnn_ha(width, image_size)) {
    Tensor x = randn({frames, l.in, l.size, l.size}, gen);
    // conv2d's weight is [O, C, k, k], conv_transpose2d's [C, O, k, k] (torch's layouts).
    Tensor w = randn(l.transposed ? Shape{l.in, l.out, l.kernel, l.kernel} : Shape{l.out, l.in, l.kernel, l.kernel}, gen);
    Tensor b = zeros({l.out});
    w.requires_grad_();
    b.requires_grad_();
    if (l.input_grad) x.requires_grad_();
    auto layer = [&]() { return l.transposed ? conv_transpose2d(x, w, b, 2) : conv2d(x, w, b, 2); };
    double forward = 1e30, both = 1e30;
    std::int64_t out_size = 0;
    for (int r = 0; r < repeats; ++r) {
      {
        NoGradGuard no_grad;
        const auto t0 = std::chrono::steady_clock::now();
        const Tensor y = layer();
        forward = std::min(forward, seconds(t0));
        out_size = y.shape()[2];
      }
      const auto t0 = std::chrono::steady_clock::now();
      const Tensor y = layer();
      y.backward(ones(y.shape()));
      both = std::min(both, seconds(t0));
      for (Tensor* t : {&w, &b, &x}) t->set_grad(Tensor());
    }
    char text[256];
    std::snprintf(text, sizeof text, "| %s | %ld -> %ld | %ld -> %ld | %.1f | %.1f |", l.name.c_str(), l.in, l.out,
                  l.size, out_size, forward * 1e3, both * 1e3);
    rows.push_back({text, both});
    sum += both;
  }
  for (const Row& r : rows) std::printf("%s %.0f%% |\n", r.text.c_str(), 100.0 * r.total / sum);
  std::printf("| all | | | | %.1f | |\n", sum * 1e3);
  return 0;
}
