// The whole public API of roc in one include.
#pragma once

#include "roc/attachment.hpp"
#include "roc/binding.hpp"
#include "roc/broker.hpp"
#include "roc/call_context.hpp"
#include "roc/client.hpp"
#include "roc/endpoints.hpp"
#include "roc/error.hpp"
#include "roc/json.hpp"
#include "roc/log.hpp"
#include "roc/log_subscriber.hpp"
#include "roc/presence.hpp"
#include "roc/security.hpp"
#include "roc/server.hpp"
#include "roc/status.hpp"
#include "roc/version.hpp"
