// Annotations that mark what roc-gen exports from a header (docs/codegen.md).
//
// They expand to Clang `annotate` attributes only while roc-gen parses the header (it defines
// ROC_CODEGEN), and to nothing otherwise: g++ warns about unknown attributes, and a plain clang
// build would otherwise pay for `llvm.global.annotations` on every annotated field.
#pragma once

#if defined(__clang__) && defined(ROC_CODEGEN)
#  define ROC_DETAIL_ANNOTATE(what) [[clang::annotate(what)]]
#else
#  define ROC_DETAIL_ANNOTATE(what)
#endif

/// `class ROC_OBJECT VnirCamera { ... };` — a class whose annotated members can be called remotely.
/// Annotated members of annotated base classes are part of it too.
#define ROC_OBJECT ROC_DETAIL_ANNOTATE("roc::object")

/// `ROC_METHOD void open_shutter();` — a remotely callable method, under its C++ name.
/// Overloads are rejected: a wire name must name one method.
#define ROC_METHOD ROC_DETAIL_ANNOTATE("roc::method")

/// `ROC_METHOD_AS("grab_frames") std::vector<std::uint16_t> grab(std::uint32_t lines);` — a method
/// exported under another wire name (which the proxy uses as its method name too).
#define ROC_METHOD_AS(wire_name) ROC_DETAIL_ANNOTATE("roc::method=" wire_name)

/// A property, read with `rpc.get` and written with `rpc.set`. Two forms:
/// - on a public data member: `ROC_PROPERTY double gain = 1.0;` (read-only when the member is const);
/// - on a const getter: `ROC_PROPERTY double fps() const;` with an optional setter
///   `void set_fps(double);` found by name (read-only when there is none).
#define ROC_PROPERTY ROC_DETAIL_ANNOTATE("roc::property")

/// Like ROC_PROPERTY, exported under another wire name.
#define ROC_PROPERTY_AS(wire_name) ROC_DETAIL_ANNOTATE("roc::property=" wire_name)

/// `struct ROC_STRUCT Roi { int x, y, width, height; };` — a plain struct sent as a JSON object,
/// one member per public non-static data member; roc-gen emits its to_json/from_json.
#define ROC_STRUCT ROC_DETAIL_ANNOTATE("roc::struct")

/// `enum class ROC_ENUM Mode { fast, precise };` — an enum sent as the name of its enumerator.
#define ROC_ENUM ROC_DETAIL_ANNOTATE("roc::enum")
