// The binding API: how a C++ class's methods and properties become callable by name, deduced
// from member pointers. Generated skeletons use it; so can hand-written servers, with no codegen.
#pragma once

#include "roc/call_context.hpp"
#include "roc/json.hpp"

#include <functional>
#include <array>
#include <initializer_list>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace roc {

/// A parameter as a binding names it: `"channel"`, or `{"calibrated", "true"}` with the JSON text
/// of the value a call that leaves the parameter out gets (a trailing one by position, any by name).
struct ParamSpec {
  ParamSpec(const char* name) : name(name) {}  // implicit: a list of plain names stays valid
  ParamSpec(const char* name, const char* default_json) : name(name), default_json(default_json) {}

  const char* name;
  const char* default_json = nullptr;
};

/// One parameter of a method, as rpc.describe shows it.
struct ParamInfo {
  std::string name;
  std::string type;  ///< IDL spelling, e.g. "int32", "lab::Roi"
  bool optional = false;
  /// A non-const lvalue reference: its value travels back in the result (idl/README.md).
  bool inout = false;
  /// JSON text of the value a call that leaves the parameter out gets; empty when none.
  std::string default_json;
};

namespace detail {

/// Raised by invokers when the params do not fit the method; becomes -32602.
class InvalidParams : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Decodes params, calls the member function on `object`, encodes the result into `result`.
using MethodInvoker =
    std::function<void(void* object, const json::Value* params, json::Value& result, json::Allocator&)>;
using PropertyGetter = std::function<void(const void* object, json::Value& out, json::Allocator&)>;
using PropertySetter = std::function<void(void* object, const json::Value& in)>;

struct MethodEntry {
  std::string name;
  std::vector<ParamInfo> params;
  std::string result_type;
  std::string doc;
  bool is_const = false;
  /// A builder (`Dev& set_gain(int)` returning *this): answers null, described as void.
  bool returns_self = false;
  /// The method takes a roc::CallContext: it may report progress and can be cancelled while it
  /// runs (idl/README.md). Described, not part of the signature.
  bool progress = false;
  bool cancellable = false;
  MethodInvoker invoke;
};

struct PropertyEntry {
  std::string name;
  std::string type;
  std::string doc;
  PropertyGetter get;
  PropertySetter set;  ///< empty for read-only properties
};

/// Everything the dispatcher needs to serve one interface, independent of the C++ type.
struct InterfaceTable {
  std::string name;  ///< the C++ type, e.g. "lab::VnirCamera"
  std::string doc;
  std::string signature;      ///< served by rpc.signature; empty when none
  std::string describe_json;  ///< when set, rpc.describe returns exactly this document
  std::vector<MethodEntry> methods;
  std::vector<PropertyEntry> properties;
  std::unordered_map<std::string, std::size_t> method_index, property_index;

