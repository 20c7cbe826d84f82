// `roc list`: the objects registered with the broker.
#include "roc_command.hpp"

#include <roc/client.hpp>

#include <fmt/format.h>

#include <iostream>

namespace roc::cli {
namespace {

int cmd_list(const Globals& g) {
  roc::Client client(g.endpoints(), {g.timeout()});
  const auto objects = client.objects();
  if (g.json) {
    std::cout << objects.dump() << '\n';
    return exit_code::ok;
  }
  const Palette p(stdout_wants_colour());
  std::cout << fmt::format("{}{:<24} {}{}\n", p.bold, "ID", "WORKERS", p.reset);
  if (objects.value().IsArray())
    for (const auto& o : objects.value().GetArray()) {
      if (!o.IsObject() || !o.HasMember("id") || !o["id"].IsString()) continue;
      const auto w = o.FindMember("workers");
      std::cout << fmt::format("{:<24} {}\n", o["id"].GetString(),
                               w != o.MemberEnd() && w->value.IsUint64() ? w->value.GetUint64() : 0);
    }
  return exit_code::ok;
}

}  // namespace

void add_list_command(CLI::App& app, const Globals& g, int& code) {
  auto* list = app.add_subcommand("list", "List the objects registered with the broker");
  list->callback([&g, &code] { code = run_guarded(g, [&] { return cmd_list(g); }); });
}

}  // namespace roc::cli
