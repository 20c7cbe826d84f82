// The interface signature hash: lets a proxy detect an object built from another header version.
#pragma once

#include <string>

namespace roc::idl {

struct Document;
struct Object;

/// The canonical text the signature hashes: wire names and IDL types of the object's methods
/// (parameters in order, return type) and properties (with read-only), sorted by name, followed by
/// the fields and enumerators of every struct and enum they use, in name order. Documentation,
/// parameter names (except of in/out parameters, whose names key the result), defaults, C++
/// spellings and locations are left out: they do not change the wire.
std::string signature_text(const Object& object, const Document& doc);

/// 64-bit FNV-1a of signature_text, as 16 lowercase hex digits.
std::string compute_signature(const Object& object, const Document& doc);

}  // namespace roc::idl
