// IDL model ⇄ JSON. Writing goes through RapidJSON's PrettyWriter; reading validates against the
// embedded schema first, so the field-by-field reader below can trust shapes and types.
#include "model/idl_json.hpp"

#include "model/signature.hpp"
#include "model/type_ref.hpp"

#include <fmt/format.h>
#include <roc/json_reader.hpp>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <functional>
#include <set>

namespace roc::idl {
namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void put(Writer& w, const char* key, const std::string& value, bool even_if_empty = false) {
  if (value.empty() && !even_if_empty) return;
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void put_flag(Writer& w, const char* key, bool value) {
  if (!value) return;
  w.Key(key);
  w.Bool(true);
}

void put_location(Writer& w, const Location& loc) {
  if (loc.line == 0) return;
  w.Key("location");
  w.StartObject();
  put(w, "file", loc.file, true);
  w.Key("line");
  w.Uint(loc.line);
  w.Key("column");
  w.Uint(loc.column == 0 ? 1 : loc.column);
  w.EndObject();
}

void write_object(Writer& w, const Object& o) {
  w.StartObject();
  put(w, "name", o.name);
  put(w, "signature", o.signature, true);
  put(w, "doc", o.doc);
  if (!o.bases.empty()) {
    w.Key("bases");
    w.StartArray();
    for (const auto& b : o.bases) w.String(b.c_str());
    w.EndArray();
  }
  w.Key("methods");
  w.StartArray();
  for (const auto& m : o.methods) {
    w.StartObject();
    put(w, "name", m.name);
    put(w, "cxx_name", m.cxx_name);
    put(w, "declared_in", m.declared_in);
    w.Key("params");
    w.StartArray();
    for (const auto& p : m.params) {
      w.StartObject();
      put(w, "name", p.name);
      put(w, "type", p.type);
      put(w, "cxx", p.cxx);
      put_flag(w, "inout", p.inout);
      if (!p.default_value.empty()) {
        w.Key("default");
        w.RawValue(p.default_value.c_str(), p.default_value.size(), rapidjson::kObjectType);
      }
      put(w, "default_cxx", p.default_cxx);
      w.EndObject();
    }
    w.EndArray();
    put(w, "returns", m.returns);
    put(w, "returns_cxx", m.returns_cxx);
    put_flag(w, "const", m.is_const);
    put_flag(w, "returns_self", m.returns_self);
    put_flag(w, "progress", m.progress);
    put_flag(w, "cancellable", m.cancellable);
    put(w, "doc", m.doc);
    put_location(w, m.location);
    w.EndObject();
  }
  w.EndArray();
  w.Key("properties");
  w.StartArray();
  for (const auto& p : o.properties) {
    w.StartObject();
    put(w, "name", p.name);
    put(w, "type", p.type);
    put(w, "cxx", p.cxx);
    w.Key("readonly");
    w.Bool(p.readonly);
    put(w, "member", p.member);
    put(w, "getter", p.getter);
    put(w, "setter", p.setter);
    put(w, "declared_in", p.declared_in);
    put(w, "doc", p.doc);
    put_location(w, p.location);
    w.EndObject();
  }
  w.EndArray();
  put_location(w, o.location);
  w.EndObject();
}

const char* kind_name(TypeKind k) {
  switch (k) {
    case TypeKind::structure: return "struct";
    case TypeKind::enumeration: return "enum";
    case TypeKind::external: return "external";
  }
  return "struct";
}

void write_type(Writer& w, const TypeDecl& t) {
  w.StartObject();
  put(w, "kind", kind_name(t.kind));
  put(w, "name", t.name);
  put(w, "doc", t.doc);
  if (t.kind == TypeKind::structure) {
    w.Key("fields");
    w.StartArray();
    for (const auto& f : t.fields) {
      w.StartObject();
      put(w, "name", f.name);
      put(w, "type", f.type);
      put(w, "cxx", f.cxx);
      put(w, "doc", f.doc);
      w.EndObject();
    }
    w.EndArray();
  }
  if (t.kind == TypeKind::enumeration) {
    w.Key("values");
    w.StartArray();
    for (const auto& v : t.values) {
      w.StartObject();
      put(w, "name", v.name);
      w.Key("value");
      w.Int64(v.value);
      put(w, "doc", v.doc);
      w.EndObject();
    }
    w.EndArray();
  }
  if (t.generated_elsewhere) {
    w.Key("generated_elsewhere");
    w.Bool(true);
  }
  put_location(w, t.location);
  w.EndObject();
}

// --- reading: the schema has been checked, so members have the right JSON types ---

std::string str(const rapidjson::Value& v, const char* key) {
  auto it = v.FindMember(key);
  return it == v.MemberEnd() ? std::string{} : std::string(it->value.GetString(), it->value.GetStringLength());
}

bool flag(const rapidjson::Value& v, const char* key) {
  auto it = v.FindMember(key);
  return it != v.MemberEnd() && it->value.GetBool();
}

Location location(const rapidjson::Value& v) {
  Location loc;
  auto it = v.FindMember("location");
  if (it == v.MemberEnd()) return loc;
  loc.file = str(it->value, "file");
  loc.line = it->value["line"].GetUint();
  loc.column = it->value["column"].GetUint();
  return loc;
}

const rapidjson::Value& array(const rapidjson::Value& v, const char* key) {
  static const rapidjson::Value empty(rapidjson::kArrayType);
  auto it = v.FindMember(key);
  return it == v.MemberEnd() ? empty : it->value;
}

std::string json_text(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  v.Accept(w);
  return {buffer.GetString(), buffer.GetSize()};
}

Object read_object(const rapidjson::Value& v) {
  Object o;
  o.name = str(v, "name");
  o.signature = str(v, "signature");
  o.doc = str(v, "doc");
  for (const auto& b : array(v, "bases").GetArray()) o.bases.emplace_back(b.GetString());
  for (const auto& mv : v["methods"].GetArray()) {
    Method m;
    m.name = str(mv, "name");
    m.cxx_name = str(mv, "cxx_name");
    m.declared_in = str(mv, "declared_in");
    for (const auto& pv : mv["params"].GetArray()) {
      Param p;
      p.name = str(pv, "name");
      p.type = str(pv, "type");
      p.cxx = str(pv, "cxx");
      p.inout = flag(pv, "inout");
      if (auto d = pv.FindMember("default"); d != pv.MemberEnd()) p.default_value = json_text(d->value);
      p.default_cxx = str(pv, "default_cxx");
      m.params.push_back(std::move(p));
    }
    m.returns = str(mv, "returns");
    m.returns_cxx = str(mv, "returns_cxx");
    m.is_const = flag(mv, "const");
    m.returns_self = flag(mv, "returns_self");
    m.progress = flag(mv, "progress");
    m.cancellable = flag(mv, "cancellable");
    m.doc = str(mv, "doc");
    m.location = location(mv);
    o.methods.push_back(std::move(m));
  }
  for (const auto& pv : v["properties"].GetArray()) {
    Property p;
    p.name = str(pv, "name");
    p.type = str(pv, "type");
    p.cxx = str(pv, "cxx");
    p.readonly = flag(pv, "readonly");
    p.member = str(pv, "member");
    p.getter = str(pv, "getter");
    p.setter = str(pv, "setter");
    p.declared_in = str(pv, "declared_in");
    p.doc = str(pv, "doc");
    p.location = location(pv);
    o.properties.push_back(std::move(p));
  }
  o.location = location(v);
  return o;
}

TypeDecl read_type(const rapidjson::Value& v) {
  TypeDecl t;
  std::string kind = str(v, "kind");
  t.kind = kind == "enum" ? TypeKind::enumeration : kind == "external" ? TypeKind::external : TypeKind::structure;
  t.name = str(v, "name");
  t.doc = str(v, "doc");
  for (const auto& fv : array(v, "fields").GetArray()) {
    t.fields.push_back(Field{str(fv, "name"), str(fv, "type"), str(fv, "cxx"), str(fv, "doc")});
  }
  for (const auto& ev : array(v, "values").GetArray()) {
    t.values.push_back(Enumerator{str(ev, "name"), ev["value"].GetInt64(), str(ev, "doc")});
  }
  t.generated_elsewhere = flag(v, "generated_elsewhere");
  t.location = location(v);
  return t;
}

const rapidjson::SchemaDocument& schema_document() {
  static const rapidjson::SchemaDocument schema = [] {
    rapidjson::Document d;
    d.Parse(idl_schema().c_str());
    return rapidjson::SchemaDocument(d);
  }();
  return schema;
}

// Parses and validates; the message names the failing schema keyword and the document path.
// RapidJSON's schema validator hashes every value it compares with an "enum" by casting its
// numbers to int64: undefined behaviour for a number beyond that range (a fuzzer finding). The
// IDL schema uses "enum" at "roc_idl" and "kind" only, so such numbers there are refused first.
bool hashable(const rapidjson::Value& v) {
  if (v.IsDouble()) return v.GetDouble() > -9.2e18 && v.GetDouble() < 9.2e18;
  if (v.IsArray()) return std::all_of(v.Begin(), v.End(), hashable);
  if (v.IsObject())
    return std::all_of(v.MemberBegin(), v.MemberEnd(), [](const auto& m) { return hashable(m.value); });
  return true;
}

void refuse_unhashable(const rapidjson::Value& v, const std::string& origin) {
  if (v.IsArray()) {
    for (const auto& element : v.GetArray()) refuse_unhashable(element, origin);
  } else if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      const std::string_view name(m.name.GetString(), m.name.GetStringLength());
      if ((name == "roc_idl" || name == "kind") && !hashable(m.value))
        throw IdlError(fmt::format("{}: '{}' holds a number out of range", origin, name));
      refuse_unhashable(m.value, origin);
    }
  }
}

