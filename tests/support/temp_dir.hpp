// A private temporary directory for one test, removed with everything in it when the
// test ends. Tests put their ipc endpoints and captured output there, so parallel
// runs never share a path.
#pragma once

#include <string>

namespace hookbus::testing {

/// A fresh mode-0700 directory under $TMPDIR (or /tmp), removed on destruction.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    /// `path()/name`.
    std::string file(const std::string& name) const { return path_ + "/" + name; }

  private:
    std::string path_;
};

/// The whole content of a file, or "" when it cannot be read.
std::string read_text_file(const std::string& path);

}  // namespace hookbus::testing
