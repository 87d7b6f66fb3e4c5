#include "io/tensorboard_events.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "io/crc32c.h"

namespace aime::io {
namespace {

namespace fs = std::filesystem;

TEST(Crc32c, PublishedCheckValues) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);  // RFC 3720 B.4's check value
  EXPECT_EQ(crc32c("", 0), 0u);
  const std::string zeros(32, '\0');  // RFC 3720 B.4: 32 bytes of zeros
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  // Continuing a CRC over two pieces equals one pass.
  EXPECT_EQ(crc32c("6789", 4, crc32c("12345", 5)), 0xE3069283u);
  EXPECT_EQ(mask_crc32c(0), 0xA282EAD8u);
}

std::pair<int, std::string> run(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// The file read back by an independent reader (tests/io/read_tfevents.py: its own CRC-32C
// and protobuf decoder): version first, then tags, steps and values as written.
TEST(EventFileWriter, AnIndependentReaderReadsTagsStepsValuesAndImages) {
  if (run("python3 -c 'import json, struct'").first != 0) GTEST_SKIP() << "no python3";
  const fs::path dir = fs::temp_directory_path() / ("aime_tb_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  std::string path;
  {
    EventFileWriter w(dir.string());
    path = w.path();
    w.add_scalar("loss", 1, 2.5);
    w.add_scalar("rec/image", 2, -1234.5);
    w.add_scalar("kl", 300000, 0.125);
    w.add_image("prediction", 7, std::string("\x89PNG\r\n\x1a\n", 8) + "pixels", 64, 192, 3);
  }
  EXPECT_NE(fs::path(path).filename().string().find("events.out.tfevents."), std::string::npos);
  const auto [code, out] = run("python3 " AIME_SOURCE_DIR "/tests/io/read_tfevents.py " + path);
  ASSERT_EQ(code, 0) << out;
  // The protobuf library's own parser (Debian's python3-protobuf), where installed, reads
  // the same events.
  if (run("/usr/bin/python3 -c 'import google.protobuf'").first == 0) {
    const auto [pcode, pout] = run("/usr/bin/python3 " AIME_SOURCE_DIR "/tests/io/read_tfevents.py --protobuf " + path);
    ASSERT_EQ(pcode, 0) << pout;
    EXPECT_EQ(pout, out);
  } else {
    std::cerr << "(python3-protobuf not installed: checked by our own reader only)\n";
  }
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = out.find('\n', start)) != std::string::npos; start = end + 1)
    lines.push_back(out.substr(start, end - start));
  ASSERT_EQ(lines.size(), 5u) << out;
  EXPECT_NE(lines[0].find("\"file_version\": \"brain.Event:2\""), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("\"step\": 1, \"values\": [{\"tag\": \"loss\", \"simple_value\": 2.5}]"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("\"step\": 2, \"values\": [{\"tag\": \"rec/image\", \"simple_value\": -1234.5}]"), std::string::npos)
      << lines[2];
  EXPECT_NE(lines[3].find("\"step\": 300000, \"values\": [{\"tag\": \"kl\", \"simple_value\": 0.125}]"), std::string::npos)
      << lines[3];
  EXPECT_NE(lines[4].find("\"image\": {\"height\": 64, \"width\": 192, \"colorspace\": 3, \"encoded_image_string\": "
                          "\"89504e470d0a1a0a706978656c73\"}"),
            std::string::npos)
      << lines[4];
  for (const auto& l : lines) EXPECT_NE(l.find("\"wall_time\": 1"), std::string::npos) << l;  // seconds since 1970: 1.7e9

  // One flipped bit anywhere is caught by the reader's CRC check: the test can fail.
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  bytes[bytes.size() / 2] ^= 0x10;
  {
    std::ofstream o(path, std::ios::binary | std::ios::trunc);
    o << bytes;
  }
  const auto [bad, message] = run("python3 " AIME_SOURCE_DIR "/tests/io/read_tfevents.py " + path);
  EXPECT_EQ(bad, 1) << message;
  EXPECT_NE(message.find("CRC"), std::string::npos) << message;
  fs::remove_all(dir);
}

TEST(EventFileWriter, AnUnwritableFolderIsAClearError) {
  EXPECT_THROW(EventFileWriter("/proc/aime_cannot_write_here"), std::exception);
}

}  // namespace
}  // namespace aime::io