void validate(rapidjson::Document& d, const std::string& json, const std::string& origin) {
  // IDL also arrives from peers (rpc.describe): read without recursion, at most 256 levels deep.
  if (auto error = roc::json::read(d, json))
    throw IdlError(fmt::format("{}: not valid JSON ({})", origin, error.message));
  refuse_unhashable(d, origin);
  rapidjson::SchemaValidator validator(schema_document());
  if (!d.Accept(validator)) {
    rapidjson::StringBuffer where, rule;
    validator.GetInvalidDocumentPointer().StringifyUriFragment(where);
    validator.GetInvalidSchemaPointer().StringifyUriFragment(rule);
    std::string path = where.GetString();
    throw IdlError(fmt::format("{}: does not follow the roc IDL schema v1: value at '{}' fails '{}' ({})",
                               origin, path.size() > 1 ? path.substr(1) : "/", validator.GetInvalidSchemaKeyword(),
                               std::string(rule.GetString()).substr(1)));
  }
}

}  // namespace

std::string write_idl(const Document& doc) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("roc_idl");
  w.Int(Document::version);
  put(w, "source", doc.source);
  w.Key("objects");
  w.StartArray();
  for (const auto& o : doc.objects) write_object(w, o);
  w.EndArray();
  w.Key("types");
  w.StartArray();
  for (const auto& t : doc.types) write_type(w, t);
  w.EndArray();
  w.EndObject();
  std::string text = std::string(buffer.GetString(), buffer.GetSize()) + '\n';
  rapidjson::Document check;
  validate(check, text, "roc-gen (internal error) writing IDL");
  return text;
}

