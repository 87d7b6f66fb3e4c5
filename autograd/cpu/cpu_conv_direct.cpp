// Direct convolution over few output channels, one image per thread at a time.
//
// With K = C*kh*kw patch values and the weight transposed once to wt[k, o] (o padded with
// zeros to a multiple of kBlock, so that one block of output channels fills a vector):
//   forward:         y[o, p]  = sum_k wt[k, o] x[p's patch, k]
//   backward weight: gw[o, k] = sum_n sum_p dy[n, o, p] x[n, p's patch, k]
// where x[p's patch, k] = x[c, oh*sh + i, ow*sw + j] for k = (c, i, j), p = (oh, ow), read
// in place at a fixed offset koff[k] from the patch's corner (no padding: every read is
// inside the image). The forward holds a few positions x all channels in registers and reads
// each weight vector once for all of them; the weight gradient holds a few patch values x
// all channels and reads each position's dy vector once for all of them. Each block of kBlock
// channels is one vector of GCC's vector extension (one AVX2 register in float32), and each
// kernel keeps kChains of them as independent accumulators.
// The input gradient gathers instead of scattering, one output phase at a time: for
// ih = a*sh + ph and iw = b*sw + pw only the kernel rows i = ph + u*sh and columns
// j = pw + v*sw reach it, from dy[o, a - u, b - v], so
//   dx[c, a*sh + ph, b*sw + pw] = sum_{o, u, v} w[o, c, ph + u*sh, pw + v*sw] dy[o, a - u, b - v]
// runs as vector FMAs over b on a copy of dy with zero borders (no bounds tests), and only
// its stores are strided.
// Where a phase's rows are too short for vectors along them, the input gradient puts the
// input channels in the vector instead (channel_block below, lever 30).
// The sums run in another order than im2col + GEMM: results agree to rounding
// (tests/autograd/conv_test.cpp compares the two).
#include "autograd/cpu/cpu_conv_direct.h"

#include <algorithm>
#include <vector>

#include "autograd/cpu/cpu_backend.h"
#include "autograd/parallel.h"

