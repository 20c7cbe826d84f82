// The type-erased interface table behind roc::Binding: lookup, parameter checks, rpc.describe.
#include "roc/binding.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>

namespace roc::detail {
namespace {

// rpc.* is reserved for the system (JSON-RPC 2.0 §6), so no user method may take such a name.
void check_user_name(std::string_view kind, const std::string& interface, const std::string& name) {
  if (name.empty()) throw std::logic_error(fmt::format("binding of '{}': a {} needs a name", interface, kind));
  if (name.rfind("rpc.", 0) == 0)
    throw std::logic_error(fmt::format("binding of '{}': {} name '{}' is reserved (rpc.*)", interface, kind, name));
}

}  // namespace

void InterfaceTable::add_method(MethodEntry entry) {
  check_user_name("method", name, entry.name);
  if (!method_index.emplace(entry.name, methods.size()).second)
    throw std::logic_error(fmt::format("binding of '{}': method '{}' is bound twice", name, entry.name));
  methods.push_back(std::move(entry));
}

void InterfaceTable::add_property(PropertyEntry entry) {
  check_user_name("property", name, entry.name);
  if (!property_index.emplace(entry.name, properties.size()).second)
    throw std::logic_error(fmt::format("binding of '{}': property '{}' is bound twice", name, entry.name));
  properties.push_back(std::move(entry));
}

const MethodEntry* InterfaceTable::find_method(std::string_view method) const {
  auto it = method_index.find(std::string(method));
  return it == method_index.end() ? nullptr : &methods[it->second];
}

const PropertyEntry* InterfaceTable::find_property(std::string_view property) const {
  auto it = property_index.find(std::string(property));
  return it == property_index.end() ? nullptr : &properties[it->second];
}

namespace {

// Named types (struct, enum, external) inside an IDL type spelling such as `map<array<lab::Roi>>`.
void collect_named(std::string_view type, std::set<std::string>& named) {
  static const std::set<std::string_view> words = {
      "bool",  "int8",   "int16",  "int32",  "int64",    "uint8",    "uint16", "uint32", "uint64",
      "float", "double", "string", "void",   "json",     "array",    "map",    "optional",
      "tuple", "duration", "ns",   "us",     "ms",       "s",        "min",    "h"};
  std::size_t start = 0;
  for (std::size_t i = 0; i <= type.size(); ++i) {
    if (i < type.size() && type[i] != '<' && type[i] != '>' && type[i] != ',') continue;
    auto word = type.substr(start, i - start);
    if (!word.empty() && words.count(word) == 0 && !std::isdigit(static_cast<unsigned char>(word.front())))
      named.emplace(word);
    start = i + 1;
  }
}

}  // namespace

std::set<std::string> InterfaceTable::named_types() const {
  std::set<std::string> named;
  for (const auto& m : methods) {
    for (const auto& p : m.params) collect_named(p.type, named);
    collect_named(m.result_type, named);
  }
  for (const auto& p : properties) collect_named(p.type, named);
  return named;
}

// The text and hash of idl/README.md's "Signature" section. A hand-written binding does not know
// the fields of the structs it converts, so its named types count as external.
std::string InterfaceTable::computed_signature() const {
  std::vector<std::string> lines;
  for (const auto& m : methods) {
    std::string params;
    for (const auto& p : m.params) params += (params.empty() ? "" : ",") + p.type;
    lines.push_back(fmt::format("method {}({})->{}", m.name, params, m.result_type));
  }
  for (const auto& p : properties)
    lines.push_back(fmt::format("property {}:{}{}", p.name, p.type, p.set ? "" : " readonly"));
  std::sort(lines.begin(), lines.end());
  std::string text = fmt::format("object {}\n", name);
  for (const auto& line : lines) text += line + '\n';
  for (const auto& type : named_types()) text += fmt::format("external {}\n", type);

  std::uint64_t hash = 14695981039346656037ull;  // 64-bit FNV-1a
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return fmt::format("{:016x}", hash);
}

std::string InterfaceTable::describe() const {
  if (!describe_json.empty()) return describe_json;
  // The IDL v1 document (idl/README.md) with this one object, so that `roc describe` output of a
  // hand-bound object feeds roc-gen like a generated server's does.
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto text = [&](const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  w.Key("roc_idl");
  w.Int(1);
  w.Key("objects");
  w.StartArray();
  w.StartObject();
  text("name", name);
  text("signature", signature.empty() ? computed_signature() : signature);
  if (!doc.empty()) text("doc", doc);
  w.Key("methods");
  w.StartArray();
  for (const auto& m : methods) {
    w.StartObject();
    text("name", m.name);
    w.Key("params");
    w.StartArray();
    for (const auto& p : m.params) {
      w.StartObject();
      text("name", p.name);
      text("type", p.type);
      w.EndObject();
    }
    w.EndArray();
    text("returns", m.result_type);
    if (m.is_const) {
      w.Key("const");
      w.Bool(true);
    }
    if (!m.doc.empty()) text("doc", m.doc);
    w.EndObject();
  }
  w.EndArray();
  w.Key("properties");
  w.StartArray();
  for (const auto& p : properties) {
    w.StartObject();
    text("name", p.name);
    text("type", p.type);
    w.Key("readonly");
    w.Bool(!p.set);
    if (!p.doc.empty()) text("doc", p.doc);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.Key("types");
  w.StartArray();
  for (const auto& type : named_types()) {
    w.StartObject();
    text("name", type);
    text("kind", "external");
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

void check_params_shape(const json::Value* params, const std::vector<ParamInfo>& infos,
                        const std::string& method) {
  if (params == nullptr) return;  // read_argument reports each missing parameter by name
  if (params->IsArray()) {
    if (params->Size() > infos.size())
      throw InvalidParams(fmt::format("method '{}' takes {} parameter{}, got {}", method, infos.size(),
                                      infos.size() == 1 ? "" : "s", params->Size()));
    return;
  }
  for (const auto& member : params->GetObject()) {
    std::string_view given(member.name.GetString(), member.name.GetStringLength());
    bool known = false;
    for (const auto& info : infos) known = known || info.name == given;
    if (!known) {
      std::string expected;
      for (const auto& info : infos) expected += (expected.empty() ? "" : ", ") + info.name;
      throw InvalidParams(fmt::format("method '{}' has no parameter '{}' (its parameters: {})", method,
                                      given, expected.empty() ? "none" : expected));
    }
  }
}

}  // namespace roc::detail
