#include "data/png.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "autograd/api.h"

namespace aime::data {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

Tensor pattern(std::int64_t h, std::int64_t w, std::int64_t c, int seed) {
  std::vector<double> v;
  for (std::int64_t i = 0; i < h * w * c; ++i) v.push_back(static_cast<double>((i * 37 + seed * 11) % 256));
  return tensor(v, {h, w, c}).to(kUInt8);
}

TEST(Png, RoundTripIsExact) {
  const fs::path dir = fresh_dir("aime_png");
  for (std::int64_t c : {1, 3, 4}) {
    const Tensor img = pattern(5, 7, c, static_cast<int>(c));
    const std::string path = (dir / ("img" + std::to_string(c) + ".png")).string();
    write_png(path, img);
    const Tensor back = read_png(path);
    EXPECT_EQ(back.shape(), img.shape());
    EXPECT_EQ(back.to_vector<std::uint8_t>(), img.to_vector<std::uint8_t>());
  }
  // Float CHW in [0, 1] is converted (rounded, clamped).
  const Tensor chw = tensor({0.0, 1.0, 2.0, -1.0, 0.5, 0.25}, {3, 1, 2});
  write_png((dir / "f.png").string(), chw);
  EXPECT_EQ(read_png((dir / "f.png").string()).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{0, 255, 128, 255, 0, 64}));
  fs::remove_all(dir);
}

TEST(Png, GridTilesImagesWithBorders) {
  const Tensor images = stack({pattern(2, 3, 3, 1), pattern(2, 3, 3, 2), pattern(2, 3, 3, 3)}, 0);
  const Tensor grid = image_grid(images, 2);
  EXPECT_EQ(grid.shape(), (Shape{2 * 3 + 1, 2 * 4 + 1, 3}));
  // Image 2 sits at row 1, column 0: top-left pixel at (4, 1).
  EXPECT_EQ(grid.select(0, 4).select(0, 1).to_vector<std::uint8_t>(), pattern(2, 3, 3, 3).select(0, 0).select(0, 0).to_vector<std::uint8_t>());
  EXPECT_EQ(grid.select(0, 0).select(0, 0).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{0, 0, 0}));  // border
}

TEST(Png, EpisodeFramesExportAndImportBack) {
  const fs::path dir = fresh_dir("aime_png_episode");
  Episode e;
  e.set("image", stack({pattern(4, 4, 3, 1), pattern(4, 4, 3, 2), pattern(4, 4, 3, 3)}, 0));
  EXPECT_EQ(export_episode_frames(e, (dir / "frames").string()), 3);
  std::ofstream(dir / "actions.csv") << "0.5, -1\n0.25,1\n";
  const Episode back = import_png_episode((dir / "frames").string(), (dir / "actions.csv").string());
  EXPECT_EQ(back.length(), 3);
  EXPECT_EQ(back.at("image").data.to_vector<std::uint8_t>(), e.at("image").data.to_vector<std::uint8_t>());
  EXPECT_EQ(back.at("pre_action").data.to_vector<float>(), (std::vector<float>{0, 0, 0.5f, -1, 0.25f, 1}));
  EXPECT_TRUE(back.at("is_first").boolean);
  EXPECT_EQ(back.at("is_last").data.to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{0, 0, 1}));
  // A bad actions file names the file and the line.
  std::ofstream(dir / "bad.csv") << "0.5, -1\n0.25,x\n";
  try {
    import_png_episode((dir / "frames").string(), (dir / "bad.csv").string());
    FAIL();
  } catch (const ValueError& err) {
    EXPECT_NE(std::string(err.what()).find("bad.csv: line 2: 'x' is not a number"), std::string::npos) << err.what();
  }
  std::ofstream(dir / "frames" / "broken.png") << "not a png";
  EXPECT_THROW(import_png_episode((dir / "frames").string(), (dir / "actions.csv").string()), ValueError);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace aime::data