Document describe_document(const Document& doc, const std::string& object_name) {
  Document out;
  out.source = doc.source;
  std::set<std::string> used;
  std::function<void(const TypeRef&)> visit = [&](const TypeRef& t) {
    if (t.kind == TypeRef::Kind::named && used.insert(t.name).second) {
      if (const TypeDecl* decl = doc.find_type(t.name)) {
        for (const auto& f : decl->fields) visit(parse_type(f.type));
      }
    }
    for (const auto& a : t.args) visit(a);
  };
  for (const auto& o : doc.objects) {
    if (o.name != object_name) continue;
    out.objects.push_back(o);
    for (const auto& m : o.methods) {
      for (const auto& p : m.params) visit(parse_type(p.type));
      visit(parse_type(m.returns));
    }
    for (const auto& p : o.properties) visit(parse_type(p.type));
  }
  for (const auto& t : doc.types) {
    if (used.count(t.name) != 0) out.types.push_back(t);
  }
  return out;
}

void check_document(const Document& doc) {
  auto check = [&](const std::string& spelling, const std::string& where) {
    try {
      check_names(parse_type(spelling), doc);
    } catch (const TypeError& e) {
      throw IdlError(fmt::format("{}: {}", where, e.what()));
    }
  };
  std::set<std::string> type_names;
  for (const auto& t : doc.types) {
    if (!type_names.insert(t.name).second) throw IdlError(fmt::format("type {} is declared twice", t.name));
    // A type called `bytes` or `json` would read back as the IDL's own type of that name.
    if (is_idl_word(t.name)) throw IdlError(fmt::format("type {} takes a name the IDL reserves for its own types", t.name));
    for (const auto& f : t.fields) check(f.type, fmt::format("field {}::{}", t.name, f.name));
  }
  for (const auto& o : doc.objects) {
    std::set<std::string> names;
    for (const auto& m : o.methods) {
      if (!names.insert(m.name).second) throw IdlError(fmt::format("{}: two methods named '{}'", o.name, m.name));
      for (const auto& p : m.params) check(p.type, fmt::format("parameter '{}' of {}::{}", p.name, o.name, m.name));
      check(m.returns, fmt::format("return type of {}::{}", o.name, m.name));
      if (m.name.rfind("rpc.", 0) == 0) throw IdlError(fmt::format("{}: method names rpc.* are reserved", o.name));
      if (is_proxy_member(m.name)) {
        throw IdlError(fmt::format("{}: method '{}' would clash with a member every generated proxy has", o.name, m.name));
      }
    }
    std::set<std::string> props;
    for (const auto& p : o.properties) {
      if (!props.insert(p.name).second) throw IdlError(fmt::format("{}: two properties named '{}'", o.name, p.name));
      if (is_proxy_member(p.name)) {
        throw IdlError(fmt::format("{}: property '{}' would clash with a member every generated proxy has", o.name, p.name));
      }
      check(p.type, fmt::format("property {}::{}", o.name, p.name));
      if (parse_type(p.type).kind == TypeRef::Kind::void_) {
        throw IdlError(fmt::format("property {}::{} cannot be void", o.name, p.name));
      }
      // The proxy spells a property as `name()` and `set_name(value)`: neither may be a method too.
      // Only wire names are checked: an overload set takes its C++ name in the proxy only when that
      // clashes with nothing, and otherwise falls back to these wire names (proxy_method_names).
      for (const std::string& accessor : {p.name, "set_" + p.name}) {
        if (names.count(accessor) != 0 && (accessor == p.name || !p.readonly)) {
          throw IdlError(fmt::format("{}: method '{}' clashes with the proxy's accessor of property '{}'; rename "
                                     "one (ROC_METHOD_AS / ROC_PROPERTY_AS)",
                                     o.name, accessor, p.name));
        }
      }
    }
  }
}

Document read_idl(const std::string& json, const std::string& origin) {
  rapidjson::Document d;
  validate(d, json, origin);
  Document doc;
  doc.source = str(d, "source");
  for (const auto& ov : d["objects"].GetArray()) doc.objects.push_back(read_object(ov));
  for (const auto& tv : d["types"].GetArray()) doc.types.push_back(read_type(tv));
  try {
    check_document(doc);
  } catch (const IdlError& e) {
    throw IdlError(fmt::format("{}: {}", origin, e.what()));
  }
  for (const auto& o : doc.objects) {
    std::string expected = compute_signature(o, doc);
    if (o.signature != expected) {
      throw IdlError(fmt::format("{}: object {} has signature {} but its interface hashes to {} "
                                 "(the document was edited by hand?)",
                                 origin, o.name, o.signature, expected));
    }
  }
  return doc;
}

}  // namespace roc::idl
