#include "io/zip.h"

#include <gtest/gtest.h>

#include <sstream>

#include "autograd/api.h"

namespace aime::io {
namespace {

std::string archive(Compression c, bool force_zip64) {
  std::ostringstream out;
  ZipWriter zip(out, force_zip64);
  zip.add("a.npy", "hello hello hello hello", c);
  zip.add("empty.npy", "", c);
  zip.add("b.npy", std::string(10000, 'x') + "tail", c);
  zip.finish();
  return out.str();
}

TEST(Zip, RoundTripStoredDeflateAndZip64) {
  for (Compression c : {Compression::Stored, Compression::Deflate})
    for (bool z64 : {false, true}) {
      const std::string bytes = archive(c, z64);
      ZipReader zip(bytes, "test.zip");
      ASSERT_EQ(zip.entries().size(), 3u);
      EXPECT_EQ(zip.entries()[0].name, "a.npy");
      EXPECT_EQ(zip.read(zip.entries()[0]), "hello hello hello hello");
      EXPECT_EQ(zip.read(zip.entries()[1]), "");
      EXPECT_EQ(zip.read(zip.entries()[2]), std::string(10000, 'x') + "tail");
      EXPECT_EQ(zip.entries()[2].method, c == Compression::Deflate ? 8 : 0);
    }
  EXPECT_LT(archive(Compression::Deflate, false).size(), 1000u);  // 10 kB of 'x' compresses
  EXPECT_EQ(archive(Compression::Stored, false), archive(Compression::Stored, false));  // reproducible bytes
}

void expect_error(const std::string& bytes, const std::string& mention) {
  try {
    ZipReader zip(bytes, "ep.npz");
    for (const auto& e : zip.entries()) zip.read(e);
    FAIL() << "expected an error mentioning " << mention;
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find(mention), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("ep.npz"), std::string::npos) << e.what();
  }
}

TEST(Zip, CorruptArchivesFailClearly) {
  const std::string stored = archive(Compression::Stored, false);
  const std::string deflated = archive(Compression::Deflate, false);
  expect_error("short", "not a zip archive");
  expect_error(std::string(100, 'z'), "no end-of-central-directory record");
  expect_error(stored.substr(200), "outside");  // the front cut off: offsets point nowhere
  std::string flipped = stored;
  flipped[40] ^= 0x01;  // inside a.npy's data
  expect_error(flipped, "CRC-32 mismatch");
  std::string bad_deflate = deflated;
  bad_deflate[37] ^= 0x55;  // inside a.npy's deflate stream (data starts at byte 35)
  expect_error(bad_deflate, "ep.npz: a.npy");
}

// Fuzz: every mutation parses and reads, or throws aime::Error; no other exception, no
// crash, no huge allocation.
TEST(Zip, CorruptedBytesNeverCrash) {
  Generator gen(5);
  const auto r = rand({60000}, gen, kFloat64).to_vector<double>();
  std::size_t k = 0, rejected = 0;
  auto next = [&](std::size_t n) { return static_cast<std::size_t>(r[k++ % r.size()] * static_cast<double>(n)); };
  for (bool z64 : {false, true})
    for (Compression c : {Compression::Stored, Compression::Deflate}) {
      const std::string good = archive(c, z64);
      for (int iter = 0; iter < 1500; ++iter) {
        std::string bytes = good;
        switch (iter % 3) {
          case 0: bytes.resize(next(bytes.size())); break;
          case 1:
            for (int j = 0; j < 3; ++j) bytes[next(bytes.size())] = static_cast<char>(next(256));
            break;
          case 2:  // a size or offset field set to something large
            for (int j = 0; j < 4; ++j) bytes[bytes.size() - 1 - next(120)] = static_cast<char>(0xFF);
            break;
        }
        try {
          ZipReader zip(bytes, "fuzz");
          for (const auto& e : zip.entries()) zip.read(e);
        } catch (const Error&) {
          ++rejected;
        } catch (const std::exception& e) {
          FAIL() << "unexpected exception " << e.what();
        }
      }
    }
  EXPECT_GT(rejected, 3000u);
}

}  // namespace
}  // namespace aime::io
