#include "support/temp_dir.hpp"

#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace roc::test {

// mkdtemp, not a name made from the pid: tests of one run, and runs of other worktrees on the
// same machine, never share or remove each other's directories.
TempDir::TempDir() {
  auto pattern = (std::filesystem::temp_directory_path() / "roc-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot make a temporary directory: " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;  // a destructor cannot report; a leftover in /tmp is harmless
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace roc::test
