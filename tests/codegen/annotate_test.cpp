// roc/annotate.hpp under g++ with -Wall -Wextra -Wpedantic -Werror (set on this target): an
// annotated header must compile with no warning at all, and the macros must vanish.
#include <roc/annotate.hpp>

#include <doctest/doctest.h>

#include <string>
#include <type_traits>

namespace annotated {

struct ROC_STRUCT Point {
  int x = 0;
};

enum class ROC_ENUM Mode { fast, precise };

class ROC_OBJECT Camera {
 public:
  ROC_METHOD int grab(int lines) { return lines; }
  ROC_METHOD_AS("close") void shut() {}
  ROC_PROPERTY double fps() const { return fps_; }
  void set_fps(double fps) { fps_ = fps; }
  ROC_PROPERTY int gain = 1;
  ROC_PROPERTY_AS("label") std::string name;

 private:
  double fps_ = 10;
};

}  // namespace annotated

TEST_CASE("annotations compile to nothing outside roc-gen") {
  annotated::Camera cam;
  CHECK(cam.grab(3) == 3);
  CHECK(std::is_standard_layout_v<annotated::Point>);
#if defined(ROC_CODEGEN)
  FAIL("ROC_CODEGEN must only be defined by roc-gen");
#endif
}