namespace aime::cpu {

namespace {

constexpr std::int64_t kBlock = 8;       // output channels per vector
constexpr std::int64_t kMaxOutputs = 16;
constexpr std::int64_t kMaxChannels = 32;  // input channels of conv2d_backward_input_channels: four blocks

std::int64_t padded_outputs(const ConvGeometry& g) { return (g.o + kBlock - 1) / kBlock * kBlock; }

// koff[k]: where patch value k = (c, i, j) sits relative to the patch's corner.
std::vector<std::int64_t> patch_offsets(const ConvGeometry& g) {
  std::vector<std::int64_t> koff(static_cast<std::size_t>(g.ck()));
  for (std::int64_t c = 0; c < g.c; ++c)
    for (std::int64_t i = 0; i < g.kh; ++i)
      for (std::int64_t j = 0; j < g.kw; ++j) koff[static_cast<std::size_t>((c * g.kh + i) * g.kw + j)] = (c * g.h + i) * g.w + j;
  return koff;
}

// wt[k, o] = w[o, k], zero for the padding channels o >= O.
template <class T>
std::vector<T> transposed_weight(const ConvGeometry& g, const T* w) {
  const std::int64_t K = g.ck(), ob = padded_outputs(g);
  std::vector<T> wt(static_cast<std::size_t>(K * ob), T(0));
  for (std::int64_t o = 0; o < g.o; ++o)
    for (std::int64_t k = 0; k < K; ++k) wt[static_cast<std::size_t>(k * ob + o)] = w[o * K + k];
  return wt;
}

// One block of kBlock output channels as one vector (GCC's vector extension: AVX2 registers
// under -march=native, SSE pairs without it), loaded and stored unaligned.
template <class T>
struct Block;
template <>
struct Block<float> {
  typedef float type __attribute__((vector_size(kBlock * sizeof(float))));
};
template <>
struct Block<double> {
  typedef double type __attribute__((vector_size(kBlock * sizeof(double))));
};
template <class T>
using Vec = typename Block<T>::type;
// (Through references: a vector returned by value has an ABI that -Wpsabi warns about.)
template <class T>
inline void load(Vec<T>& v, const T* p) {
  __builtin_memcpy(&v, p, sizeof v);
}
template <class T>
inline void store(T* p, const Vec<T>& v) {
  __builtin_memcpy(p, &v, sizeof v);
}

// An FMA's result is ready 4 cycles after it starts and two can start per cycle (AVX2 cores),
// so each kernel keeps 8 independent accumulators: kChains vectors.
constexpr std::int64_t kChains = 8;

// P positions (ow .. ow+P-1 of row oh) x all M blocks of output channels (M = ob / kBlock).
template <class T, std::int64_t P, std::int64_t M>
inline void forward_block(const ConvGeometry& g, const T* x, const T* wt, const std::int64_t* koff, std::int64_t oh,
                          std::int64_t ow, T* y) {
  Vec<T> acc[P][M];
  for (std::int64_t p = 0; p < P; ++p)
    for (std::int64_t m = 0; m < M; ++m) acc[p][m] = Vec<T>{};
  const T* corner = x + oh * g.sh * g.w + ow * g.sw;
  const std::int64_t K = g.ck(), sw = g.sw;
  for (std::int64_t k = 0; k < K; ++k) {
    Vec<T> wv[M];
    for (std::int64_t m = 0; m < M; ++m) load(wv[m], wt + (k * M + m) * kBlock);
    const T* xk = corner + koff[k];
    for (std::int64_t p = 0; p < P; ++p) {
      const T xv = xk[p * sw];
      for (std::int64_t m = 0; m < M; ++m) acc[p][m] += xv * wv[m];
    }
  }
  const std::int64_t l = g.l(), pos = oh * g.wo + ow;
  for (std::int64_t o = 0; o < g.o; ++o)
    for (std::int64_t p = 0; p < P; ++p) y[o * l + pos + p] = acc[p][o / kBlock][o % kBlock];
}

template <class T, std::int64_t M>
void forward_rows(const ConvGeometry& g, const T* x, const T* wt, const std::int64_t* koff, T* y) {
  constexpr std::int64_t P = kChains / M;
  for (std::int64_t oh = 0; oh < g.ho; ++oh) {
    std::int64_t ow = 0;
    for (; ow + P <= g.wo; ow += P) forward_block<T, P, M>(g, x, wt, koff, oh, ow, y);
    for (; ow < g.wo; ++ow) forward_block<T, 1, M>(g, x, wt, koff, oh, ow, y);
  }
}

template <class T>
void forward_image(const ConvGeometry& g, const T* x, const T* wt, const std::int64_t* koff, T* y) {
  if (padded_outputs(g) == kBlock) return forward_rows<T, 1>(g, x, wt, koff, y);
  forward_rows<T, 2>(g, x, wt, koff, y);
}

// partial[k, o] += sum_p dyt[p, o] x[p's patch, k] for R patch values k0 .. k0+R-1 and all M
// blocks of output channels.
template <class T, std::int64_t R, std::int64_t M>
inline void weight_block(const ConvGeometry& g, const T* x, const T* dyt, const std::int64_t* koff, std::int64_t k0,
                         T* partial) {
  Vec<T> acc[R][M];
  std::int64_t off[R];
  for (std::int64_t r = 0; r < R; ++r) {
    for (std::int64_t m = 0; m < M; ++m) acc[r][m] = Vec<T>{};
    off[r] = koff[k0 + r];
  }
  const std::int64_t ob = M * kBlock;
  for (std::int64_t oh = 0; oh < g.ho; ++oh) {
    const T* row = x + oh * g.sh * g.w;
    const T* drow = dyt + oh * g.wo * ob;
    for (std::int64_t ow = 0; ow < g.wo; ++ow) {
      const T* corner = row + ow * g.sw;
      Vec<T> dv[M];
      for (std::int64_t m = 0; m < M; ++m) load(dv[m], drow + ow * ob + m * kBlock);
      for (std::int64_t r = 0; r < R; ++r) {
        const T xv = corner[off[r]];
        for (std::int64_t m = 0; m < M; ++m) acc[r][m] += xv * dv[m];
      }
    }
  }
  for (std::int64_t r = 0; r < R; ++r)
    for (std::int64_t m = 0; m < M; ++m) {
      T* dst = partial + (k0 + r) * ob + m * kBlock;
      Vec<T> sum;
      load(sum, dst);
      sum += acc[r][m];
      store(dst, sum);
    }
}

template <class T, std::int64_t M>
void weight_rows(const ConvGeometry& g, const T* x, const T* dyt, const std::int64_t* koff, T* partial) {
  constexpr std::int64_t R = kChains / M;
  const std::int64_t K = g.ck();
  std::int64_t k = 0;
  for (; k + R <= K; k += R) weight_block<T, R, M>(g, x, dyt, koff, k, partial);
  for (; k < K; ++k) weight_block<T, 1, M>(g, x, dyt, koff, k, partial);
}

template <class T>
void weight_image(const ConvGeometry& g, const T* x, const T* dy, const std::int64_t* koff, T* dyt, T* partial) {
  const std::int64_t ob = padded_outputs(g), l = g.l();
  for (std::int64_t p = 0; p < l; ++p)  // dyt[p, o] = dy[o, p], zero for the padding channels
    for (std::int64_t o = 0; o < ob; ++o) dyt[p * ob + o] = o < g.o ? dy[o * l + p] : T(0);
  if (ob == kBlock) return weight_rows<T, 1>(g, x, dyt, koff, partial);
  weight_rows<T, 2>(g, x, dyt, koff, partial);
}

// The input gradient of one image. dyp is dy with zero borders: row oh + (U - 1) and column
// ow + (V - 1) hold dy[o, oh, ow], so that every a - u and b - v of a phase reads inside it.
template <class T, std::int64_t NB>
inline void input_row(const ConvGeometry& g, const T* w, const T* dyp, std::int64_t rows, std::int64_t cols,
                      std::int64_t U, std::int64_t V, std::int64_t c, std::int64_t ph, std::int64_t pw, std::int64_t a,
                      std::int64_t b0, T* gx) {
  // Two sets of accumulators, for even and odd o, so that NB = 2 still runs 4 chains.
  Vec<T> even[NB], odd[NB];
  for (std::int64_t q = 0; q < NB; ++q) even[q] = odd[q] = Vec<T>{};
  const std::int64_t K = g.ck();
  auto add = [&](std::int64_t o, Vec<T>(&acc)[NB]) {
    for (std::int64_t i = ph, u = 0; i < g.kh; i += g.sh, ++u) {
      const T* row = dyp + (o * rows + a - u + U - 1) * cols + (V - 1) + b0;
      const T* wrow = w + o * K + (c * g.kh + i) * g.kw;
      for (std::int64_t j = pw, v = 0; j < g.kw; j += g.sw, ++v) {
        const T wv = wrow[j];
        for (std::int64_t q = 0; q < NB; ++q) {
          Vec<T> d;
          load(d, row - v + q * kBlock);
          acc[q] += wv * d;
        }
      }
    }
  };
  std::int64_t o = 0;
  for (; o + 1 < g.o; o += 2) {
    add(o, even);
    add(o + 1, odd);
  }
  if (o < g.o) add(o, even);
  for (std::int64_t q = 0; q < NB; ++q) even[q] += odd[q];
  // dx[c, a*sh + ph, (b0 + b)*sw + pw] for the b whose column lies inside the image.
  T* out = gx + (c * g.h + a * g.sh + ph) * g.w + pw;
  const std::int64_t last = std::min<std::int64_t>(NB * kBlock, (g.w - pw + g.sw - 1) / g.sw - b0);
  for (std::int64_t b = 0; b < last; ++b) out[(b0 + b) * g.sw] = even[b / kBlock][b % kBlock];
}

template <class T>
void input_image(const ConvGeometry& g, const T* w, const T* dy, T* dyp, std::int64_t rows, std::int64_t cols,
                 std::int64_t U, std::int64_t V, T* gx) {
  std::fill(dyp, dyp + g.o * rows * cols, T(0));
  for (std::int64_t o = 0; o < g.o; ++o)
    for (std::int64_t oh = 0; oh < g.ho; ++oh)
      std::copy(dy + (o * g.ho + oh) * g.wo, dy + (o * g.ho + oh + 1) * g.wo, dyp + (o * rows + oh + U - 1) * cols + V - 1);
  constexpr std::int64_t kMaxBlocks = 4;
  for (std::int64_t c = 0; c < g.c; ++c)
    for (std::int64_t ph = 0; ph < g.sh; ++ph)
      for (std::int64_t a = 0; a * g.sh + ph < g.h; ++a)
        for (std::int64_t pw = 0; pw < g.sw && pw < g.w; ++pw) {
          const std::int64_t bs = (g.w - pw + g.sw - 1) / g.sw;  // columns b of this phase
          for (std::int64_t b0 = 0; b0 < bs; b0 += kMaxBlocks * kBlock) {
            switch (std::min(kMaxBlocks, (bs - b0 + kBlock - 1) / kBlock)) {
              case 1: input_row<T, 1>(g, w, dyp, rows, cols, U, V, c, ph, pw, a, b0, gx); break;
              case 2: input_row<T, 2>(g, w, dyp, rows, cols, U, V, c, ph, pw, a, b0, gx); break;
              case 3: input_row<T, 3>(g, w, dyp, rows, cols, U, V, c, ph, pw, a, b0, gx); break;
              default: input_row<T, 4>(g, w, dyp, rows, cols, U, V, c, ph, pw, a, b0, gx); break;
            }
          }
        }
}

// Blocks of channels for C input channels (1, 2 or 4), and positions per block for M blocks:
// kChains accumulators, or 12 for four blocks (three positions: with the four weight
// vectors, AVX2's 16 registers; two positions ran 8% slower, four 6%).
constexpr std::int64_t channel_blocks(std::int64_t c) { return c <= kBlock ? 1 : c <= 2 * kBlock ? 2 : 4; }
constexpr std::int64_t channel_positions(std::int64_t M) { return M >= 4 ? 3 : kChains / M; }

// The input gradient with the input channels in the vector, for layers whose phase rows are
// too short for input_row's vectors over columns (lever 30, benchmarks/README.md): the
// decoder's 13 -> 30 layer's forward (15 columns per phase) and the encoder's 31 -> 14
// layer's input gradient (15-16), which ran as W^T . dy into columns 9-36 times dy's size and
// col2im. With ih = a*sh + ph, iw = b*sw + pw as above,
//   dx[c, ih, iw] = sum_{u, v, o} wc[ph + u*sh, pw + v*sw, o][c] dyt[a - u, b - v][o]
// where wc[i, j, o] is w[o, :, i, j] as a vector over c (M blocks, zeros past C) and dyt is dy
// transposed to [row, column, o] with zero borders (rows and columns of dyt past dy's hold 0,
// so every a - u and b - v reads inside it). P positions b0 .. b0+P-1 of one phase row run at
// once: each weight vector is loaded once for P broadcast values of dy.
template <class T, std::int64_t P, std::int64_t M>
inline void channel_block(const ConvGeometry& g, const T* wc, const T* dyt, std::int64_t cols, std::int64_t U,
                          std::int64_t V, std::int64_t ph, std::int64_t pw, std::int64_t a, std::int64_t b0,
                          std::int64_t valid, T* gx) {
  Vec<T> acc[P][M];
  for (std::int64_t p = 0; p < P; ++p)
    for (std::int64_t m = 0; m < M; ++m) acc[p][m] = Vec<T>{};
  const std::int64_t O = g.o, cb = M * kBlock;
  for (std::int64_t i = ph, u = 0; i < g.kh; i += g.sh, ++u)
    for (std::int64_t j = pw, v = 0; j < g.kw; j += g.sw, ++v) {
      const T* d = dyt + ((a - u + U - 1) * cols + b0 - v + V - 1) * O;
      const T* wk = wc + (i * g.kw + j) * O * cb;
      for (std::int64_t o = 0; o < O; ++o) {
        Vec<T> wv[M];
        for (std::int64_t m = 0; m < M; ++m) load(wv[m], wk + o * cb + m * kBlock);
        for (std::int64_t p = 0; p < P; ++p) {
          const T dv = d[p * O + o];
          for (std::int64_t m = 0; m < M; ++m) acc[p][m] += dv * wv[m];
        }
      }
    }
  T* out = gx + (a * g.sh + ph) * g.w + pw + b0 * g.sw;
  const std::int64_t plane = g.h * g.w;
  for (std::int64_t c = 0; c < g.c; ++c)
    for (std::int64_t p = 0; p < valid; ++p) out[c * plane + p * g.sw] = acc[p][c / kBlock][c % kBlock];
}

template <class T, std::int64_t M, std::int64_t P>
void channel_image(const ConvGeometry& g, const T* wc, const T* dy, T* dyt, std::int64_t rows, std::int64_t cols,
                   std::int64_t U, std::int64_t V, T* gx) {
  const std::int64_t O = g.o;
  std::fill(dyt, dyt + rows * cols * O, T(0));
  for (std::int64_t o = 0; o < O; ++o)
    for (std::int64_t oh = 0; oh < g.ho; ++oh)
      for (std::int64_t ow = 0; ow < g.wo; ++ow)
        dyt[((oh + U - 1) * cols + ow + V - 1) * O + o] = dy[(o * g.ho + oh) * g.wo + ow];
  for (std::int64_t ph = 0; ph < g.sh && ph < g.h; ++ph)
    for (std::int64_t a = 0; a * g.sh + ph < g.h; ++a)
      for (std::int64_t pw = 0; pw < g.sw && pw < g.w; ++pw) {
        const std::int64_t bs = (g.w - pw + g.sw - 1) / g.sw;  // columns b of this phase
        // The last block may run past bs: its extra positions read dyt's zero border and
        // are not stored.
        for (std::int64_t b0 = 0; b0 < bs; b0 += P)
          channel_block<T, P, M>(g, wc, dyt, cols, U, V, ph, pw, a, b0, std::min(P, bs - b0), gx);
      }
}

}  // namespace

bool conv_direct_applies(const ConvGeometry& g, std::int64_t min_positions) {
  return g.ph == 0 && g.pw == 0 && g.o <= kMaxOutputs && g.l() > min_positions;
}

bool conv_direct_input_applies(const ConvGeometry& g, std::int64_t min_positions) {
  return conv_direct_applies(g, min_positions) && (g.w + g.sw - 1) / g.sw >= 3 * kBlock;
}

template <class T>
void conv2d_forward_direct(const ConvGeometry& g, const T* x, const T* w, T* y) {
  count_multiply_adds(g.n * g.o * g.l() * g.ck());
  const std::vector<T> wt = transposed_weight(g, w);
  const std::vector<std::int64_t> koff = patch_offsets(g);
  parallel_for(0, g.n, 1, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t n = lo; n < hi; ++n)
      forward_image(g, x + n * g.c * g.h * g.w, wt.data(), koff.data(), y + n * g.o * g.l());
  });
}

