// A data-acquisition board driver in the shape of vendor DAQ SDKs: an export macro on the class
// and its methods, a pimpl (forward-declared, incomplete in the header), enums nested in the
// class (one of them anonymous, its constants used as default arguments), and a Result<T, E>
// template over std::variant with an incomplete error type in an unexported method, and a guard
// against compilers the vendor did not certify (roc-gen parses it with clang: SCANNER_ARGS).
// Only roc's annotations were added to it.
#pragma once

#if defined(__clang__) && !defined(DAQ_ALLOW_CLANG)
#error "the DAQ SDK is certified for g++ only; define DAQ_ALLOW_CLANG to use it with clang"
#endif

#include <roc/annotate.hpp>

#include <memory>
#include <string>
#include <variant>

#if defined(DAQ_BUILDING_LIBRARY)
#define DAQ_EXPORT __attribute__((visibility("default")))
#else
#define DAQ_EXPORT
#endif

namespace daq {

struct Error;  // defined only inside the library

/// The vendor's result type: a value or an error.
template <class T, class E>
class Result {
 public:
  bool ok() const { return value_.index() == 0; }

 private:
  std::variant<T, E> value_;
};

/// One acquisition board.
class DAQ_EXPORT ROC_OBJECT Board {
 public:
  /// Input ranges.
  enum ROC_ENUM Range { bipolar_10v, bipolar_5v, unipolar_10v };
  enum { kDefaultChannel = 3, kMaxChannels = 16 };

  explicit Board(int id = 0);
  ~Board();
  Board(Board&&) noexcept;
  Board& operator=(Board&&) noexcept;

  /// Configures a channel; every argument has the vendor's default.
  ROC_METHOD DAQ_EXPORT void configure(int channel = kDefaultChannel, Range range = bipolar_10v,
                                       double rate_hz = 1e3, const std::string& label = "ai");
  /// The configuration of a channel, as text.
  ROC_METHOD DAQ_EXPORT std::string configuration(int channel = kDefaultChannel) const;
  ROC_METHOD Range range_of(int channel) const;
  /// How many channels the board has.
  ROC_METHOD int channels() const { return kMaxChannels; }

  /// Not exported: its types are the library's own.
  Result<double, Error> try_sample(int channel);
  Error* last_error();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace daq
