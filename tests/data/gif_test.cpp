#include "data/gif.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "autograd/api.h"

#ifdef AIME_HAVE_GIF
#include <gif_lib.h>
#endif

namespace aime::data {
namespace {

namespace fs = std::filesystem;

// Frames written and read back by giflib's own decoder (DGifSlurp): the size, the number of
// frames, each frame's delay, the loop extension, and the colours (a frame of few colours
// survives the quantiser exactly).
TEST(Gif, FramesDelaysLoopAndColoursReadBack) {
  if (!gif_available()) GTEST_SKIP() << "built without giflib (libgif-dev)";
#ifndef AIME_HAVE_GIF
  FAIL() << "the library has giflib but this test was built without it (tests/CMakeLists.txt)";
#else
  const fs::path path = fs::temp_directory_path() / ("aime_gif_" + std::to_string(::getpid()) + ".gif");
  std::vector<Tensor> frames;
  for (int f = 0; f < 3; ++f) {
    Tensor x = zeros({4, 5, 3}, kUInt8);
    auto* p = x.data<std::uint8_t>();
    for (int i = 0; i < 20; ++i) {  // pixel i of frame f: a colour per (i + f) % 4
      const int k = (i + f) % 4;
      p[3 * i] = static_cast<std::uint8_t>(k == 1 ? 255 : 0);
      p[3 * i + 1] = static_cast<std::uint8_t>(k == 2 ? 255 : 0);
      p[3 * i + 2] = static_cast<std::uint8_t>(k == 3 ? 200 : 10);
    }
    frames.push_back(x);
  }
  frames.push_back(full({3, 4, 5}, 0.5));  // a model's float [C, H, W] frame
  Tensor rich = zeros({20, 20, 3}, kUInt8);  // 400 colours: quantised
  for (int i = 0; i < 400; ++i) {
    rich.data<std::uint8_t>()[3 * i] = static_cast<std::uint8_t>(i % 20 * 13);
    rich.data<std::uint8_t>()[3 * i + 1] = static_cast<std::uint8_t>(i / 20 * 13);
    rich.data<std::uint8_t>()[3 * i + 2] = 77;
  }
  write_gif(path.string(), frames, 7);
  int error = 0;
  GifFileType* gif = DGifOpenFileName(path.c_str(), &error);
  ASSERT_NE(gif, nullptr);
  ASSERT_EQ(DGifSlurp(gif), GIF_OK);
  EXPECT_EQ(gif->SWidth, 5);
  EXPECT_EQ(gif->SHeight, 4);
  ASSERT_EQ(gif->ImageCount, 4);
  bool loops = false;
  for (int e = 0; e < gif->SavedImages[0].ExtensionBlockCount; ++e) {
    const ExtensionBlock& block = gif->SavedImages[0].ExtensionBlocks[e];
    if (block.Function == APPLICATION_EXT_FUNC_CODE && block.ByteCount == 11 &&
        std::string(reinterpret_cast<char*>(block.Bytes), 11) == "NETSCAPE2.0")
      loops = true;
  }
  EXPECT_TRUE(loops);
  for (int f = 0; f < 4; ++f) {
    GraphicsControlBlock control;
    ASSERT_EQ(DGifSavedExtensionToGCB(gif, f, &control), GIF_OK);
    EXPECT_EQ(control.DelayTime, 7);
    const SavedImage& image = gif->SavedImages[f];
    const ColorMapObject* map = image.ImageDesc.ColorMap ? image.ImageDesc.ColorMap : gif->SColorMap;
    ASSERT_NE(map, nullptr);
    for (int i = 0; i < 20; ++i) {
      const GifColorType c = map->Colors[image.RasterBits[i]];
      if (f < 3) {
        const auto* p = frames[static_cast<std::size_t>(f)].data<std::uint8_t>();
        EXPECT_EQ(c.Red, p[3 * i]) << "frame " << f << " pixel " << i;
        EXPECT_EQ(c.Green, p[3 * i + 1]);
        EXPECT_EQ(c.Blue, p[3 * i + 2]);
      } else {
        EXPECT_EQ(c.Red, 128);  // 0.5 of 255, rounded
      }
    }
  }
  DGifCloseFile(gif, &error);
  // More than 256 colours: giflib's median cut (on 5 bits per channel) into 256 boxes.
  write_gif(path.string(), {rich}, 5);
  gif = DGifOpenFileName(path.c_str(), &error);
  ASSERT_NE(gif, nullptr);
  ASSERT_EQ(DGifSlurp(gif), GIF_OK);
  ASSERT_EQ(gif->ImageCount, 1);
  {
    const SavedImage& image = gif->SavedImages[0];
    const ColorMapObject* map = image.ImageDesc.ColorMap ? image.ImageDesc.ColorMap : gif->SColorMap;
    double worst = 0, total = 0;
    for (int i = 0; i < 400; ++i) {
      const GifColorType c = map->Colors[image.RasterBits[i]];
      for (int k = 0; k < 3; ++k) {
        const double want = rich.data<std::uint8_t>()[3 * i + k];
        const double e = std::abs((k == 0 ? c.Red : k == 1 ? c.Green : c.Blue) - want);
        worst = std::max(worst, e);
        total += e;
      }
    }
    std::cerr << "quantised: mean error " << total / 1200 << ", worst " << worst << " (of 255)\n";
    EXPECT_LE(total / 1200, 8.0);
    EXPECT_LE(worst, 64.0);
  }
  DGifCloseFile(gif, &error);
  // Bad input names the frame.
  EXPECT_THROW(write_gif(path.string(), {zeros({4, 5, 3}, kUInt8), zeros({5, 5, 3}, kUInt8)}), ShapeError);
  EXPECT_THROW(write_gif(path.string(), {zeros({4, 5}, kUInt8)}), ShapeError);
  EXPECT_THROW(write_gif(path.string(), {}), ValueError);
  fs::remove(path);
#endif
}

}  // namespace
}  // namespace aime::data
