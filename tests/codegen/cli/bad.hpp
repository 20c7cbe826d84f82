// A header roc-gen must reject: a raw pointer parameter. Used by roc_gen_cli_test.cmake.
#pragma once
#include <roc/annotate.hpp>

class ROC_OBJECT Bad {
 public:
  ROC_METHOD void write(char* text);
};
