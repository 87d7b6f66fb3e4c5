// A seeded mutation fuzzer for the loaders' tests: each call of mutate() derives a new input
// from a valid one by the edits that found bugs in file parsers before (AFL's havoc stage,
// simplified): bit flips, bytes set to boundary values, 2/4/8-byte fields set to large or
// zero values, truncation, insertion, deletion and duplication of a block. The same seed
// gives the same inputs, so a failure reproduces from the test's output (seed, iteration).
#pragma once
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "autograd/error.h"

namespace aime::testing {

class Mutator {
 public:
  explicit Mutator(std::uint64_t seed) : rng_(seed) {}

  std::string mutate(std::string s) {
    const int edits = 1 + static_cast<int>(below(4));
    for (int i = 0; i < edits; ++i) edit(s);
    return s;
  }

 private:
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  void edit(std::string& s) {
    if (s.empty()) {
      s.push_back(static_cast<char>(below(256)));
      return;
    }
    const std::size_t at = static_cast<std::size_t>(below(s.size()));
    switch (below(8)) {
      case 0: s[at] = static_cast<char>(s[at] ^ (1 << below(8))); break;
      case 1: {
        static const unsigned char values[] = {0x00, 0x01, 0x7F, 0x80, 0xFF, '9', '-', '{', '(', '\''};
        s[at] = static_cast<char>(values[below(sizeof values)]);
        break;
      }
      case 2: {  // a little-endian field set to a boundary value
        const std::size_t width = std::size_t(1) << (1 + below(3));
        const std::uint64_t values[] = {0, 0xFFFFFFFFFFFFFFFFull, 0x7FFFFFFFull, 0x80000000ull, 0xFFFFull, 1u << 20};
        const std::uint64_t v = values[below(6)];
        for (std::size_t k = 0; k < width && at + k < s.size(); ++k) s[at + k] = static_cast<char>((v >> (8 * k)) & 0xFF);
        break;
      }
      case 3: s.resize(at); break;
      case 4: s.insert(at, std::string(1 + below(16), static_cast<char>(below(256)))); break;
      case 5: s.erase(at, 1 + below(std::min<std::uint64_t>(64, s.size() - at))); break;
      case 6: {  // a block copied elsewhere
        const std::size_t len = static_cast<std::size_t>(1 + below(std::min<std::uint64_t>(64, s.size() - at)));
        const std::string block = s.substr(at, len);
        s.insert(static_cast<std::size_t>(below(s.size() + 1)), block);
        break;
      }
      default:  // an ASCII digit changed (sizes in text headers: npy, yaml, safetensors' JSON)
        for (std::size_t k = at; k < s.size(); ++k)
          if (s[k] >= '0' && s[k] <= '9') {
            s[k] = static_cast<char>('0' + below(10));
            if (below(2)) s.insert(k, std::string(1 + below(12), '9'));
            break;
          }
    }
  }
  std::mt19937_64 rng_;
};

// The fuzzed process gets at most 4 GiB of address space, so that a loader that trusts a
// size it read fails here (std::bad_alloc, or the allocator's "out of memory" Error) instead
// of taking the machine's memory. Under AddressSanitizer, whose shadow memory needs a huge
// reservation, scripts/sanitize.sh sets max_allocation_size_mb instead.
inline void cap_address_space() {
#if !defined(__SANITIZE_ADDRESS__)
  static const bool done = [] {
    rlimit limit{};
    getrlimit(RLIMIT_AS, &limit);
    const rlim_t cap = rlim_t(4) << 30;
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > cap) {
      limit.rlim_cur = cap;
      setrlimit(RLIMIT_AS, &limit);
    }
    return true;
  }();
  (void)done;
#endif
}

// Runs `load` on `iterations` mutants of `valid` (stopping early after `seconds`): every
// mutant must load or be refused with aime::Error; anything else (another exception, which
// names neither file nor field, or an Error saying the machine ran out of memory: a size
// trusted before it was checked) fails with the seed and iteration that reproduce it. A
// crash or a hang fails the test process itself (under the sanitizers, a memory error too).
// Returns how many were refused.
inline int fuzz_loader(const std::string& name, const std::string& valid, std::uint64_t seed, int iterations,
                       double seconds, const std::function<void(const std::string&)>& load) {
  cap_address_space();
  Mutator m(seed);
  int refused = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > seconds) break;
    const std::string input = m.mutate(valid);
    try {
      load(input);
    } catch (const Error& e) {
      if (std::string(e.what()).find("out of memory") != std::string::npos) {
        ADD_FAILURE() << name << ": seed " << seed << ", iteration " << i << ": an allocation the size checks should "
                      << "have refused: " << e.what();
        return refused;
      }
      ++refused;
    } catch (const std::exception& e) {
      ADD_FAILURE() << name << ": seed " << seed << ", iteration " << i << ": not an aime::Error: " << e.what();
      return refused;
    }
  }
  return refused;
}

}  // namespace aime::testing