  void add_method(MethodEntry entry);
  void add_property(PropertyEntry entry);
  const MethodEntry* find_method(std::string_view name) const;
  const PropertyEntry* find_property(std::string_view name) const;
  /// The interface as an IDL v1 document (idl/README.md; what rpc.describe returns):
  /// describe_json when set, else built from the table, with named types as `external`.
  std::string describe() const;
  /// The signature hash of what describe() builds (idl/README.md, "Signature").
  std::string computed_signature() const;
  /// Named (struct, enum, external) types the methods and properties use.
  std::set<std::string> named_types() const;
};

// -- member-function traits (const and noexcept variants) --
template <class F>
struct function_traits;
#define ROC_DETAIL_FUNCTION_TRAITS(QUALIFIERS, IS_CONST)          \
  template <class R, class... A>                                  \
  struct function_traits<R(A...) QUALIFIERS> {                    \
    using result = R;                                             \
    using args = std::tuple<A...>;                                \
    static constexpr std::size_t arity = sizeof...(A);            \
    static constexpr bool is_const = IS_CONST;                    \
  };
ROC_DETAIL_FUNCTION_TRAITS(, false)
ROC_DETAIL_FUNCTION_TRAITS(const, true)
ROC_DETAIL_FUNCTION_TRAITS(noexcept, false)
ROC_DETAIL_FUNCTION_TRAITS(const noexcept, true)
#undef ROC_DETAIL_FUNCTION_TRAITS

template <class T>
using decayed = std::remove_cv_t<std::remove_reference_t<T>>;

/// A `roc::CallContext&` or `const roc::CallContext&` parameter: filled in with the running
/// call's context, never read from the params or counted among them.
template <class A>
inline constexpr bool is_context_v = std::is_lvalue_reference_v<A> && std::is_same_v<decayed<A>, CallContext>;

/// Where a context parameter waits for the call: a pointer to the running call's context.
struct ContextSlot {
  CallContext* context = nullptr;
};

/// How a parameter of type A is held between decoding and the call: a context as a pointer to
/// it, a `const char*` as the std::string it points into, everything else as its plain value type.
template <class A>
using storage_t =
    std::conditional_t<is_context_v<A>, ContextSlot,
                       std::conditional_t<std::is_same_v<decayed<A>, const char*>, std::string, decayed<A>>>;

/// A non-const lvalue reference parameter: the method may change it, so its value goes back.
template <class A>
inline constexpr bool is_inout_v =
    std::is_lvalue_reference_v<A> && !std::is_const_v<std::remove_reference_t<A>> && !is_context_v<A>;

/// For each C++ parameter, its index among the wire parameters (those that are not contexts);
/// a context's entry is the count of wire parameters before it, and unused.
template <class... A>
constexpr std::array<std::size_t, sizeof...(A)> wire_indexes() {
  std::array<std::size_t, sizeof...(A)> indexes{};
  [[maybe_unused]] std::size_t next = 0, i = 0;
  ((indexes[i++] = next, next += is_context_v<A> ? 0 : 1), ...);
  return indexes;
}
template <class Args>
struct wire_indexes_of;
template <class... A>
struct wire_indexes_of<std::tuple<A...>> {
  static constexpr auto value = wire_indexes<A...>();
  static constexpr std::size_t wire_arity = (std::size_t{0} + ... + (is_context_v<A> ? 0 : 1));
  static constexpr bool takes_context = (false || ... || is_context_v<A>);
};

/// A result that refers to the object itself or a base of it (a builder's `return *this`): the
/// caller already holds the object, so the wire carries null.
template <class T, class R>
inline constexpr bool returns_self_v =
    std::is_lvalue_reference_v<R> && std::is_class_v<decayed<R>> && std::is_base_of_v<decayed<R>, T>;

/// Hands a decoded argument to the member function as its parameter type A expects.
template <class A, class Slot>
decltype(auto) pass(Slot& slot) {
  if constexpr (is_context_v<A>)
    return static_cast<A>(*slot.context);
  else if constexpr (std::is_same_v<decayed<A>, const char*>)
    return static_cast<const char*>(slot.c_str());
  else
    return std::forward<A>(slot);
}

/// The value of argument `index` in positional or named params; null when the call left it out.
const json::Value* find_argument(const json::Value* params, std::size_t index, const ParamInfo& info);

/// Reads one argument into `slot`, falling back to its default; throws InvalidParams naming it.
template <class Slot>
void read_argument(const json::Value* params, std::size_t index, const ParamInfo& info,
                   const std::optional<Json>& default_value, const std::string& method, Slot& slot) {
  const json::Value* value = find_argument(params, index, info);
  if (value == nullptr && default_value) value = &default_value->value();
  if (value == nullptr) {
    if (info.optional) return;  // stays empty (std::nullopt)
    throw InvalidParams("method '" + method + "' needs parameter '" + info.name + "' (" + info.type +
                        ")");
  }
  try {
    json::decode(*value, slot);
  } catch (const json::DecodeError& error) {
    throw InvalidParams("parameter '" + info.name + "' of '" + method + "': " + error.what());
  }
}

/// Fills one C++ parameter's slot: the running call's context, or the wire argument `index`.
template <class A, class Slot>
void fill_argument(const json::Value* params, std::size_t index, const std::vector<ParamInfo>& infos,
                   const std::vector<std::optional<Json>>& defaults, const std::string& method, Slot& slot) {
  if constexpr (is_context_v<A>)
    slot.context = &CallContext::current();
  else
    read_argument(params, index, infos[index], defaults[index], method, slot);
}

/// Parses a parameter's default once, when the binding is built, and checks that it decodes into
/// the parameter's type, so a bad default shows at start-up instead of in the call that needs it.
/// Stores the compact text in `info` for rpc.describe.
template <class Slot>
std::optional<Json> parse_default(const std::string& method, const ParamSpec& spec, ParamInfo& info) {
  if (spec.default_json == nullptr) return std::nullopt;
  const std::string where = "binding of '" + method + "': the default of parameter '" + info.name + "'";
  std::optional<Json> parsed;
  try {
    parsed = Json::parse(spec.default_json);
  } catch (const std::invalid_argument& error) {
    throw std::logic_error(where + " is not JSON: " + error.what());
  }
  try {
    Slot probe{};
    json::decode(parsed->value(), probe);
  } catch (const json::DecodeError& error) {
    throw std::logic_error(where + " does not fit its type " + info.type + ": " + error.what());
  }
  info.default_json = parsed->dump();
  return parsed;
}

/// Adds an in/out argument's value after the call to the result object, under its name.
template <class A, class Slot>
void add_inout([[maybe_unused]] json::Value& result, [[maybe_unused]] const std::vector<ParamInfo>& infos,
               [[maybe_unused]] std::size_t index, [[maybe_unused]] const Slot& slot,
               [[maybe_unused]] json::Allocator& a) {
  if constexpr (is_inout_v<A>) {
    const ParamInfo& info = infos[index];
    json::Value key(info.name.c_str(), static_cast<rapidjson::SizeType>(info.name.size()), a);
    json::Value value;
    json::encode(slot, value, a);
    result.AddMember(key, value, a);
  }
}

/// Checks the params' overall shape: count for arrays, unknown names for objects.
void check_params_shape(const json::Value* params, const std::vector<ParamInfo>& infos,
                        const std::string& method);

using Defaults = std::vector<std::optional<Json>>;

template <class T, class C, class M, std::size_t... I>
MethodInvoker make_invoker(M C::*fn, std::string name, std::vector<ParamInfo> infos, Defaults defaults,
                           std::index_sequence<I...>) {
  using Traits = function_traits<M>;
  using Result = typename Traits::result;
  using Args = typename Traits::args;
  return [fn, name = std::move(name), infos = std::move(infos),
          defaults = std::make_shared<const Defaults>(std::move(defaults))](
             void* object, const json::Value* params, json::Value& result, json::Allocator& a) {
    check_params_shape(params, infos, name);
    std::tuple<storage_t<std::tuple_element_t<I, Args>>...> args;
    (fill_argument<std::tuple_element_t<I, Args>>(params, wire_indexes_of<Args>::value[I], infos, *defaults, name,
                                                  std::get<I>(args)),
     ...);
    auto& self = *static_cast<T*>(object);
    auto call = [&]() -> decltype(auto) { return (self.*fn)(pass<std::tuple_element_t<I, Args>>(std::get<I>(args))...); };
    json::Value returned;
    if constexpr (std::is_void_v<Result> || returns_self_v<T, Result>) {
      call();  // `returned` stays null
    } else if constexpr (json::detail::is_numeric_block<decayed<Result>>::value) {
      if (auto* sink = current_sink()) {
        // The result moves into memory the reply's frame keeps alive: its bytes are sent as they are.
        auto held = std::make_shared<decayed<Result>>(call());
        sink->own(held.get(), held);
        json::encode(*held, returned, a);
        sink->own(nullptr, nullptr);
      } else {
        json::encode(call(), returned, a);
      }
    } else {
      json::encode(call(), returned, a);
    }
    if constexpr ((is_inout_v<std::tuple_element_t<I, Args>> || ...)) {
      // `return` is a C++ keyword, so no parameter name can clash with it (idl/PROTOCOL.md §3.2).
      result.SetObject();
      result.AddMember("return", returned, a);
      (add_inout<std::tuple_element_t<I, Args>>(result, infos, wire_indexes_of<Args>::value[I], std::get<I>(args),
                                                a),
       ...);
    } else {
      result.Swap(returned);
    }
  };
}

}  // namespace detail

