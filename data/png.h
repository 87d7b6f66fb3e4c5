// PNG in and out (through stb_image / stb_image_write): frames of an episode, grids of
// several sequences, and episodes imported from a folder of PNG frames.
#pragma once
#include <string>

#include "autograd/tensor.h"
#include "data/episode.h"

namespace aime::data {

// An image, uint8 [H, W, C] (a dataset's frame; C = 1 to 4) or floating [C, H, W] in
// [0, 1] (a model's, values clamped and rounded), written atomically.
void write_png(const std::string& path, const Tensor& image);
// The PNG file's bytes of such an image, in memory (e.g. for a TensorBoard image summary).
std::string encode_png(const Tensor& image);
// [H, W, C] uint8 with the file's channels, or `channels` (1-4) when given.
Tensor read_png(const std::string& path, int channels = 0);

// Tiles images [N, H, W, C] uint8 (or [N, C, H, W] float in [0, 1]) into a grid of
// `columns` per row with a 1-pixel border, e.g. one row per sequence of a batch.
Tensor image_grid(const Tensor& images, std::int64_t columns);

// Writes the episode's `key` frames [T, H, W, C] as dir/frame_0000.png, ... (dir created).
// Returns the number of frames written.
std::int64_t export_episode_frames(const Episode& episode, const std::string& dir, const std::string& key = "image");

// An episode from a folder of frames (PNG files in name order) plus an actions file: CSV
// (one row of A comma-separated numbers per frame) or .npy [T, A]. Action row t is the
// action taken after frame t (row T - 1 is unused); the episode gets `image` [T, H, W, 3],
// pre_action [T, A] (zeros at t = 0, then the actions shifted by one), reward [T, 1]
// zeros, and is_first / is_last / is_terminal as for a trajectory that ran out of time.
Episode import_png_episode(const std::string& frames_dir, const std::string& actions_file);

}  // namespace aime::data
