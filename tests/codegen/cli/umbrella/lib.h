// An umbrella header: its sub-headers compile only through it (as some vendor SDKs do).
#pragma once
#include <roc/annotate.hpp>
#include <string>
#define CLI_LIB_UMBRELLA 1
#include "sub.h"