/// Describes how clients may call a T: its methods and properties, by name.
///
///     static const auto binding = roc::Binding<Camera>("lab::Camera")
///         .method("grab", &Camera::grab, {"lines"}, "Reads `lines` lines.")
///         .property("fps", &Camera::fps, &Camera::set_fps)
///         .property("model", &Camera::model)        // getter only: read-only
///         .property("gain", &Camera::gain);         // a data member: read-write
///
/// Misuse (a wrong number of parameter names, a duplicate name) throws std::logic_error when
/// the binding is built, so it shows at start-up, not at the first call. A finished binding is
/// immutable and may be shared by any number of servers and threads.
template <class T>
class Binding {
 public:
  explicit Binding(std::string interface_name, std::string doc = {})
      : table_(std::make_shared<detail::InterfaceTable>()) {
    table_->name = std::move(interface_name);
    table_->doc = std::move(doc);
  }

  /// Exposes a member function (of T or of a base of T) as method `name`.
  /// `params` must name every parameter, in order, each optionally with the JSON text of its
  /// default: `{"channel", {"calibrated", "true"}}`. Callers may leave out trailing std::optional
  /// and defaulted parameters. A non-const lvalue reference parameter is in/out: the result
  /// becomes `{"return": ..., "<name>": <its value after the call>}`. A `const char*` parameter
  /// is a string. A result referring to the object itself (a builder's `*this`) answers null.
  /// A `roc::CallContext&` (or const) parameter is the running call's context: it is not named in
  /// `params`, not sent by callers, and marks the method progress/cancellable in rpc.describe.
  template <class C, class M, std::enable_if_t<std::is_function_v<M>, int> = 0>
  Binding& method(std::string name, M C::*fn, std::initializer_list<ParamSpec> params = {},
                  std::string doc = {}) {
    static_assert(std::is_base_of_v<C, T>, "the method must belong to the bound class or a base of it");
    using Traits = detail::function_traits<M>;
    using Result = typename Traits::result;
    using Wire = detail::wire_indexes_of<typename Traits::args>;
    constexpr auto indices = std::make_index_sequence<Traits::arity>{};
    if (params.size() != Wire::wire_arity)
      throw std::logic_error("binding of '" + name + "' names " + std::to_string(params.size()) +
                             " parameters, the method has " + std::to_string(Wire::wire_arity) +
                             (Wire::takes_context ? " besides its roc::CallContext" : ""));
    detail::MethodEntry entry;
    entry.name = name;
    entry.params = param_infos<typename Traits::args>(name, params, indices);
    auto defaults = parse_defaults<typename Traits::args>(name, params, entry.params, indices);
    entry.returns_self = detail::returns_self_v<T, Result>;
    if constexpr (detail::returns_self_v<T, Result>)
      entry.result_type = "void";  // the object itself has no JSON form; the wire carries null
    else
      entry.result_type = json::type_name<Result>();
    entry.doc = std::move(doc);
    entry.is_const = Traits::is_const;
    entry.progress = entry.cancellable = Wire::takes_context;
    entry.invoke = detail::make_invoker<T>(fn, name, entry.params, std::move(defaults), indices);
    table_->add_method(std::move(entry));
    return *this;
  }

