// Animated GIF out, through Debian's giflib (libgif-dev): the original writes prediction
// videos; `aime imagine --video` writes truth, model and error side by side over time.
// Built when CMake finds giflib (AIME_GIF=AUTO|ON|OFF); without it write_gif throws an
// Error that says so.
#pragma once
#include <string>
#include <vector>

#include "autograd/tensor.h"

namespace aime::data {

// Whether this build has giflib.
bool gif_available();

// Writes frames (each uint8 [H, W, 3], or float [3, H, W] in [0, 1]; all of one size) as a
// looping animation, `delay_cs` hundredths of a second per frame, written atomically. Each
// frame gets its own palette: its colours exactly when it has at most 256, else giflib's
// median-cut quantiser's 256 (a prediction's gradients band less than with one fixed
// palette).
void write_gif(const std::string& path, const std::vector<Tensor>& frames, int delay_cs = 10);

}  // namespace aime::data
