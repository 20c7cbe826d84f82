// `roc describe`: an object's interface as a reader wants it — methods with their signatures and
// docs, properties with their current values and access, the types they use — or the IDL JSON the
// object serves (rpc.describe) with --json: `roc describe vnir --json > vnir.idl.json` gives roc-gen
// its input. The summary does not depend on where stdout goes, so what a reader sees in a pipe
// (`| less`) is what they saw on the terminal.
#include "roc_command.hpp"

#include <roc/client.hpp>

#include <fmt/format.h>

#include <iostream>

#include <memory>
#include <string>
#include <string_view>

namespace roc::cli {
namespace {

using roc::json::Value;

/// How many characters of a property's value the summary shows.
constexpr std::size_t value_width = 60;

std::string text_of(const Value& object, const char* name) {
  if (!object.IsObject()) return {};
  const auto member = object.FindMember(name);
  return member != object.MemberEnd() && member->value.IsString() ? member->value.GetString() : std::string{};
}

const Value* array_of(const Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  const auto member = object.FindMember(name);
  return member != object.MemberEnd() && member->value.IsArray() ? &member->value : nullptr;
}

/// The doc comment indented under its declaration, one output line per line of it.
std::string doc_lines(const std::string& doc, std::string_view indent) {
  std::string out;
  std::size_t start = 0;
  while (start < doc.size()) {
    auto end = doc.find('\n', start);
    if (end == std::string::npos) end = doc.size();
    out += fmt::format("{}{}\n", indent, std::string_view(doc).substr(start, end - start));
    start = end + 1;
  }
  return out;
}

/// `set_roi(roi: lab::Roi) -> void`.
std::string signature_of(const Value& method) {
  std::string params;
  if (const auto* list = array_of(method, "params"))
    for (const auto& p : list->GetArray())
      params += fmt::format("{}{}: {}", params.empty() ? "" : ", ", text_of(p, "name"), text_of(p, "type"));
  return fmt::format("{}({}) -> {}", text_of(method, "name"), params, text_of(method, "returns"));
}

/// `{ x: uint32, y: uint32 }` for a struct, `{ internal = 0, external = 1 }` for an enum.
std::string type_body(const Value& type) {
  std::string body;
  if (const auto* fields = array_of(type, "fields"))
    for (const auto& f : fields->GetArray())
      body += fmt::format("{}{}: {}", body.empty() ? "" : ", ", text_of(f, "name"), text_of(f, "type"));
  if (const auto* values = array_of(type, "values"))
    for (const auto& v : values->GetArray()) {
      const auto number = v.IsObject() && v.HasMember("value") ? roc::json::to_string(v["value"]) : std::string("?");
      body += fmt::format("{}{} = {}", body.empty() ? "" : ", ", text_of(v, "name"), number);
    }
  return fmt::format("{{ {} }}", body);
}

/// A property's current value as compact JSON cut to value_width, or why it could not be read.
std::string current_value(roc::ObjectHandle& object, const std::string& property) {
  try {
    roc::Json name = roc::Json::parse("[]");
    name.value().PushBack(Value(property, name.allocator()), name.allocator());
    auto text = object.call_raw("rpc.get", name).plain().dump();
    if (text.size() > value_width) text = text.substr(0, value_width - 3) + "...";
    return text;
  } catch (const roc::RemoteError& e) {
    return fmt::format("(not read: {})", e.message());
  } catch (const roc::TimeoutError&) {
    return "(not read: no reply)";
  }
}

void print_summary(const std::string& id, const roc::Json& idl, roc::ObjectHandle& object, const Palette& p) {
  const auto& doc = idl.value();
  if (const auto* objects = array_of(doc, "objects"))
    for (const auto& o : objects->GetArray()) {
      std::cout << fmt::format("{}{}{}: {}", p.bold, id, p.reset, text_of(o, "name"));
      if (const auto signature = text_of(o, "signature"); !signature.empty())
        std::cout << fmt::format(" {}(interface signature {}){}", p.dim, signature, p.reset);
      std::cout << '\n' << doc_lines(text_of(o, "doc"), "  ");
      if (const auto* methods = array_of(o, "methods"); methods && !methods->Empty()) {
        std::cout << fmt::format("\n{}Methods{}\n", p.bold, p.reset);
        for (const auto& m : methods->GetArray())
          std::cout << fmt::format("  {}\n", signature_of(m)) << doc_lines(text_of(m, "doc"), "      ");
      }
      if (const auto* properties = array_of(o, "properties"); properties && !properties->Empty()) {
        std::cout << fmt::format("\n{}Properties{}\n", p.bold, p.reset);
        for (const auto& prop : properties->GetArray()) {
          const auto name = text_of(prop, "name");
          const bool read_only = prop.IsObject() && prop.HasMember("readonly") && prop["readonly"].IsBool() &&
                                 prop["readonly"].GetBool();
          std::cout << fmt::format("  {}: {} = {}  {}{}{}\n", name, text_of(prop, "type"), current_value(object, name),
                                   p.dim, read_only ? "read-only" : "read-write", p.reset)
                    << doc_lines(text_of(prop, "doc"), "      ");
        }
      }
    }
  if (const auto* types = array_of(doc, "types"); types && !types->Empty()) {
    std::cout << fmt::format("\n{}Types{}\n", p.bold, p.reset);
    for (const auto& t : types->GetArray())
      std::cout << fmt::format("  {} {} {}\n", text_of(t, "kind"), text_of(t, "name"), type_body(t))
                << doc_lines(text_of(t, "doc"), "      ");
  }
}

}  // namespace

void add_describe_command(CLI::App& app, const Globals& g, int& code) {
  auto id = std::make_shared<std::string>();
  auto* describe = app.add_subcommand(
      "describe",
      "Print an object's interface: methods with their signatures and docs, properties with their\n"
      "current values and access, the types they use. With --json, the IDL JSON instead\n"
      "(rpc.describe; roc-gen's input)");
  describe->add_option("id", *id, "Object id")->required();
  describe->callback([id, &g, &code] {
    code = run_guarded(g, [&] {
      roc::Client client(g.endpoints(), {g.timeout()});
      auto object = client[*id];
      const auto idl = with_timeout_said(g, *id + ".rpc.describe", [&] { return object.describe(); });
      if (g.json) {
        print_json(idl, g);
        return exit_code::ok;
      }
      print_summary(*id, idl, object, Palette(stdout_wants_colour()));
      return exit_code::ok;
    });
  });
}

}  // namespace roc::cli
