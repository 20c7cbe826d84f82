// 8/MMI (rfc.zeromq.org/spec/8) plus roc's mmi.objects listing.
#include "broker/mmi.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace roc::detail {

std::string mmi_reply(std::string_view service, std::string_view body,
                      const std::map<std::string, std::size_t>& workers) {
  if (service == "mmi.service") {
    auto it = workers.find(std::string(body));
    return it != workers.end() && it->second > 0 ? "200" : "404";
  }
  if (service == "mmi.objects") {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartArray();
    for (const auto& [id, count] : workers) {
      w.StartObject();
      w.Key("id");
      w.String(id.data(), static_cast<rapidjson::SizeType>(id.size()));
      w.Key("workers");
      w.Uint64(count);
      w.EndObject();
    }
    w.EndArray();
    return {buffer.GetString(), buffer.GetSize()};
  }
  return "501";
}

}  // namespace roc::detail
