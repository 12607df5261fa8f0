// Copyright persist authors.

#include "fsops/digest.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "fsops/testing/fault_env.h"
#include "gtest/gtest.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace testing {
namespace {

class CountingReads : public FaultEnv {
 public:
  using FaultEnv::FaultEnv;
  absl::StatusOr<size_t> Read(int fd, char* buf, size_t n, const std::string& path) override {
    ++reads_;
    return FaultEnv::Read(fd, buf, n, path);
  }
  int reads() const { return reads_.load(); }

 private:
  std::atomic<int> reads_{0};
};

class ReadToEndTest : public ::testing::Test {
 protected:
  // Everything ReadToEnd hands over from `content`, told the file is
  // `expected_size` bytes; counts the reads in *reads.
  std::string ReadAll(const std::string& content, int64_t expected_size, int* reads) {
    WriteFile(dir_.Sub("f"), content);
    const int fd = open(dir_.Sub("f").c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    CountingReads env(Env::Default());
    std::string got;
    absl::Status status = ReadToEnd(&env, fd, expected_size, "f", [&](const char* data, size_t n) {
      got.append(data, n);
      return absl::OkStatus();
    });
    close(fd);
    EXPECT_TRUE(status.ok()) << status;
    *reads = env.reads();
    return got;
  }

  TempDir dir_;
};

TEST_F(ReadToEndTest, StopsAtTheStatsSizeOnlyWhenTheFileEndsThere) {
  struct Case {
    const char* what;
    std::string content;
    int64_t expected_size;
    int reads;  // -1: not counted
  };
  const Case cases[] = {
      {"the size a stat gave: no empty read", "hello\n", 6, 1},
      {"no size given: the empty read ends it", "hello\n", -1, 2},
      {"grown since the stat: read to its true end", "hello, and more\n", 6, -1},
      {"shrunk since the stat: the empty read ends it", "hel", 6, 2},
      {"empty, and said to be", "", 0, 1},
  };
  for (const Case& c : cases) {
    int reads = 0;
    EXPECT_EQ(ReadAll(c.content, c.expected_size, &reads), c.content) << c.what;
    if (c.reads >= 0) {
      EXPECT_EQ(reads, c.reads) << c.what;
    }
  }
}

TEST_F(ReadToEndTest, ALargeFileIsReadWholeInBufferSizedChunks) {
  std::string content;
  for (size_t i = 0; content.size() < 3 * kReadBufferSize + 17; ++i) content += std::to_string(i) + ",";
  int reads = 0;
  EXPECT_EQ(ReadAll(content, static_cast<int64_t>(content.size()), &reads), content);
  EXPECT_EQ(reads, 4);  // three full buffers, then the rest with one byte to spare
}

TEST(DigestTest, DigestFdMatchesDigestBytesWhateverTheSizeGiven) {
  TempDir dir;
  const std::string content(kReadBufferSize + 5, 'x');
  WriteFile(dir.Sub("f"), content);
  for (int64_t size : {int64_t{-1}, static_cast<int64_t>(content.size()), int64_t{3}}) {
    const int fd = open(dir.Sub("f").c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    absl::StatusOr<std::string> digest = DigestFd(Env::Default(), fd, "f", size);
    close(fd);
    ASSERT_TRUE(digest.ok()) << digest.status();
    EXPECT_EQ(HexDigest(*digest), HexDigest(DigestBytes(content))) << "size " << size;
  }
  EXPECT_EQ(HexDigest(DigestBytes("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace testing
}  // namespace persist
