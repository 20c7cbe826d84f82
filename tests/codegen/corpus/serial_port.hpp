/**
 * @file serial_port.hpp
 * @brief A serial-instrument driver in the shape of vendor C++ SDKs: CRLF line ends, Doxygen
 *        with non-ASCII text (9600–115200 Bd, answers within 50 µs at 25 °C), termios-valued
 *        baud rates with alias enumerators, a C-style `typedef enum`, overloads exported under
 *        wire names of their own, out-parameters, defaults, a builder and a move-only class.
 *        Only roc's annotations were added to it.
 */
#pragma once

#include <roc/annotate.hpp>

#include <termios.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace serial {

/** Line speeds, valued by their termios constants; `standard` and `fast` are aliases. */
enum class ROC_ENUM Baud : speed_t {
  b9600 = B9600,
  b19200 = B19200,
  b115200 = B115200,
  standard = B9600,   ///< the instrument's factory setting
  fast = B115200,
};

/// Parity, in the C style of the vendor's original API.
typedef enum ROC_ENUM { parity_none, parity_odd = 2, parity_even } parity_t;

/**
 * @brief A serial port to an instrument — 9600–115200 Bd, ±0.5 °C.
 *
 * Move-only: it owns the port.
 */
class ROC_OBJECT SerialPort {
 public:
  SerialPort();
  SerialPort(const SerialPort&) = delete;
  SerialPort& operator=(const SerialPort&) = delete;
  SerialPort(SerialPort&&) noexcept = default;
  SerialPort& operator=(SerialPort&&) noexcept = default;

  /// @brief Opens @p device at @p baud with @p parity.
  ROC_METHOD bool open(const char* device, Baud baud = Baud::standard, parity_t parity = parity_none);
  ROC_METHOD parity_t parity() const;

  /// Writes text; returns the bytes written.
  ROC_METHOD_AS("write_text") std::size_t write(const std::string& text);
  /// Writes raw bytes; returns the bytes written.
  ROC_METHOD_AS("write_bytes") std::size_t write(const std::vector<std::uint8_t>& bytes);
  /// A raw buffer: not exported (roc cannot send a pointer and a length as one value).
  std::size_t write(const char* data, std::size_t size);

  /// Reads one line into @p line (without its end); false when none is waiting.
  ROC_METHOD_AS("read_line") bool read(std::string& line);
  /// Reads up to @p max bytes into @p bytes; returns how many.
  ROC_METHOD_AS("read_bytes") int read(std::vector<std::uint8_t>& bytes, std::size_t max = 64);

  /// Sends a command, C string or std::string: both become one proxy signature, so the proxy
  /// names them by their wire names.
  ROC_METHOD_AS("send_c") bool send(const char* command);
  ROC_METHOD bool send(const std::string& command);

  /// Reads the voltage of an analog input, in volts.
  ROC_METHOD double read_voltage(unsigned channel, bool calibrated = true) const;

  /// Sets the read timeout; returns the port, so calls chain.
  ROC_METHOD SerialPort& set_timeout(int milliseconds);
  ROC_METHOD int timeout() const;

  /// The line speed.
  ROC_PROPERTY Baud baud() const;
  void set_baud(Baud baud);

 private:
  std::string device_;
  Baud baud_ = Baud::standard;
  parity_t parity_ = parity_none;
  std::vector<std::string> lines_;
  std::vector<std::uint8_t> written_;
  int timeout_ms_ = 100;
};

}  // namespace serial
