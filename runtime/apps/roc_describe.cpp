// `roc describe`: an object's interface.
#include "roc_command.hpp"

#include <roc/client.hpp>

#include <memory>
#include <string>

namespace roc::cli {

void add_describe_command(CLI::App& app, const Globals& g, int& code) {
  auto id = std::make_shared<std::string>();
  auto* describe = app.add_subcommand("describe", "Print an object's interface (its IDL JSON)");
  describe->add_option("id", *id, "Object id")->required();
  describe->callback([id, &g, &code] {
    code = run_guarded(g, [&] {
      roc::Client client(g.endpoints(), {g.timeout()});
      print_json(client[*id].describe(), g);
      return exit_code::ok;
    });
  });
}

}  // namespace roc::cli