  /// A data member as a property: read-write, or read-only when the member is const.
  template <class C, class V, std::enable_if_t<!std::is_function_v<V>, int> = 0>
  Binding& property(std::string name, V C::*field, std::string doc = {}) {
    static_assert(std::is_base_of_v<C, T>, "the member must belong to the bound class or a base of it");
    detail::PropertyEntry entry;
    entry.name = std::move(name);
    entry.type = json::type_name<V>();
    entry.doc = std::move(doc);
    entry.get = [field](const void* object, json::Value& out, json::Allocator& a) {
      json::encode(static_cast<const T*>(object)->*field, out, a);
    };
    if constexpr (!std::is_const_v<V>) {
      entry.set = [field](void* object, const json::Value& in) {
        std::remove_cv_t<V> value{};
        json::decode(in, value);  // decode fully before assigning: a bad value changes nothing
        static_cast<T*>(object)->*field = std::move(value);
      };
    }
    table_->add_property(std::move(entry));
    return *this;
  }

  /// A getter (no parameters, returns the value) as a read-only property.
  template <class C, class G, std::enable_if_t<std::is_function_v<G>, int> = 0>
  Binding& property(std::string name, G C::*getter, std::string doc = {}) {
    add_getter_property<C, G>(std::move(name), getter, std::move(doc));
    return *this;
  }

  /// A getter and a setter (one parameter) as a read-write property.
  template <class C, class G, class D, class S,
            std::enable_if_t<std::is_function_v<G> && std::is_function_v<S>, int> = 0>
  Binding& property(std::string name, G C::*getter, S D::*setter, std::string doc = {}) {
    static_assert(std::is_base_of_v<D, T>, "the setter must belong to the bound class or a base of it");
    static_assert(detail::function_traits<S>::arity == 1, "a property setter takes exactly one value");
    using Value = detail::decayed<std::tuple_element_t<0, typename detail::function_traits<S>::args>>;
    auto& entry = add_getter_property<C, G>(std::move(name), getter, std::move(doc));
    entry.set = [setter](void* object, const json::Value& in) {
      Value value{};
      json::decode(in, value);
      (static_cast<T*>(object)->*setter)(std::move(value));
    };
    return *this;
  }

