// The consumer's annotated device.
#pragma once

#include <roc/annotate.hpp>

#include <string>

namespace shop {

struct ROC_STRUCT Reading {
  double celsius = 0;
  std::string where;
};

class ROC_OBJECT Thermometer {
 public:
  /// Reads the temperature at `where`.
  ROC_METHOD Reading read(const std::string& where) { return Reading{21.5, where}; }
};

}  // namespace shop
