// The type-erased interface table behind roc::Binding: lookup, parameter checks, rpc.describe.
#include "roc/binding.hpp"

#include "model/idl_json.hpp"
#include "model/signature.hpp"
#include "model/type_ref.hpp"

#include <fmt/format.h>

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

// A hand-written binding declares no types: every name its type spellings reach is a leaf.
std::set<std::string> InterfaceTable::named_types() const {
  const idl::Document none;
  std::set<std::string> named;
  auto collect = [&](const std::string& type) { idl::collect_named_types(idl::parse_type(type), none, named); };
  for (const auto& m : methods) {
    for (const auto& p : m.params) collect(p.type);
    collect(m.result_type);
  }
  for (const auto& p : properties) collect(p.type);
  return named;
}

namespace {

// The IDL v1 document of this one object (idl/README.md), so that `roc describe` output of a
// hand-bound object feeds roc-gen like a generated server's does. A hand-written binding does not
// know the fields of the structs it converts, so its named types are `external`.
idl::Document idl_document(const InterfaceTable& table) {
  idl::Document doc;
  idl::Object object;
  object.name = table.name;
  object.doc = table.doc;
  for (const auto& m : table.methods) {
    idl::Method method;
    method.name = m.name;
    for (const auto& p : m.params) {
      idl::Param param;
      param.name = p.name;
      param.type = p.type;
      param.inout = p.inout;
      param.default_value = p.default_json;
      method.params.push_back(std::move(param));
    }
    method.returns = m.result_type;
    method.returns_self = m.returns_self;
    method.is_const = m.is_const;
    method.progress = m.progress;
    method.cancellable = m.cancellable;
    method.doc = m.doc;
    object.methods.push_back(std::move(method));
  }
  for (const auto& p : table.properties) {
    idl::Property property;
    property.name = p.name;
    property.type = p.type;
    property.readonly = !p.set;
    property.doc = p.doc;
    object.properties.push_back(std::move(property));
  }
  for (const auto& type : table.named_types()) {
    idl::TypeDecl decl;
    decl.kind = idl::TypeKind::external;
    decl.name = type;
    doc.types.push_back(std::move(decl));
  }
  object.signature = table.signature.empty() ? idl::compute_signature(object, doc) : table.signature;
  doc.objects.push_back(std::move(object));
  return doc;
}

}  // namespace

std::string InterfaceTable::computed_signature() const {
  idl::Document doc = idl_document(*this);
  return idl::compute_signature(doc.objects.front(), doc);
}

std::string InterfaceTable::describe() const {
  if (!describe_json.empty()) return describe_json;
  return idl::write_idl(idl_document(*this));
}

const json::Value* find_argument(const json::Value* params, std::size_t index, const ParamInfo& info) {
  if (params != nullptr && params->IsArray()) {
    if (index < params->Size()) return &(*params)[static_cast<rapidjson::SizeType>(index)];
  } else if (params != nullptr && params->IsObject()) {
    auto member = params->FindMember(rapidjson::StringRef(info.name.c_str(), info.name.size()));
    if (member != params->MemberEnd()) return &member->value;
  }
  return nullptr;
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
