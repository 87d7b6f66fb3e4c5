#include "autograd/generator.h"

#include <string>

#include "autograd/error.h"

namespace aime {

Generator& default_generator() {
  static Generator gen(0);
  return gen;
}

void Generator::set_rows(Rows rows) {
  if (rows.total != 0 && !(rows.total > 0 && 0 <= rows.begin && rows.begin < rows.end && rows.end <= rows.total))
    throw ValueError("Generator::set_rows: expected 0 <= begin < end <= total, got begin " + std::to_string(rows.begin) +
                     ", end " + std::to_string(rows.end) + ", total " + std::to_string(rows.total));
  rows_ = rows;
}

void manual_seed(std::uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace aime