  /// The interface's signature hash (generated code passes one); served by rpc.signature and
  /// written into rpc.describe. Without it, both use the hash of the binding's own description.
  Binding& signature(std::string hash) {
    table_->signature = std::move(hash);
    return *this;
  }

  /// Makes rpc.describe return exactly `idl_json` (generated code passes its IDL document).
  Binding& describe_as(std::string idl_json) {
    table_->describe_json = std::move(idl_json);
    return *this;
  }

  const std::string& name() const noexcept { return table_->name; }
  /// The type-erased table the server dispatches through.
  std::shared_ptr<const detail::InterfaceTable> table() const noexcept { return table_; }

 private:
  template <class Args, std::size_t... I>
  static std::vector<ParamInfo> param_infos(const std::string& method, std::initializer_list<ParamSpec> specs,
                                            std::index_sequence<I...>) {
    std::vector<ParamInfo> infos;
    [[maybe_unused]] auto spec = specs.begin();
    (add_param_info<std::tuple_element_t<I, Args>>(method, spec, infos), ...);
    return infos;
  }

  template <class A>
  static void add_param_info(const std::string& method, const ParamSpec*& spec, std::vector<ParamInfo>& infos) {
    if constexpr (!detail::is_context_v<A>) infos.push_back(param_info<A>(method, *spec++));
  }

  template <class A>
  static ParamInfo param_info(const std::string& method, const ParamSpec& spec) {
    if (spec.name == nullptr || *spec.name == '\0')
      throw std::logic_error("binding of '" + method + "': every parameter needs a name");
    ParamInfo info;
    info.name = spec.name;
    info.type = json::type_name<A>();
    info.optional = json::detail::is_optional<detail::decayed<A>>::value;
    info.inout = detail::is_inout_v<A>;
    // The in/out result object keeps the return value under "return" (a C++ keyword, so only a
    // hand-written binding can collide with it).
    if (info.inout && info.name == "return")
      throw std::logic_error("binding of '" + method + "': an in/out parameter cannot be named 'return'");
    return info;
  }

  template <class Args, std::size_t... I>
  static detail::Defaults parse_defaults(const std::string& method, std::initializer_list<ParamSpec> specs,
                                         std::vector<ParamInfo>& infos, std::index_sequence<I...>) {
    detail::Defaults defaults;
    [[maybe_unused]] auto spec = specs.begin();
    (add_default<std::tuple_element_t<I, Args>>(method, spec, infos, defaults), ...);
    return defaults;
  }

  template <class A>
  static void add_default(const std::string& method, const ParamSpec*& spec, std::vector<ParamInfo>& infos,
                          detail::Defaults& defaults) {
    if constexpr (!detail::is_context_v<A>) {
      const std::size_t index = defaults.size();
      defaults.push_back(detail::parse_default<detail::storage_t<A>>(method, *spec++, infos[index]));
    }
  }

  template <class C, class G>
  detail::PropertyEntry& add_getter_property(std::string name, G C::*getter, std::string doc) {
    static_assert(std::is_base_of_v<C, T>, "the getter must belong to the bound class or a base of it");
    using Traits = detail::function_traits<G>;
    static_assert(Traits::arity == 0 && Traits::is_const, "a property getter is a const method with no parameters");
    detail::PropertyEntry entry;
    entry.name = std::move(name);
    entry.type = json::type_name<typename Traits::result>();
    entry.doc = std::move(doc);
    entry.get = [getter](const void* object, json::Value& out, json::Allocator& a) {
      json::encode((static_cast<const T*>(object)->*getter)(), out, a);
    };
    table_->add_property(std::move(entry));
    return table_->properties.back();
  }

  std::shared_ptr<detail::InterfaceTable> table_;
};

/// Generated skeletons specialize this so that `server.publish(id, object)` needs no binding:
///     template <> struct roc::Skeleton<lab::Camera> { static const roc::Binding<lab::Camera>& binding(); };
template <class T>
struct Skeleton;

}  // namespace roc
