// Simulated implementations of the corpus drivers: deterministic, so the test can check that
// every value travelled both ways.
#include "daq_board.hpp"
#include "laser_scanner.h"
#include "serial_port.hpp"
#include "vendor/vendor.hpp"

#include <map>

namespace lidar {

Scanner::~Scanner(void) = default;
LaserScanner::LaserScanner(void) = default;
LaserScanner::~LaserScanner(void) = default;

bool LaserScanner::open(const char* device) {
  device_ = device;
  return !device_.empty();
}
void LaserScanner::close(void) { device_.clear(); }
bool LaserScanner::is_open(void) const { return !device_.empty(); }

int LaserScanner::get_distance(std::vector<long>& data) {
  if (!is_open()) return -1;
  if (data.empty()) data.resize(4);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = 1000 + static_cast<long>(i) * 10;
  return static_cast<int>(data.size());
}

std::string LaserScanner::firmware(void) const { return "URG 3.4.0 on " + device_; }

}  // namespace lidar

namespace serial {

SerialPort::SerialPort() : lines_{"second", "first"} {}

bool SerialPort::open(const char* device, Baud baud, parity_t parity) {
  device_ = device;
  baud_ = baud;
  parity_ = parity;
  return true;
}
parity_t SerialPort::parity() const { return parity_; }

std::size_t SerialPort::write(const std::string& text) { return write(text.data(), text.size()); }
std::size_t SerialPort::write(const std::vector<std::uint8_t>& bytes) {
  written_.insert(written_.end(), bytes.begin(), bytes.end());
  return bytes.size() + 1000;  // tells the test which overload ran
}
std::size_t SerialPort::write(const char* data, std::size_t size) {
  written_.insert(written_.end(), data, data + size);
  return size;
}

bool SerialPort::read(std::string& line) {
  if (lines_.empty()) return false;
  line = lines_.back();
  lines_.pop_back();
  return true;
}

int SerialPort::read(std::vector<std::uint8_t>& bytes, std::size_t max) {
  bytes.assign(written_.begin(), written_.begin() + static_cast<std::ptrdiff_t>(std::min(max, written_.size())));
  return static_cast<int>(bytes.size());
}

bool SerialPort::send(const char* command) { return std::string(command) == "*IDN?"; }
bool SerialPort::send(const std::string& command) { return command == "*RST"; }

double SerialPort::read_voltage(unsigned channel, bool calibrated) const {
  return calibrated ? channel * 1.5 : channel * 1.0;
}

SerialPort& SerialPort::set_timeout(int milliseconds) {
  timeout_ms_ = milliseconds;
  return *this;
}
int SerialPort::timeout() const { return timeout_ms_; }

Baud SerialPort::baud() const { return baud_; }
void SerialPort::set_baud(Baud baud) { baud_ = baud; }

}  // namespace serial

namespace daq {

class Board::Impl {
 public:
  struct Channel {
    Range range = bipolar_10v;
    double rate_hz = 0;
    std::string label;
  };
  int id = 0;
  std::map<int, Channel> channels;
};

Board::Board(int id) : impl_(std::make_unique<Impl>()) { impl_->id = id; }
Board::~Board() = default;
Board::Board(Board&&) noexcept = default;
Board& Board::operator=(Board&&) noexcept = default;

void Board::configure(int channel, Range range, double rate_hz, const std::string& label) {
  impl_->channels[channel] = Impl::Channel{range, rate_hz, label};
}

std::string Board::configuration(int channel) const {
  auto it = impl_->channels.find(channel);
  if (it == impl_->channels.end()) return "unconfigured";
  return std::to_string(channel) + ":" + std::to_string(static_cast<int>(it->second.range)) + ":" +
         std::to_string(static_cast<int>(it->second.rate_hz)) + ":" + it->second.label;
}

Board::Range Board::range_of(int channel) const {
  auto it = impl_->channels.find(channel);
  return it == impl_->channels.end() ? bipolar_10v : it->second.range;
}

}  // namespace daq

namespace vendor {

void Camera::set_exposure(exposure_us_t exposure) { exposure_ = exposure; }
exposure_us_t Camera::exposure() const { return exposure_; }
Geometry Camera::geometry() const { return Geometry{}; }

}  // namespace vendor
