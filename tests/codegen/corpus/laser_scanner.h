/* A 2D laser range scanner driver, in the shape of the open-source lidar libraries labs use:
 * a `.h` header, a pure-virtual interface and its implementation, C-style `(void)` parameter
 * lists, an export macro on the classes and on a method, a `const char*` device path and
 * out-parameters. Only roc's annotations were added to it. */
#ifndef LIDAR_LASER_SCANNER_H
#define LIDAR_LASER_SCANNER_H

#include <roc/annotate.hpp>

#include <string>
#include <vector>

#if defined(_WIN32)
#define LIDAR_API __declspec(dllexport)
#else
#define LIDAR_API __attribute__((visibility("default")))
#endif

namespace lidar {

/// Anything that measures distances along a sweep.
class LIDAR_API Scanner {
 public:
  virtual ~Scanner(void);

  /// Opens the device at `device`, e.g. "/dev/ttyACM0".
  ROC_METHOD virtual bool open(const char* device) = 0;
  /// Closes the device; harmless when closed.
  ROC_METHOD virtual void close(void) = 0;
  ROC_METHOD virtual bool is_open(void) const = 0;
  /// Fills `data` with one sweep in millimetres: as many points as `data` holds on entry
  /// (4 when empty). Returns the number of points, or -1 when the device is closed.
  ROC_METHOD virtual int get_distance(std::vector<long>& data) = 0;
};

/// The driver of one scanner model: implements the interface, adds a method of its own.
class ROC_OBJECT LIDAR_API LaserScanner : public Scanner {
 public:
  LaserScanner(void);
  ~LaserScanner(void) override;

  bool open(const char* device) override;
  void close(void) override;
  bool is_open(void) const override;
  int get_distance(std::vector<long>& data) override;

  /// The firmware's version line, with the device it was read from.
  ROC_METHOD LIDAR_API std::string firmware(void) const;

 private:
  std::string device_;
};

}  // namespace lidar

#endif  // LIDAR_LASER_SCANNER_H