template <class T>
void conv2d_backward_input_direct(const ConvGeometry& g, const T* gy, const T* w, T* gx) {
  count_multiply_adds(g.n * g.o * g.l() * g.ck());
  // dy with zero borders: rows for oh in [-(U-1), A) and columns for ow in [-(V-1), B), with
  // A and B the phases' rows and columns (rounded up to whole vectors for the columns).
  const std::int64_t U = (g.kh + g.sh - 1) / g.sh, V = (g.kw + g.sw - 1) / g.sw;
  const std::int64_t A = std::max((g.h + g.sh - 1) / g.sh, g.ho);
  const std::int64_t B = ((g.w + g.sw - 1) / g.sw + kBlock - 1) / kBlock * kBlock;
  const std::int64_t rows = A + U - 1, cols = std::max(B, g.wo) + V - 1;
  parallel_for(0, g.n, 1, [&](std::int64_t lo, std::int64_t hi) {
    std::vector<T> dyp(static_cast<std::size_t>(g.o * rows * cols));
    for (std::int64_t n = lo; n < hi; ++n)
      input_image(g, w, gy + n * g.o * g.l(), dyp.data(), rows, cols, U, V, gx + n * g.c * g.h * g.w);
  });
}

bool conv_channel_input_applies(const ConvGeometry& g, std::int64_t min_positions) {
  // Channels that fill less than half their vectors waste lanes on every FMA: that still beat
  // W^T . dy and col2im with few output channels (3 of 8 lanes, 16 outputs: the 32x32
  // decoder's last layer, 16.0 against 20.0 ms), not with 32 (the original's last layer:
  // 120 against 77 ms; benchmarks/README.md, lever 30).
  const bool fills = 2 * g.c >= channel_blocks(g.c) * kBlock || g.o <= kMaxOutputs;
  return g.ph == 0 && g.pw == 0 && g.c <= kMaxChannels && fills && g.l() > min_positions;
}

