// The IDL model's JSON form: writing, reading, and validation against idl/roc-idl.v1.schema.json.
#pragma once

#include "model/idl.hpp"

#include <stdexcept>
#include <string>

namespace roc::idl {

/// A document that does not follow the schema, or whose types do not resolve. The message names
/// the JSON path of the offending value and what was expected.
class IdlError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The schema text the reader and writer validate against (embedded at build time).
const std::string& idl_schema();

/// The document as pretty-printed JSON (2-space indent), validated against the schema before it is
/// returned. Optional members that are empty are left out. Throws IdlError when invalid (a bug).
std::string write_idl(const Document& doc);

/// A document holding only `object` and the types it uses — what `rpc.describe` returns.
Document describe_document(const Document& doc, const std::string& object_name);

/// Parses and validates an IDL document, then checks that every type resolves and every signature
/// matches its interface. Throws IdlError (with `origin` as prefix of the message) when not.
Document read_idl(const std::string& json, const std::string& origin = "<idl>");

/// Semantic checks shared by the reader and the scanner: every type spelling parses and every named
/// type is declared. Throws IdlError naming the object and member.
void check_document(const Document& doc);

}  // namespace roc::idl
