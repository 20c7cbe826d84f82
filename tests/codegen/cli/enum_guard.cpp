// Compiles only when modes.roc.hpp (the enum's generated names) is included before the object's
// generated file: without it e2e::Mode would travel as an integer while the IDL says names.
#ifdef WITH_ENUM_NAMES
#include "modes.roc.hpp"
#endif
#include "mode_user.roc.hpp"
