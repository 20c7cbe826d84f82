// The type-erased interface table behind roc::Binding: lookup, parameter checks, rpc.describe.
#include "roc/binding.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fmt/format.h>

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

std::string InterfaceTable::describe() const {
  if (!describe_json.empty()) return describe_json;
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto text = [&](const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  text("name", name);
  if (!doc.empty()) text("doc", doc);
  if (!signature.empty()) text("signature", signature);
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
    w.Key("const");
    w.Bool(m.is_const);
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
