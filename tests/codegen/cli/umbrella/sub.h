// A sub-header of lib.h, with a default argument roc cannot send (a warning, not an error).
#ifndef CLI_LIB_UMBRELLA
#error "include lib.h"
#endif
int next_channel();
class ROC_OBJECT Sub {
 public:
  ROC_METHOD double read(int channel = next_channel(), bool calibrated = true);
};
