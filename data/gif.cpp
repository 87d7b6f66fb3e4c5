#include "data/gif.h"

#include <filesystem>
#include <unordered_map>

#include "autograd/api.h"
#include "autograd/error.h"

#ifdef AIME_HAVE_GIF
#include <fcntl.h>
#include <gif_lib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#endif

namespace aime::data {

namespace {
// uint8 [H, W, 3] from either layout (as png.cpp's writer takes them).
Tensor to_hwc_rgb(const Tensor& image, std::size_t index) {
  const std::string where = "write_gif: frame " + std::to_string(index);
  if (image.dtype() == kUInt8) {
    if (image.dim() != 3 || image.size(2) != 3) throw ShapeError(where + ": expected uint8 [H, W, 3], got " + shape_str(image.shape()));
    return image.contiguous();
  }
  if (!image.is_floating_point() || image.dim() != 3 || image.size(0) != 3)
    throw ShapeError(where + ": expected float [3, H, W] in [0, 1] or uint8 [H, W, 3], got " + shape_str(image.shape()));
  NoGradGuard no_grad;
  // Rounded as png.cpp rounds: the conversion truncates, so + 0.5 first.
  return (clamp(permute(image.detach().cpu(), {1, 2, 0}).to(kFloat32), 0.0, 1.0) * 255.0 + 0.5).to(kUInt8).contiguous();
}
}  // namespace

bool gif_available() {
#ifdef AIME_HAVE_GIF
  return true;
#else
  return false;
#endif
}

#ifdef AIME_HAVE_GIF
void write_gif(const std::string& path, const std::vector<Tensor>& frames, int delay_cs) {
  if (frames.empty()) throw ValueError("write_gif: " + path + ": no frames");
  if (delay_cs < 1 || delay_cs > 65535) throw ValueError("write_gif: delay must be 1 to 65535 hundredths of a second");
  std::vector<Tensor> rgb;
  for (std::size_t i = 0; i < frames.size(); ++i) rgb.push_back(to_hwc_rgb(frames[i], i));
  const std::int64_t H = rgb[0].size(0), W = rgb[0].size(1);
  if (H > 65535 || W > 65535) throw ValueError("write_gif: " + path + ": frames larger than 65535 pixels");
  for (std::size_t i = 1; i < rgb.size(); ++i)
    if (rgb[i].size(0) != H || rgb[i].size(1) != W)
      throw ShapeError("write_gif: frame " + std::to_string(i) + " is " + shape_str(rgb[i].shape()) + ", frame 0 " +
                       shape_str(rgb[0].shape()));
  // Written beside the target and renamed over it: a reader sees the old file or the whole new one.
  const std::string temporary = path + ".tmp" + std::to_string(static_cast<long long>(getpid()));
  int error = 0;
  // Opened here (giflib's EGifOpenFileName would create it 0600): 0666 less the umask, as
  // every other file aime writes.
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (fd < 0) throw Error(path + ": cannot write the GIF (" + std::strerror(errno) + ")");
  GifFileType* gif = EGifOpenFileHandle(fd, &error);  // owns fd from here
  if (!gif) {
    ::close(fd);
    std::filesystem::remove(temporary);
    throw Error(path + ": cannot write the GIF (" + GifErrorString(error) + ")");
  }
  auto fail = [&](const std::string& what) {
    int ignored = 0;
    EGifCloseFile(gif, &ignored);
    std::filesystem::remove(temporary);
    throw Error(path + ": writing the GIF failed at " + what + " (" + GifErrorString(gif ? gif->Error : error) + ")");
  };
  EGifSetGifVersion(gif, true);  // GIF89a: delays and the loop
  if (EGifPutScreenDesc(gif, static_cast<int>(W), static_cast<int>(H), 8, 0, nullptr) == GIF_ERROR) fail("the screen");
  // The Netscape application extension: loop forever (count 0).
  const unsigned char loop[3] = {1, 0, 0};
  if (EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
      EGifPutExtensionBlock(gif, 11, "NETSCAPE2.0") == GIF_ERROR || EGifPutExtensionBlock(gif, 3, loop) == GIF_ERROR ||
      EGifPutExtensionTrailer(gif) == GIF_ERROR)
    fail("the loop extension");
  const auto n = static_cast<std::size_t>(H * W);
  std::vector<GifByteType> r(n), g(n), b(n), indices(n);
  for (std::size_t f = 0; f < rgb.size(); ++f) {
    const auto* px = rgb[f].data<std::uint8_t>();
    for (std::size_t i = 0; i < n; ++i) {
      r[i] = px[3 * i];
      g[i] = px[3 * i + 1];
      b[i] = px[3 * i + 2];
    }
    // A frame of at most 256 colours keeps them exactly; a richer one goes through giflib's
    // median-cut quantiser (5 bits per channel).
    GifColorType palette[256] = {};
    std::unordered_map<std::uint32_t, GifByteType> exact;
    for (std::size_t i = 0; i < n && exact.size() <= 256; ++i) {
      const std::uint32_t key = static_cast<std::uint32_t>(r[i]) << 16 | static_cast<std::uint32_t>(g[i]) << 8 | b[i];
      auto it = exact.find(key);
      if (it == exact.end()) {
        if (exact.size() == 256) {
          exact.emplace(key, 0);  // a 257th colour: quantise
          break;
        }
        const auto index = static_cast<GifByteType>(exact.size());
        palette[index] = GifColorType{r[i], g[i], b[i]};
        it = exact.emplace(key, index).first;
      }
      indices[i] = it->second;
    }
    if (exact.size() > 256) {
      int colours = 256;
      if (GifQuantizeBuffer(static_cast<unsigned>(W), static_cast<unsigned>(H), &colours, r.data(), g.data(), b.data(),
                            indices.data(), palette) == GIF_ERROR)
        fail("quantising frame " + std::to_string(f));
    }
    ColorMapObject* map = GifMakeMapObject(256, palette);
    GraphicsControlBlock control{DISPOSAL_UNSPECIFIED, false, delay_cs, NO_TRANSPARENT_COLOR};
    GifByteType extension[4];
    EGifGCBToExtension(&control, extension);
    const bool ok = EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, extension) != GIF_ERROR &&
                    EGifPutImageDesc(gif, 0, 0, static_cast<int>(W), static_cast<int>(H), false, map) != GIF_ERROR;
    GifFreeMapObject(map);
    if (!ok) fail("frame " + std::to_string(f));
    for (std::int64_t y = 0; y < H; ++y)
      if (EGifPutLine(gif, indices.data() + y * W, static_cast<int>(W)) == GIF_ERROR) fail("frame " + std::to_string(f));
  }
  if (EGifCloseFile(gif, &error) == GIF_ERROR) {
    std::filesystem::remove(temporary);
    throw Error(path + ": closing the GIF failed (" + GifErrorString(error) + ")");
  }
  std::filesystem::rename(temporary, path);
}
#else
void write_gif(const std::string& path, const std::vector<Tensor>&, int) {
  throw Error(path + ": this aime was built without giflib (install libgif-dev and rebuild; CMake AIME_GIF)");
}
#endif

}  // namespace aime::data