template <class T>
void conv2d_backward_input_channels(const ConvGeometry& g, const T* gy, const T* w, T* gx) {
  count_multiply_adds(g.n * g.o * g.l() * g.ck());
  const std::int64_t M = channel_blocks(g.c), P = channel_positions(M), cb = M * kBlock;
  // wc[(i, j, o), c] = w[o, c, i, j], zero for c >= C.
  std::vector<T> wc(static_cast<std::size_t>(g.kh * g.kw * g.o * cb), T(0));
  for (std::int64_t o = 0; o < g.o; ++o)
    for (std::int64_t c = 0; c < g.c; ++c)
      for (std::int64_t i = 0; i < g.kh; ++i)
        for (std::int64_t j = 0; j < g.kw; ++j)
          wc[static_cast<std::size_t>(((i * g.kw + j) * g.o + o) * cb + c)] = w[((o * g.c + c) * g.kh + i) * g.kw + j];
  // dyt's rows hold oh in [-(U-1), A) and its columns ow in [-(V-1), B), with A the phases'
  // rows and B their columns rounded up to whole blocks of P.
  const std::int64_t U = (g.kh + g.sh - 1) / g.sh, V = (g.kw + g.sw - 1) / g.sw;
  const std::int64_t A = std::max((g.h + g.sh - 1) / g.sh, g.ho);
  const std::int64_t B = ((g.w + g.sw - 1) / g.sw + P - 1) / P * P;
  const std::int64_t rows = A + U - 1, cols = std::max(B, g.wo) + V - 1;
  parallel_for(0, g.n, 1, [&](std::int64_t lo, std::int64_t hi) {
    std::vector<T> dyt(static_cast<std::size_t>(rows * cols * g.o));
    for (std::int64_t n = lo; n < hi; ++n) {
      const T* dy = gy + n * g.o * g.l();
      T* image = gx + n * g.c * g.h * g.w;
      switch (M) {
        case 1: channel_image<T, 1, channel_positions(1)>(g, wc.data(), dy, dyt.data(), rows, cols, U, V, image); break;
        case 2: channel_image<T, 2, channel_positions(2)>(g, wc.data(), dy, dyt.data(), rows, cols, U, V, image); break;
        default: channel_image<T, 4, channel_positions(4)>(g, wc.data(), dy, dyt.data(), rows, cols, U, V, image); break;
      }
    }
  });
}

