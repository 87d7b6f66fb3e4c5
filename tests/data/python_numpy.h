// Test helper: a python3 that can import numpy, or "" (tests that need one then skip).
#pragma once
#include <cstdlib>
#include <string>

namespace aime::data::testing {

inline std::string python_with_numpy() {
  for (const char* candidate : {"/usr/bin/python3", "python3"}) {
    const std::string cmd = std::string(candidate) + " -c 'import numpy' > /dev/null 2>&1";
    if (std::system(cmd.c_str()) == 0) return candidate;
  }
  return "";
}

}  // namespace aime::data::testing