template <class T>
void conv2d_backward_weight_direct(const ConvGeometry& g, const T* gy, const T* x, T* gw, const T* w, T* y) {
  const std::int64_t ob = padded_outputs(g), K = g.ck();
  count_multiply_adds((y ? 2 : 1) * g.n * g.o * g.l() * K);
  const std::vector<std::int64_t> koff = patch_offsets(g);
  std::vector<T> wt;
  if (y) wt = transposed_weight(g, w);
  // One accumulator wt-shaped [K, ob] per thread, summed in thread order (reproducible for a
  // fixed thread count, as the im2col path).
  const int threads = static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(num_threads(), g.n)));
  std::vector<std::vector<T>> partial(static_cast<std::size_t>(threads), std::vector<T>(static_cast<std::size_t>(K * ob), T(0)));
  auto work = [&](int t, std::int64_t lo, std::int64_t hi) {
    std::vector<T> dyt(static_cast<std::size_t>(g.l() * ob));
    for (std::int64_t n = lo; n < hi; ++n) {
      const T* xn = x + n * g.c * g.h * g.w;
      if (y) forward_image(g, xn, wt.data(), koff.data(), y + n * g.o * g.l());
      weight_image(g, xn, gy + n * g.o * g.l(), koff.data(), dyt.data(), partial[static_cast<std::size_t>(t)].data());
    }
  };
  parallel_for_each_thread(g.n, threads, work);
  for (std::int64_t o = 0; o < g.o; ++o)
    for (std::int64_t k = 0; k < K; ++k) {
      T sum = T(0);
      for (const auto& part : partial) sum += part[static_cast<std::size_t>(k * ob + o)];
      gw[o * K + k] = sum;
    }
}

template void conv2d_forward_direct<float>(const ConvGeometry&, const float*, const float*, float*);
template void conv2d_forward_direct<double>(const ConvGeometry&, const double*, const double*, double*);
template void conv2d_backward_input_direct<float>(const ConvGeometry&, const float*, const float*, float*);
template void conv2d_backward_input_direct<double>(const ConvGeometry&, const double*, const double*, double*);
template void conv2d_backward_input_channels<float>(const ConvGeometry&, const float*, const float*, float*);
template void conv2d_backward_input_channels<double>(const ConvGeometry&, const double*, const double*, double*);
template void conv2d_backward_weight_direct<float>(const ConvGeometry&, const float*, const float*, float*, const float*,
                                                   float*);
template void conv2d_backward_weight_direct<double>(const ConvGeometry&, const double*, const double*, double*,
                                                    const double*, double*);

}  // namespace aime::cpu
